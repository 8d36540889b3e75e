"""Scores the dialog engine on a held-out question set (JSON lines).

Each item: `{"id", "text", "session", "lang", "expect": {"places", "must_include", "refusal"}}`.
An answer is *correct* when it refuses exactly when it should, names the expected place, states
every `must_include` fact and is in the question's language. It is *hallucinated* when it
states a number or names a place that the knowledge base does not give for the answered place
(its own facts and its neighbours'), whatever else it got right. The share of answers phrased
by the model (source "llm") tells how much the guard had to fall back to templates.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.campus import answers, retrieval
from kiosk.campus.retrieval import Intent
from kiosk.dialog import guard
from kiosk.dialog.engine import DialogEngine, Reply
from kiosk.errors import KioskError, one_line

DEFAULT_SET = Path(__file__).resolve().parent / "data" / "campus_eval.jsonl"


class Expectation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    places: list[str] = Field(default_factory=list)
    must_include: list[str] = Field(default_factory=list)
    refusal: bool = False


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    text: str
    session: str | None = None
    lang: str
    expect: Expectation


@dataclass(frozen=True)
class Outcome:
    item: EvalItem
    reply: Reply
    correct: bool
    hallucinated: bool
    problem: str


def numbered_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a question set with their numbers; a file that cannot be read
    is one clear error, not a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KioskError(f"question set {path}: {one_line(error)}") from None
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for number, line in numbered_lines(path):
        try:
            items.append(EvalItem.model_validate_json(line))
        except ValidationError as error:
            raise KioskError(f"eval set {path} line {number}: {error.errors()[0]['msg']}") from None
    return items


def grounding_text(engine: DialogEngine, codes: tuple[str, ...], lang: str) -> str:
    """Every fact the KB gives for the answered places, in both languages."""
    parts: list[str] = []
    for code in codes:
        place = engine.kb.by_code(code)
        if place is None:
            continue
        for fact_lang in ("ko", "en"):
            for intent in Intent:
                parts.extend(answers.facts(place, intent, fact_lang, engine.kb))
            parts.append(answers.compose(place, Intent.LOCATION, fact_lang, engine.kb))
    return " ".join(parts)


def _judge(engine: DialogEngine, item: EvalItem, reply: Reply) -> tuple[bool, bool, str]:
    text = reply.answer
    grounding = grounding_text(engine, reply.places, reply.lang)
    stray_numbers = [n for n in guard.NUMBER.findall(text)
                     if n not in guard.NUMBER.findall(grounding)]
    stray_places = engine.mentions.codes(text) - engine.mentions.codes(grounding) - set(
        reply.places)
    hallucinated = bool(reply.source != "refusal" and (stray_numbers or stray_places))
    refused = reply.source == "refusal"
    if item.expect.refusal != refused:
        return False, hallucinated, "should refuse" if item.expect.refusal else "refused"
    if hallucinated:
        return False, True, f"stray fact {(stray_numbers or sorted(stray_places))[0]}"
    if refused:
        return retrieval.detect_language(text) == item.lang, False, "language"
    if item.expect.places and reply.places[:1] != tuple(item.expect.places[:1]):
        return False, False, f"place {','.join(reply.places) or '-'}"
    folded = text.lower()
    missing = [m for m in item.expect.must_include if m.lower() not in folded]
    if missing:
        return False, False, f"missing {missing[0]!r}"
    if retrieval.detect_language(text) != item.lang:
        return False, False, "language"
    return True, False, ""


def run(engine: DialogEngine, items: list[EvalItem]) -> list[Outcome]:
    outcomes = []
    for item in items:
        session = f"eval-{item.session}" if item.session else f"eval-one-{item.id}"
        reply = engine.answer(item.text, session)
        if not item.session:
            engine.sessions.reset(session)
        correct, hallucinated, problem = _judge(engine, item, reply)
        outcomes.append(Outcome(item, reply, correct, hallucinated, problem))
    return outcomes


def summarise(outcomes: list[Outcome], wall_s: float) -> dict[str, object]:
    n = len(outcomes)
    answered = [o for o in outcomes if o.reply.source != "refusal"]
    totals = [o.reply.timings_ms["total"] for o in outcomes]
    sources = Counter(o.reply.source for o in outcomes)
    guards = Counter(o.reply.guard for o in outcomes if o.reply.source == "template")
    by_lang = {lang: round(100 * sum(o.correct for o in outcomes if o.item.lang == lang)
                           / max(1, sum(o.item.lang == lang for o in outcomes)), 1)
               for lang in ("ko", "en")}
    by_kind: dict[str, list[bool]] = {}
    for o in outcomes:
        kind = "refusal" if o.item.expect.refusal else retrieval.classify_intent(
            o.item.text, o.item.lang).value  # type: ignore[arg-type]
        by_kind.setdefault(kind, []).append(o.correct)
    return {
        "questions": n,
        "correct_pct": round(100 * sum(o.correct for o in outcomes) / n, 1),
        "hallucinated_pct": round(100 * sum(o.hallucinated for o in outcomes) / n, 1),
        "llm_share_of_answers_pct": round(
            100 * sources["llm"] / max(1, len(answered)), 1),
        "sources": dict(sources),
        "template_reasons": dict(guards.most_common()),
        "correct_pct_by_lang": by_lang,
        "correct_pct_by_kind": {kind: round(100 * sum(oks) / len(oks), 1)
                                for kind, oks in sorted(by_kind.items())},
        "latency_ms_mean": round(statistics.fmean(totals), 1),
        "latency_ms_p95": round(sorted(totals)[int(0.95 * (n - 1))], 1),
        "wall_s": round(wall_s, 1),
    }


def evaluate(engine: DialogEngine, path: Path = DEFAULT_SET) -> tuple[dict[str, object],
                                                                        list[Outcome]]:
    items = load_items(path)
    started = time.perf_counter()
    outcomes = run(engine, items)
    return summarise(outcomes, time.perf_counter() - started), outcomes


def format_report(summary: dict[str, object], outcomes: list[Outcome]) -> str:
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in summary.items()]
    failures = [o for o in outcomes if not o.correct]
    if failures:
        lines.append("failures:")
        lines += [f"  {o.item.id} [{o.problem}] {o.item.text!r} -> {o.reply.answer!r}"
                  for o in failures]
    return "\n".join(lines)
