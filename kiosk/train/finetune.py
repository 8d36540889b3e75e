"""Stage 2: LoRA finetuning with transformers + peft, the loss on the answer tokens only.

Why the loss is computed by hand: Gemma's output layer has 262k rows, and on 2 CPU cores
computing logits for every position dominates a step. Only the answer tokens carry loss, so
the hidden states are gathered at those positions first and only they go through `lm_head`.

The loop is plain torch driven by accelerate's `Accelerator`, so the same code runs on CPU,
one GPU, or several under `accelerate launch` (each process takes its share of every batch).
Batches are a fixed, seeded plan of row indices, so a run resumed from a checkpoint continues
with exactly the batches it would have seen.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.train.config import FinetuneConfig
from kiosk.train.dataset import Row, read_jsonl

log = logging.getLogger(__name__)

IGNORE = -100


@dataclass(frozen=True)
class Example:
    ids: list[int]
    answer_start: int     # index of the first answer token in `ids`


def tokenise(rows: list[Row], tokenizer, max_seq_len: int) -> tuple[list[Example], int]:  # type: ignore[no-untyped-def]
    """Prompt (with BOS, as llama.cpp adds it) + completion, each tokenised once.

    A row longer than `max_seq_len` keeps its whole prompt and loses the end of its answer;
    a row whose prompt alone leaves fewer than 8 answer tokens is dropped (count returned).
    """
    examples, dropped = [], 0
    prompts = tokenizer([r.prompt for r in rows], add_special_tokens=True)["input_ids"]
    answers = tokenizer([r.completion for r in rows], add_special_tokens=False)["input_ids"]
    for prompt, answer in zip(prompts, answers, strict=True):
        room = max_seq_len - len(prompt)
        if room < 8:
            dropped += 1
            continue
        examples.append(Example(list(prompt) + list(answer[:room]), len(prompt)))
    return examples, dropped


def batch_plan(n_rows: int, cfg: FinetuneConfig) -> list[list[int]]:
    """Row indices of every optimiser step: seeded shuffles, epoch after epoch."""
    per_step = cfg.batch_size * cfg.grad_accum
    steps = cfg.max_steps or max(1, math.ceil(cfg.epochs * n_rows / per_step))
    rng = random.Random(cfg.seed)
    order: list[int] = []
    while len(order) < steps * per_step:
        epoch = list(range(n_rows))
        rng.shuffle(epoch)
        order += epoch
    return [order[i * per_step:(i + 1) * per_step] for i in range(steps)]


def collate(examples: list[Example], pad_id: int):  # type: ignore[no-untyped-def]
    """Right-padded ids, attention mask, and (row, position, target) of every answer token.

    Position p predicts token p+1, so an answer token at index t is scored from hidden state
    t-1.
    """
    import torch

    width = max(len(e.ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    rows, positions, targets = [], [], []
    for b, e in enumerate(examples):
        ids[b, :len(e.ids)] = torch.tensor(e.ids)
        mask[b, :len(e.ids)] = 1
        for t in range(e.answer_start, len(e.ids)):
            rows.append(b)
            positions.append(t - 1)
            targets.append(e.ids[t])
    return (ids, mask, torch.tensor(rows), torch.tensor(positions), torch.tensor(targets))


def answer_loss_module(model):  # type: ignore[no-untyped-def]
    """An nn.Module whose forward returns the mean answer-token loss (DDP wraps this)."""
    import torch
    from torch import nn

    class AnswerOnlyLoss(nn.Module):
        def __init__(self, lm) -> None:  # type: ignore[no-untyped-def]
            super().__init__()
            self.lm = lm

        def forward(self, ids, mask, rows, positions, targets):  # type: ignore[no-untyped-def]
            causal = self.lm.get_base_model()
            hidden = causal.model(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = causal.lm_head(hidden[rows, positions]).float()
            cap = getattr(causal.config, "final_logit_softcapping", None)
            if cap:
                logits = torch.tanh(logits / cap) * cap
            return nn.functional.cross_entropy(logits, targets)

    return AnswerOnlyLoss(model)


def lora_model(base_dir: Path, cfg: FinetuneConfig):  # type: ignore[no-untyped-def]
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32,
                                                 attn_implementation="eager")
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM",
                      bias="none")
    return get_peft_model(model, lora)


def _schedule(optimizer, cfg: FinetuneConfig, steps: int):  # type: ignore[no-untyped-def]
    """Linear warm-up, then linear decay to 10% of the peak rate."""
    from torch.optim.lr_scheduler import LambdaLR

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        left = (steps - step) / max(1, steps - cfg.warmup_steps)
        return 0.1 + 0.9 * max(0.0, left)

    return LambdaLR(optimizer, factor)


def latest_checkpoint(folder: Path) -> Path | None:
    done = sorted(p for p in folder.glob("step-*") if (p / "state.json").is_file())
    return done[-1] if done else None


class History:
    """Loss per step (and validation loss per checkpoint) as JSON lines, kept across resumes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, record: dict[str, float]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def read(self) -> list[dict[str, float]]:
        if not self.path.is_file():
            return []
        return [json.loads(x) for x in self.path.read_text().splitlines() if x.strip()]

    def truncate(self, step: int) -> None:
        """Drop records after `step` (a crash after the last checkpoint leaves some)."""
        kept = [r for r in self.read() if r["step"] <= step]
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def train(out_dir: Path, base_dir: Path, cfg: FinetuneConfig) -> dict[str, object]:
    """Train (or resume) and save the adapter to `out_dir/adapter`; returns a summary."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import AutoTokenizer

    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    accelerator = Accelerator(mixed_precision=_precision(cfg.precision))
    set_seed(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    train_rows = read_jsonl(out_dir / "train.jsonl")
    val_rows = read_jsonl(out_dir / "val.jsonl")
    examples, dropped = tokenise(train_rows, tokenizer, cfg.max_seq_len)
    val_pick = random.Random(cfg.seed).sample(val_rows, min(cfg.val_rows, len(val_rows)))
    val_examples, _ = tokenise(val_pick, tokenizer, cfg.max_seq_len)
    plan = batch_plan(len(examples), cfg)
    log.info("event=finetune_start rows=%d dropped_too_long=%d steps=%d batch=%d device=%s "
             "threads=%d processes=%d", len(examples), dropped, len(plan), cfg.batch_size,
             accelerator.device, torch.get_num_threads(), accelerator.num_processes)

    model = lora_model(base_dir, cfg)
    module = answer_loss_module(model)
    params = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = _schedule(optimizer, cfg, len(plan))
    module, optimizer, scheduler = accelerator.prepare(module, optimizer, scheduler)

    ckpt_dir = out_dir / "checkpoints"
    history = History(out_dir / "loss.jsonl")
    start = 0
    latest = latest_checkpoint(ckpt_dir)
    if latest is not None:
        start = _restore(accelerator, module, optimizer, scheduler, latest)
        history.truncate(start)
        log.info("event=finetune_resume checkpoint=%s step=%d", latest, start)
    elif accelerator.is_main_process:
        history.path.unlink(missing_ok=True)

    pad = tokenizer.pad_token_id or 0
    rank, world = accelerator.process_index, accelerator.num_processes
    started = time.perf_counter()
    window: list[float] = []
    module.train()
    for step in range(start, len(plan)):
        step_started = time.perf_counter()
        indices = plan[step][rank::world]
        loss_sum = 0.0
        for micro in range(cfg.grad_accum):
            chunk = indices[micro * cfg.batch_size // world:(micro + 1) * cfg.batch_size // world]
            if not chunk:
                continue
            batch = [t.to(accelerator.device) for t in
                     collate([examples[i] for i in chunk], pad)]
            with accelerator.autocast():
                loss = module(*batch) / cfg.grad_accum
            accelerator.backward(loss)
            loss_sum += loss.item()
        accelerator.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        window.append(loss_sum)
        done = step + 1
        if accelerator.is_main_process:
            history.add({"step": done, "loss": loss_sum, "lr": scheduler.get_last_lr()[0],
                         "seconds": time.perf_counter() - step_started})
        if done % cfg.log_every == 0 or done == len(plan):
            elapsed = time.perf_counter() - started
            log.info("event=train_step step=%d/%d loss=%.4f lr=%.2e s_per_step=%.2f eta_s=%.0f",
                     done, len(plan), sum(window) / len(window), scheduler.get_last_lr()[0],
                     elapsed / (done - start), elapsed / (done - start) * (len(plan) - done))
            window.clear()
        if done % cfg.checkpoint_every == 0 or done == len(plan):
            val = validation_loss(module, val_examples, pad, cfg.batch_size, accelerator)
            if accelerator.is_main_process:
                history.add({"step": done, "val_loss": val})
            _checkpoint(accelerator, module, optimizer, scheduler, ckpt_dir, done)
            log.info("event=checkpoint step=%d val_loss=%.4f", done, val)

    seconds = time.perf_counter() - started
    adapter_dir = out_dir / "adapter"
    if accelerator.is_main_process:
        accelerator.unwrap_model(module).lm.save_pretrained(adapter_dir)
        tokenizer.save_pretrained(adapter_dir)
    accelerator.wait_for_everyone()
    records = [r for r in history.read() if "loss" in r]
    losses = [r["loss"] for r in records]
    timed = [r["seconds"] for r in records if "seconds" in r]  # across resumes too
    total = sum(timed) if timed else seconds
    summary: dict[str, object] = {
        "steps": len(plan), "resumed_from": start, "rows": len(examples),
        "dropped_too_long": dropped, "train_seconds": round(total, 1),
        "s_per_step": round(total / max(1, len(timed) or len(plan) - start), 2),
        "final_loss": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "first_loss": round(losses[0], 4) if losses else None}
    log.info("event=finetune_done %s", " ".join(f"{k}={v}" for k, v in summary.items()))
    return summary


def validation_loss(module, examples: list[Example], pad: int, batch_size: int,  # type: ignore[no-untyped-def]
                    accelerator) -> float:
    import torch

    if not examples:
        return float("nan")
    module.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            batch = [t.to(accelerator.device) for t in collate(chunk, pad)]
            with accelerator.autocast():
                total += module(*batch).item() * len(chunk)
            count += len(chunk)
    module.train()
    return total / count


def _precision(choice: str) -> str:
    """bf16 autocast where the hardware has it (CUDA, or a CPU with AMX/AVX512-BF16: ~1.4x
    faster steps here), else full float32."""
    if choice != "auto":
        return choice
    import torch

    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "no"
    try:
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "no"
    except (AttributeError, RuntimeError):
        return "no"


def _trainable(accelerator, module) -> dict[str, object]:  # type: ignore[no-untyped-def]
    inner = accelerator.unwrap_model(module)
    return {n: p.detach().cpu() for n, p in inner.named_parameters() if p.requires_grad}


def _checkpoint(accelerator, module, optimizer, scheduler, folder: Path, step: int,  # type: ignore[no-untyped-def]
                keep: int = 2) -> None:
    """Only what changes: the LoRA weights, optimiser, schedule and RNG (a few MB, not the
    1 GB frozen base that `accelerator.save_state` would write)."""
    import torch

    target = folder / f"step-{step:06d}"
    if accelerator.is_main_process:
        target.mkdir(parents=True, exist_ok=True)
        torch.save({"lora": _trainable(accelerator, module),
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()},
                   target / "trainer.pt")
        (target / "state.json").write_text(json.dumps({"step": step}) + "\n")
        for old in sorted(p for p in folder.glob("step-*") if p != target)[:-(keep - 1) or None]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _restore(accelerator, module, optimizer, scheduler, folder: Path) -> int:  # type: ignore[no-untyped-def]
    import torch

    state = torch.load(folder / "trainer.pt", map_location="cpu", weights_only=False)
    missing = accelerator.unwrap_model(module).load_state_dict(state["lora"], strict=False)
    if missing.unexpected_keys:
        raise RuntimeError(f"checkpoint {folder} does not fit: {missing.unexpected_keys[0]}")
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    random.setstate(state["python_rng"])
    return int(json.loads((folder / "state.json").read_text())["step"])


def plot_loss(history_path: Path, png: Path) -> None:
    """Training loss (smoothed) and validation loss against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = History(history_path).read()
    steps = [r["step"] for r in records if "loss" in r]
    losses = [r["loss"] for r in records if "loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, losses, alpha=0.35, label="train loss (step)")
    k = max(1, len(losses) // 30)
    smooth = [sum(losses[max(0, i - k + 1):i + 1]) / len(losses[max(0, i - k + 1):i + 1])
              for i in range(len(losses))]
    ax.plot(steps, smooth, label=f"train loss (mean of {k})")
    val = [(r["step"], r["val_loss"]) for r in records if "val_loss" in r]
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="val loss (held-out rows)")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy on answer tokens")
    ax.set_title("kiosk campus LoRA")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
