"""`kiosk train [dataset|finetune|export|evaluate]`: the stages, in order, resumable.

Why markers: a run on 2 CPU cores takes most of an hour, so each finished stage leaves
`stages/<stage>.json` (its summary) and a rerun skips it; finetuning itself resumes from its
last checkpoint. `--force` reruns the named stage (and, for a full run, all of them).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from pathlib import Path

from kiosk.config import REPO_ROOT, Config
from kiosk.train.config import TrainConfig, load_train_config

log = logging.getLogger(__name__)

STAGES = ("dataset", "finetune", "export", "evaluate")
LORA_FILE = "lora.gguf"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    train = sub.add_parser("train", help="build the campus dataset, fine-tune, export a GGUF",
                           description="Runs the training stages in order; a finished stage "
                           "is skipped on a rerun (finetune resumes from its checkpoint).")
    train.add_argument("stage", nargs="?", choices=[*STAGES, "all"], default="all")
    train.add_argument("--preset", help="cpu-270m (the committed adapter) or tiny (smoke run)")
    train.add_argument("--train-config", help="TOML/JSON file with training settings")
    train.add_argument("--out", help="output folder (default: out/train)")
    train.add_argument("--seed-data", help="mix in the seed QA pairs from this folder")
    train.add_argument("--max-steps", type=int, help="override finetune.max_steps")
    train.add_argument("--publish", help="copy adapter, config, report and curve here")
    train.add_argument("--force", action="store_true", help="rerun finished stages")


def command(args: argparse.Namespace, config: Config) -> int:
    overrides: dict[str, object] = {}
    if args.out:
        overrides["out_dir"] = str(Path(args.out).resolve())
    if args.seed_data:
        overrides["dataset"] = {"seed_data": str(Path(args.seed_data).resolve())}
    if args.max_steps is not None:
        overrides["finetune"] = {"max_steps": args.max_steps}
    if args.publish:
        overrides["publish_dir"] = str(Path(args.publish).resolve())
    cfg = load_train_config(args.preset, Path(args.train_config) if args.train_config else None,
                            overrides)
    stages = STAGES if args.stage == "all" else (args.stage,)
    run(cfg, config, stages, force=args.force)
    return 0


def _marker(cfg: TrainConfig, stage: str) -> Path:
    return cfg.path("stages", f"{stage}.json")


def _done(cfg: TrainConfig, stage: str) -> dict[str, object] | None:
    path = _marker(cfg, stage)
    return json.loads(path.read_text()) if path.is_file() else None


def _finish(cfg: TrainConfig, stage: str, summary: dict[str, object]) -> None:
    path = _marker(cfg, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


def run(cfg: TrainConfig, config: Config, stages: tuple[str, ...] = STAGES,
        force: bool = False) -> dict[str, dict[str, object]]:
    """Run `stages` (skipping finished ones unless `force`); returns each stage's summary."""
    from kiosk.train.base import offline

    offline()
    cfg.path().mkdir(parents=True, exist_ok=True)
    cfg.dump(cfg.path("train_config.json"))
    summaries: dict[str, dict[str, object]] = {}
    for stage in stages:
        previous = None if force else _done(cfg, stage)
        if previous is not None:
            log.info("event=stage_skip stage=%s (done; --force to rerun)", stage)
            summaries[stage] = previous
            continue
        if force and stage == "finetune":  # a forced finetune starts over, not from a checkpoint
            shutil.rmtree(cfg.path("checkpoints"), ignore_errors=True)
        started = time.perf_counter()
        log.info("event=stage_start stage=%s out=%s", stage, cfg.path())
        summary = STAGE_FUNCS[stage](cfg, config)
        summary["stage_seconds"] = round(time.perf_counter() - started, 1)
        _finish(cfg, stage, summary)
        summaries[stage] = summary
        log.info("event=stage_done stage=%s seconds=%.0f", stage, summary["stage_seconds"])
    if "evaluate" in stages:
        write_report(cfg)
    return summaries


