"""report.md for a training run: dataset, training, the comparison tables and the verdict.

Why a verdict in the report: whether the adapter should become the kiosk's default is a rule
(better fact accuracy and language match on held-out rows, and a larger model share on the
answers eval without fewer correct or more hallucinated answers), so it is computed, not argued.
"""

from __future__ import annotations

from pathlib import Path

VAL_COLUMNS = [("fact_accuracy_pct", "fact acc. %"), ("hallucination_pct", "halluc. %"),
               ("guard_pass_pct", "guard pass %"), ("language_match_pct", "lang. match %"),
               ("repetition_pct", "repeat %"), ("bleu", "BLEU"), ("chrf", "chrF"),
               ("perplexity", "ppl (ref.)"), ("seconds_per_answer", "s/answer")]
ANSWER_COLUMNS = [("correct_pct", "correct %"), ("hallucinated_pct", "hallucinated %"),
                  ("llm_share_of_answers_pct", "LLM share %"), ("latency_ms_mean", "mean ms")]


def verdict(models: dict[str, dict[str, object]]) -> tuple[bool, str]:
    """(make the adapter the default?, why) by the rule in the module docstring."""
    names = list(models)
    if len(names) < 2:
        return False, "no trained model evaluated"
    base, trained = models[names[0]], models[names[1]]
    checks = [("fact accuracy", trained["fact_accuracy_pct"] > base["fact_accuracy_pct"]),  # type: ignore[operator]
              ("language match", trained["language_match_pct"] >= base["language_match_pct"])]  # type: ignore[operator]
    a, b = trained.get("answers_eval"), base.get("answers_eval")
    if isinstance(a, dict) and isinstance(b, dict):
        checks += [("LLM share", a["llm_share_of_answers_pct"] > b["llm_share_of_answers_pct"]),
                   ("correct %", a["correct_pct"] >= b["correct_pct"]),
                   ("hallucinated %", a["hallucinated_pct"] <= b["hallucinated_pct"])]
    else:
        checks.append(("answers eval", False))
    failed = [name for name, ok in checks if not ok]
    if failed:
        return False, "not yet: worse or no better on " + ", ".join(failed)
    return True, "yes: better on fact accuracy, language match and LLM share, no worse on " \
                 "correct or hallucinated answers"


def _table(models: dict[str, dict[str, object]], columns: list[tuple[str, str]],
           section: str | None = None) -> list[str]:
    lines = ["| model | " + " | ".join(t for _, t in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for name, scores in models.items():
        source = scores.get(section, {}) if section else scores
        if not isinstance(source, dict):
            continue
        lines.append(f"| {name} | " + " | ".join(str(source.get(k, "–")) for k, _ in columns)
                     + " |")
    return lines


def _fallbacks(models: dict[str, dict[str, object]]) -> list[str]:
    """Why the kiosk spoke the template instead of the model ("slow" = no checked sentence
    within llm.first_sentence_timeout_s), top five per model."""
    lines = []
    for name, scores in models.items():
        summary = scores.get("answers_eval")
        if isinstance(summary, dict):
            reasons = list(summary.get("template_reasons", {}).items())[:5]
            lines.append(f"- template fallbacks, {name}: "
                         + (", ".join(f"{k} {v}" for k, v in reasons) or "none"))
    return lines


def render(name: str, stats: dict[str, object], train: dict[str, object],
           results: dict[str, object], config_json: str, adapter_bytes: int | None,
           loss_png: str) -> str:
    models: dict[str, dict[str, object]] = results.get("models", {})  # type: ignore[assignment]
    default, why = verdict(models)
    lines = [f"# kiosk train: {name}", "",
             "## Dataset", "",
             f"- train rows {stats['train']}, validation rows {stats['val']} "
             f"(held out: {stats['val_holdout']}), places {stats['places']}",
             f"- by language {stats['by_lang']}; by kind {stats['by_kind']}",
             f"- by question kind {stats['by_intent']}",
             f"- targets the kiosk's guard would speak: {stats['target_guard_pass_pct']}%",
             "- refusals: none (the engine answers unknown places and off-topic questions from "
             "templates and never sends them to the model)", "",
             "## Training", "",
             f"- steps {train.get('steps')}, rows {train.get('rows')}, "
             f"{train.get('s_per_step')} s/step, {train.get('train_seconds')} s in all",
             f"- loss {train.get('first_loss')} at the start, {train.get('final_loss')} at the "
             "end (mean of the last 10 steps)",
             f"- adapter GGUF: {adapter_bytes / 1e6:.2f} MB" if adapter_bytes else
             "- adapter GGUF: not exported", "",
             f"![loss curve]({loss_png})", "",
             f"## Held-out rows ({results.get('val_rows')} rows of val.jsonl: unseen phrasing "
             "templates and unseen places)", "", *_table(models, VAL_COLUMNS), "",
             "## Answers eval (kiosk/dialog/data/campus_eval.jsonl through the whole dialog "
             "engine)", "",
             *_table(models, ANSWER_COLUMNS, "answers_eval"), "",
             *_fallbacks(models), "",
             f"## Make the adapter the default? {why}", "",
             "Rule: better fact accuracy and language match on held-out rows, and a larger LLM "
             "share on the answers eval without lower correct % or higher hallucinated %.",
             f"Verdict: {'make it the default' if default else 'keep the base model default'}.",
             "", "## Samples", ""]
    for model, scores in models.items():
        lines.append(f"**{model}**")
        lines.append("")
        samples = scores.get("samples", [])
        for sample in samples if isinstance(samples, list) else []:  # eval.json, read back
            lines.append(f"- Q: {sample['q']}  \n  ref: {sample['ref']}  \n  out: {sample['out']}")
        lines.append("")
    lines += ["## Configuration", "", "```json", config_json.strip(), "```", ""]
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
