"""Stage 4: the base model (few-shot, as the kiosk runs today) against the trained adapter.

Why two views: the held-out rows of val.jsonl show what each model *says* (fact accuracy,
hallucination, language, repetition, BLEU/chrF, perplexity of the reference), while the
answers-issue eval (`kiosk.dialog.evaluate`) shows what the *kiosk* then says after retrieval
and the guard (correct %, hallucinated %, and how often the model's phrasing was used at all).
Generation goes through `LanguageModel` on the Q4_K_M GGUF, exactly as at run time.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.campus import retrieval
from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.retrieval import Intent
from kiosk.config import Config, load_config
from kiosk.dialog import guard
from kiosk.dialog.engine import DialogEngine
from kiosk.dialog.examples import ExampleBank
from kiosk.dialog.llm import LanguageModel
from kiosk.dialog.prompt import STOP, build_prompt
from kiosk.train import metrics
from kiosk.train.config import EvalConfig
from kiosk.train.dataset import Row, guarded, read_jsonl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contender:
    """A model as the kiosk would run it: its config (lora, few_shot) and a display name."""

    name: str
    config: Config


def contenders(lora: Path | None, base_few_shot: int) -> list[Contender]:
    """Base and trained as the kiosk runs them, with the first-sentence deadline lifted to the
    generation timeout (as `kiosk eval` does): the comparison is of grounding and phrasing, not
    of this machine's load at the time (latency is `kiosk bench`'s job)."""
    config = load_config()
    config = config.model_copy(update={"llm": config.llm.model_copy(
        update={"first_sentence_timeout_s": config.llm.timeout_s})})
    base = config.model_copy(update={"llm": config.llm.model_copy(
        update={"lora": None, "few_shot": base_few_shot})})
    out = [Contender(f"base (few_shot={base_few_shot})", base)]
    if lora is not None:
        out.append(Contender("trained (LoRA, few_shot=0)", config.model_copy(update={
            "llm": config.llm.model_copy(update={"lora": str(lora.resolve()), "few_shot": 0})})))
    return out


def sample_rows(rows: list[Row], limit: int, seed: int = 0) -> list[Row]:
    """Up to `limit` rows spread evenly over (language, question kind)."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.lang, row.intent), []).append(row)
    for group in groups.values():
        rng.shuffle(group)
    picked: list[Row] = []
    while len(picked) < min(limit, len(rows)):
        for key in sorted(groups):
            if groups[key] and len(picked) < limit:
                picked.append(groups[key].pop())
    return picked


def _prompt_for(row: Row, few_shot: int, examples: ExampleBank) -> str:
    if few_shot == 0:
        return row.prompt
    intent = Intent(row.intent)
    return build_prompt(row.facts, row.question, examples.for_question(intent, row.lang,
                                                                       row.place))


def _stray(output: str, facts: str, mentions: guard.MentionFinder) -> bool:
    """A number, typed number or place in the output that the facts do not give."""
    allowed = set(guard.NUMBER.findall(facts))
    if any(n not in allowed for n in guard.NUMBER.findall(output)):
        return True
    stated, given = guard.typed_numbers(output), guard.typed_numbers(facts)
    given["code"] |= set(guard.PARENTHESISED.findall(facts))
    if any(stated[u] - given[u] for u in stated):
        return True
    return bool(mentions.codes(output) - mentions.codes(facts))


def score_outputs(rows: list[Row], outputs: list[str], engine: DialogEngine) -> dict[str, float]:
    """Per-model figures over the val rows (percentages, BLEU/chrF 0-100)."""
    kb = engine.kb
    accurate = required_rows = hallucinated = passed = lang_ok = repeated = 0
    for row, out in zip(rows, outputs, strict=True):
        place = kb.by_code(row.place)
        assert place is not None
        intent = Intent(row.intent)
        need = engine.requirements(place, intent, row.lang)
        if need.numbers or need.places:
            required_rows += 1
            numbers_ok = need.numbers <= set(guard.NUMBER.findall(out))
            accurate += numbers_ok and need.places <= engine.mentions.codes(out)
        hallucinated += _stray(out, row.facts, engine.mentions)
        passed += bool(guarded(engine, row.facts, row.lang, place, intent, out))
        hangul = bool(re.search("[가-힣]", out))
        lang_ok += bool(out.strip()) and retrieval.detect_language(out) == row.lang and (
            row.lang == "ko" or not hangul)
        repeated += metrics.repeats(out)
    n = max(1, len(rows))
    refs = [r.answer for r in rows]
    return {
        "rows": len(rows),
        "fact_accuracy_pct": round(100 * accurate / max(1, required_rows), 1),
        "hallucination_pct": round(100 * hallucinated / n, 1),
        "guard_pass_pct": round(100 * passed / n, 1),
        "language_match_pct": round(100 * lang_ok / n, 1),
        "repetition_pct": round(100 * repeated / n, 1),
        "bleu": round(metrics.bleu(outputs, refs), 1),
        "chrf": round(metrics.chrf(outputs, refs), 1),
    }