def _base_dir(cfg: TrainConfig, config: Config) -> Path:
    from kiosk.train.base import ensure_base_hf

    return ensure_base_hf(config.model_path(cfg.finetune.base_gguf), cfg.path("base-hf"))


def _dataset(cfg: TrainConfig, config: Config) -> dict[str, object]:
    from kiosk.train import dataset

    engine_log = logging.getLogger("kiosk.dialog.engine")
    level = engine_log.level
    engine_log.setLevel(logging.WARNING)  # one "event=turn" line per generated question: noise
    try:
        train, val, stats = dataset.build(cfg.dataset, config=config)
    finally:
        engine_log.setLevel(level)
    dataset.write(cfg.path(), train, val, stats)
    return {"train": len(train), "val": len(val)}


def _finetune(cfg: TrainConfig, config: Config) -> dict[str, object]:
    from kiosk.train import finetune

    if cfg.path("adapter").exists():
        shutil.rmtree(cfg.path("adapter"))
    summary = finetune.train(cfg.path(), _base_dir(cfg, config), cfg.finetune)
    finetune.plot_loss(cfg.path("loss.jsonl"), cfg.path("loss.png"))
    return summary


def _export(cfg: TrainConfig, config: Config) -> dict[str, object]:
    from kiosk.dialog.prompt import build_prompt
    from kiosk.train import export

    converter = export.converter_dir(cfg.path("tools"), cfg.export.converter_dir)
    out = export.export_lora(cfg.path("adapter"), _base_dir(cfg, config), cfg.path(LORA_FILE),
                             cfg.export.outtype, converter)
    prompt = build_prompt("Main Building (building 102): 3 minutes walk from Aeji Gate "
                          "building number: 102", cfg.export.verify_question)
    text = export.verify(out, prompt, config.llm.model)
    return {"file": str(out), "bytes": out.stat().st_size, "verify_text": text}


def _evaluate(cfg: TrainConfig, config: Config) -> dict[str, object]:
    from kiosk.train import evaluate

    lora = cfg.path(LORA_FILE)
    results = evaluate.run(cfg.path(), _base_dir(cfg, config), lora if lora.is_file() else None,
                           cfg.evaluate)
    models = results["models"]
    if not isinstance(models, dict):  # evaluate.run maps each contender's name to its scores
        raise TypeError(f"evaluate.run gave models as {type(models).__name__}, not a dict")
    return {"models": list(models)}


STAGE_FUNCS = {"dataset": _dataset, "finetune": _finetune, "export": _export,
               "evaluate": _evaluate}


def write_report(cfg: TrainConfig) -> Path:
    """report.md in the output folder, and the publishable copy when `publish_dir` is set."""
    from kiosk.train import report

    stats = json.loads(cfg.path("stats.json").read_text())
    results = json.loads(cfg.path("eval.json").read_text())
    train = _done(cfg, "finetune") or {}
    lora = cfg.path(LORA_FILE)
    size = lora.stat().st_size if lora.is_file() else None
    text = report.render(cfg.name, stats, train, results, cfg.model_dump_json(indent=2), size,
                         "loss.png")
    report.write(cfg.path("report.md"), text)
    if cfg.publish_dir is not None:
        target = cfg.publish_dir if cfg.publish_dir.is_absolute() else REPO_ROOT / cfg.publish_dir
        target.mkdir(parents=True, exist_ok=True)
        for name in (LORA_FILE, "loss.png", "report.md", "train_config.json", "stats.json",
                     "eval.json"):
            if cfg.path(name).is_file():
                shutil.copy2(cfg.path(name), target / (f"{cfg.name}.gguf" if name == LORA_FILE
                                                       else name))
        log.info("event=published dir=%s", target)
        adapter = target / f"{cfg.name}.gguf"
        if adapter.is_file():  # the kiosk refuses an adapter whose manifest hash differs
            from kiosk.modelstore import sha256_of

            log.warning("event=adapter_published path=%s size=%d sha256=%s note=update its "
                        "entry in models/manifest.toml if it has one", adapter,
                        adapter.stat().st_size, sha256_of(adapter))
    return cfg.path("report.md")
