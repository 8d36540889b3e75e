"""Stage 1: the campus QA dataset, built from the knowledge base through the kiosk's own engine.

Why through the engine: the adapter is only useful if training prompts are byte-for-byte the
prompts the kiosk sends at run time. So every question is put to a real `DialogEngine` (with
`few_shot = 0`) whose language model is a recorder: the engine cleans the text, resolves the
place (pronouns from the session history included), picks the question kind, builds the facts
and the prompt, and hands that prompt to the recorder. The target is the KB's composed answer
for the place and kind the engine resolved, so it is grounded by construction.

Refusals (unknown places, off-topic, injections) are not in the dataset: the engine answers
them from templates and never sends them to the model. Questions whose noise made the engine
resolve another place are dropped (counted in stats.json).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import get_args

from kiosk.campus import answers
from kiosk.campus.knowledge import KnowledgeBase, Lang, Place
from kiosk.campus.retrieval import Intent
from kiosk.config import Config, QuestionKind, load_config
from kiosk.dialog import guard
from kiosk.dialog.engine import DialogEngine, GuardedReply
from kiosk.dialog.prompt import END, build_prompt
from kiosk.dialog.sentences import SentenceBuffer
from kiosk.train import phrasings
from kiosk.train.config import DatasetConfig

log = logging.getLogger(__name__)

PLACE_INTENTS = [Intent.LOCATION, Intent.CODE, Intent.WALK_TIME, Intent.NEIGHBOURS,
                 Intent.ROUTE, Intent.CATEGORY, Intent.FLOORS, Intent.FEATURES]
GATE_SPELLING = ("예지문", "애지문")


@dataclass(frozen=True)
class Row:
    """One training example: the engine's prompt and the answer the model should give."""

    id: str
    prompt: str
    completion: str       # the answer followed by END, exactly what the model should emit
    question: str
    facts: str
    answer: str
    lang: Lang
    intent: str
    place: str
    template: str         # phrasing template id (split key)
    kind: str             # "single" | "followup" | "seed"
    guard_ok: bool        # the kiosk's guard would speak (at least the start of) this target
    holdout: str = ""     # "" in train; "template" | "place" | "both" in val
    context: str = ""     # the earlier question of a follow-up (the engine's session history)


class PromptRecorder:
    """Stands in for the language model: keeps the prompt the engine built, says nothing."""

    name = "recorder"
    loaded = True

    def __init__(self) -> None:
        self.prompt: str | None = None

    def stream(self, prompt: str, stop: list[str], max_tokens: int | None = None,
               deadline_s: float | None = None, yield_to: object = None) -> Iterator[str]:
        self.prompt = prompt
        return iter(())


def recording_engine(kb: KnowledgeBase | None = None,
                     config: Config | None = None) -> tuple[DialogEngine, PromptRecorder]:
    """A DialogEngine configured as the trained adapter runs it (few_shot 0, LLM on), for
    every question kind: the adapter is trained on all of them, whatever `phrased_kinds`
    the kiosk later leaves to the model."""
    config = config or load_config()
    llm_config = config.llm.model_copy(update={"few_shot": 0, "enabled": True,
                                               "phrased_kinds": list(get_args(QuestionKind))})
    config = config.model_copy(update={"llm": llm_config})
    recorder = PromptRecorder()
    return DialogEngine(config, kb=kb, llm=recorder), recorder  # type: ignore[arg-type]


@dataclass(frozen=True)
class Asked:
    prompt: str
    question: str
    facts: str
    lang: Lang
    intent: Intent
    place: Place


class Asker:
    """Puts questions to the recording engine and reads back what it sent to the model."""

    def __init__(self, kb: KnowledgeBase, config: Config | None = None) -> None:
        self.kb = kb
        self.engine, self._recorder = recording_engine(kb, config)
        self._count = 0

    def ask(self, text: str, before: tuple[str, ...] = ()) -> Asked | None:
        """The prompt for `text` after the turns `before` in a fresh session; None = no LLM."""
        self._count += 1
        session = f"train-{self._count}"
        for earlier in before:
            self.engine.answer(earlier, session)
        self._recorder.prompt = None
        reply = self.engine.answer(text, session)
        self.engine.sessions.reset(session)
        prompt = self._recorder.prompt
        if prompt is None or not reply.places:
            return None
        place = self.kb.by_code(reply.places[0])
        assert place is not None
        intent = Intent(reply.intent)
        lang = reply.lang
        facts = " ".join(answers.facts(place, intent, lang, self.kb))
        question = " ".join(text.split())[: self.engine._config.dialog.max_input_chars]
        if build_prompt(facts, question) != prompt:  # the engine changed: fail loudly
            raise AssertionError(f"engine prompt differs from build_prompt for {text!r}")
        return Asked(prompt, question, facts, lang, intent, place)

    def target(self, asked: Asked) -> tuple[str, bool]:
        """The composed KB answer and whether the guard would let the kiosk speak it."""
        answer = answers.compose(asked.place, asked.intent, asked.lang, self.kb)
        return answer, self.passes_guard(asked, answer)

    def spoken(self, asked: Asked, answer: str) -> str:
        """What the kiosk would say if the model produced `answer` (the engine's guard flow:
        sentence by sentence, stopping at the first rejected one); "" = template fallback."""
        return guarded(self.engine, asked.facts, asked.lang, asked.place, asked.intent, answer)

    def passes_guard(self, asked: Asked, answer: str) -> bool:
        return self.spoken(asked, answer) != ""