def generate(llm: LanguageModel, prompts: list[str]) -> tuple[list[str], float]:
    """Greedy completions with the kiosk's stop strings; and mean seconds per prompt."""
    started = time.perf_counter()
    outputs = ["".join(llm.stream(p, STOP)).strip() for p in prompts]
    return outputs, (time.perf_counter() - started) / max(1, len(prompts))


def perplexity(base_dir: Path, adapter: Path | None, prompts: list[str],
               answers: list[str]) -> float:
    """exp(mean NLL) of the reference answers (with END) given each model's own prompt."""
    import math

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kiosk.train.finetune import Example, collate

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for prompt, answer in zip(prompts, answers, strict=True):
            p = tokenizer(prompt, add_special_tokens=True)["input_ids"]
            a = tokenizer(answer, add_special_tokens=False)["input_ids"]
            ids, mask, rows, pos, targets = collate([Example(list(p) + list(a), len(p))], 0)
            hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = model.lm_head(hidden[rows, pos]).float()
            loss = torch.nn.functional.cross_entropy(logits, targets, reduction="sum")
            total += loss.item()
            count += len(targets)
    return round(math.exp(total / max(1.0, count)), 2)


def run(out_dir: Path, base_dir: Path, lora: Path | None, cfg: EvalConfig,
        progress: Callable[[str], None] = log.info) -> dict[str, object]:
    """Every figure for every contender; written to eval.json and report.md by the caller."""
    kb = KnowledgeBase.load()
    rows = sample_rows(read_jsonl(out_dir / "val.jsonl"), cfg.val_limit)
    models: dict[str, dict[str, object]] = {}
    results: dict[str, object] = {"val_rows": len(rows), "models": models}
    for contender in contenders(lora, cfg.base_few_shot):
        llm = LanguageModel(contender.config)
        engine = DialogEngine(contender.config, kb=kb, llm=llm)
        few_shot = contender.config.llm.few_shot
        prompts = [_prompt_for(r, few_shot, ExampleBank(kb, few_shot)) for r in rows]
        outputs, seconds = generate(llm, prompts)
        scores: dict[str, object] = {**score_outputs(rows, outputs, engine),
                                     "seconds_per_answer": round(seconds, 2)}
        progress(f"event=eval_val model={contender.name!r} " + " ".join(
            f"{k}={v}" for k, v in scores.items()))
        if cfg.perplexity_limit:
            subset = rows[: cfg.perplexity_limit]
            scores["perplexity"] = perplexity(  # the peft folder: the GGUF is for llama.cpp
                base_dir, out_dir / "adapter" if few_shot == 0 else None, prompts[: len(subset)],
                [r.completion for r in subset])
        if cfg.answers_eval:
            from kiosk.dialog import evaluate as answers_eval

            path = cfg.answers_set or answers_eval.DEFAULT_SET
            summary, _ = answers_eval.evaluate(engine, path)
            scores["answers_eval"] = summary
            progress(f"event=eval_answers model={contender.name!r} "
                     f"correct_pct={summary['correct_pct']} "
                     f"hallucinated_pct={summary['hallucinated_pct']} "
                     f"llm_share={summary['llm_share_of_answers_pct']}")
        scores["samples"] = [{"q": r.question, "ref": r.answer, "out": o}
                             for r, o in list(zip(rows, outputs, strict=True))[:6]]
        llm.unload()
        models[contender.name] = scores
    (out_dir / "eval.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return results