def guarded(engine: DialogEngine, facts: str, lang: Lang, place: Place, intent: Intent,
            answer: str) -> str:
    """`answer` as the engine's GuardedReply would release it; "" when nothing passes or what
    passes does not state the asked-for facts (a training target must answer by itself, with
    no KB sentence added at run time).

    Uses the engine's own requirements and mention finder on purpose: the point is to apply
    exactly the run-time guard, not a copy of it.
    """
    reply = GuardedReply(facts, lang, engine.requirements(place, intent, lang),
                         engine.mentions, None, template="")
    buffer = SentenceBuffer()
    if reply.accept(buffer.feed(answer)):
        reply.accept(buffer.flush())
    return " ".join(reply.spoken) if reply.answers_question() else ""


def _row_id(prompt: str, completion: str) -> str:
    return hashlib.sha1((prompt + "\x00" + completion).encode()).hexdigest()[:12]


def _row(asked: Asked, answer: str, ok: bool, template: str, kind: str,
         context: str = "") -> Row:
    completion = answer + END
    return Row(_row_id(asked.prompt, completion), asked.prompt, completion, asked.question,
               asked.facts, answer, asked.lang, asked.intent.value, asked.place.code, template,
               kind, ok, context=context)


def _names(place: Place, lang: str, count: int, rng: random.Random) -> list[str]:
    """The official name first, then aliases in the question's script, up to `count`."""
    aliases = [a for a in place.aliases(lang)  # type: ignore[arg-type]
               if (lang == "ko") == bool(re.search("[가-힣]", a))]
    rng.shuffle(aliases)
    return list(dict.fromkeys([place.name(lang), *aliases]))[:count]  # type: ignore[arg-type]


def _single(asker: Asker, places: list[Place], cfg: DatasetConfig,
            counts: Counter[str]) -> Iterator[Row]:
    rng = random.Random(cfg.seed)
    for place in places:
        for intent in PLACE_INTENTS:
            for lang in ("en", "ko"):
                names = _names(place, lang, cfg.names_per_place, rng)
                for i, template in enumerate(phrasings.TEMPLATES[intent][lang]):
                    tid = f"{lang}.{intent.value}.{i:02d}"
                    name = names[i % len(names)]
                    text = phrasings.fill(template, name)
                    texts = [text] + [phrasings.noisy(text, lang, name, rng)
                                      for _ in range(cfg.variants_per_template - 1)]
                    for variant in dict.fromkeys(texts):
                        yield from _checked(asker, variant, (), place, tid, "single", counts)


def _followups(asker: Asker, places: list[Place], cfg: DatasetConfig,
               counts: Counter[str]) -> Iterator[Row]:
    """A first turn naming the place, then a pronoun question the engine resolves from it."""
    rng = random.Random(cfg.seed + 1)
    kinds = [(intent, lang, i, text) for intent, langs in phrasings.FOLLOWUPS.items()
             for lang, texts in langs.items() for i, text in enumerate(texts)]
    for place in places:
        for intent, lang, i, text in rng.sample(kinds, min(cfg.followups_per_place, len(kinds))):
            opener = phrasings.fill(phrasings.TEMPLATES[Intent.LOCATION][lang][0],
                                    place.name(lang))  # type: ignore[arg-type]
            tid = f"f.{lang}.{intent.value}.{i:02d}"
            yield from _checked(asker, text, (opener,), place, tid, "followup", counts)


def _checked(asker: Asker, text: str, before: tuple[str, ...], place: Place, template: str,
             kind: str, counts: Counter[str]) -> Iterator[Row]:
    asked = asker.ask(text, before)
    if asked is None:
        counts["dropped_no_llm"] += 1
        return
    if asked.place.code != place.code:
        counts["dropped_other_place"] += 1
        return
    answer, ok = asker.target(asked)
    yield _row(asked, answer, ok, template, kind, " ".join(before))


def seed_rows(asker: Asker, folder: Path, limit: int, counts: Counter[str]) -> Iterator[Row]:
    """On-campus seed QA whose numbers agree with the KB; the target stays grounded.

    The seed answer is kept when the guard accepts it for the engine's facts (so it states
    nothing the KB does not give); otherwise the question is kept with the composed answer.
    A seed answer with a number the KB contradicts drops the pair.
    """
    kept = 0
    for path in sorted(folder.glob("*_data_in_messages.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if kept >= limit:
                return
            turns = {m["role"]: m["content"].replace(*GATE_SPELLING) for m in item["messages"]}
            question, seed_answer = turns.get("user", ""), turns.get("assistant", "")
            asked = asker.ask(question) if question else None
            if asked is None:
                counts["seed_no_llm"] += 1
                continue
            place_numbers = set(guard.NUMBER.findall(" ".join(
                " ".join(answers.facts(asked.place, i, lang, asker.kb))
                for i in PLACE_INTENTS for lang in ("ko", "en"))))
            if not set(guard.NUMBER.findall(seed_answer)) <= place_numbers:
                counts["seed_contradicts_kb"] += 1
                continue
            if asker.passes_guard(asked, seed_answer):
                counts["seed_answer_kept"] += 1
                answer, ok = seed_answer, True
            else:
                counts["seed_answer_replaced"] += 1
                answer, ok = asker.target(asked)
            kept += 1
            yield _row(asked, answer, ok, "seed", "seed")


def deduplicate(rows: list[Row]) -> list[Row]:
    """One row per (prompt, completion): noise and aliases often produce the same question."""
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row.id, row)
    return list(seen.values())


def choose_holdouts(rows: list[Row], cfg: DatasetConfig) -> tuple[set[str], set[str]]:
    """Held-out template ids (per language and kind) and place codes, chosen by seed."""
    rng = random.Random(cfg.seed + 2)
    groups: dict[str, list[str]] = {}
    for tid in sorted({r.template for r in rows if r.template != "seed"}):
        groups.setdefault(tid.rsplit(".", 1)[0], []).append(tid)
    templates: set[str] = set()
    for tids in groups.values():
        count = round(len(tids) * cfg.holdout_template_share)
        if cfg.holdout_template_share > 0 and len(tids) >= 3:
            count = max(1, count)
        templates.update(rng.sample(tids, count))
    codes = sorted({r.place for r in rows})
    count = round(len(codes) * cfg.holdout_place_share)
    if cfg.holdout_place_share > 0 and len(codes) >= 3:
        count = max(1, count)
    return templates, set(rng.sample(codes, count))


def split(rows: list[Row], cfg: DatasetConfig) -> tuple[list[Row], list[Row]]:
    """Train: seen templates on seen places. Val: every row with an unseen template or place."""
    templates, places = choose_holdouts(rows, cfg)
    train, val = [], []
    for row in rows:
        held = (row.template in templates, row.place in places)
        if not any(held):
            train.append(row)
            continue
        label = "both" if all(held) else ("template" if held[0] else "place")
        val.append(Row(**{**asdict(row), "holdout": label}))
    return train, val


def build(cfg: DatasetConfig, kb: KnowledgeBase | None = None,
          config: Config | None = None) -> tuple[list[Row], list[Row], dict[str, object]]:
    """All rows, deduplicated and split; plus the stats that go to stats.json."""
    kb = kb or KnowledgeBase.load()
    places = [p for p in kb.places if not cfg.places or p.code in cfg.places]
    asker = Asker(kb, config)
    counts: Counter[str] = Counter()
    rows = list(_single(asker, places, cfg, counts))
    rows += list(_followups(asker, places, cfg, counts))
    if cfg.seed_data is not None:
        rows += list(seed_rows(asker, cfg.seed_data, cfg.seed_limit, counts))
    before = len(rows)
    rows = deduplicate(rows)
    counts["duplicates_removed"] = before - len(rows)
    train, val = split(rows, cfg)
    stats = statistics(train, val, counts)
    log.info("event=dataset_built train=%d val=%d duplicates=%d dropped_other_place=%d",
             len(train), len(val), counts["duplicates_removed"], counts["dropped_other_place"])
    return train, val, stats


def statistics(train: list[Row], val: list[Row], counts: Counter[str]) -> dict[str, object]:
    def by(rows: list[Row], key: str) -> dict[str, int]:
        return dict(sorted(Counter(str(getattr(r, key)) for r in rows).items()))

    everything = train + val
    return {
        "train": len(train), "val": len(val),
        "by_lang": by(everything, "lang"), "by_intent": by(everything, "intent"),
        "by_kind": by(everything, "kind"), "val_holdout": by(val, "holdout"),
        "places": len({r.place for r in everything}),
        "val_places": sorted({r.place for r in val if r.holdout in ("place", "both")}),
        "val_templates": sorted({r.template for r in val if r.holdout in ("template", "both")}),
        "target_guard_pass_pct": round(100 * sum(r.guard_ok for r in everything)
                                       / max(1, len(everything)), 1),
        "target_guard_fail_by_intent": by([r for r in everything if not r.guard_ok], "intent"),
        "answer_chars_mean": round(sum(len(r.answer) for r in everything)
                                   / max(1, len(everything)), 1),
        "refusals": "none: the engine answers unknown places and off-topic from templates",
        **dict(counts),
    }


def write_jsonl(path: Path, rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[Row]:
    return [Row(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write(out_dir: Path, train: list[Row], val: list[Row], stats: dict[str, object]) -> None:
    write_jsonl(out_dir / "train.jsonl", train)
    write_jsonl(out_dir / "val.jsonl", val)
    (out_dir / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
