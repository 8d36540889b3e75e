"""The full-precision base checkpoint, made once from the kiosk's own GGUF.

Why: no model hub is reachable, and LoRA must be trained on full-precision weights (training on
the seed project's 4-bit merge caused forgetting). transformers can dequantise a GGUF
(`from_pretrained(dir, gguf_file=...)`, ~45 s for the 270M model); the result is cached as an
ordinary HF checkpoint under `out/train/base-hf`, which both finetuning and llama.cpp's LoRA
converter (`--base`) read. The loaded model is flagged as GGUF-quantised and refuses
`save_pretrained` until its quantizer and `quantization_config` are cleared.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = "kiosk-base.json"


def offline() -> None:
    """Never let transformers/peft try the hub: there is none, and a retry loop wastes minutes."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def ensure_base_hf(gguf: Path, out_dir: Path) -> Path:
    """`out_dir` holding config, tokenizer and float32 weights of `gguf`; built once."""
    offline()
    marker = out_dir / MARKER
    stamp = {"gguf": str(gguf.resolve()), "size": gguf.stat().st_size}
    if marker.is_file() and json.loads(marker.read_text()) == stamp:
        return out_dir
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    log.info("event=base_convert gguf=%s out=%s", gguf, out_dir)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    marker.write_text(json.dumps(stamp) + "\n")
    log.info("event=base_ready out=%s seconds=%.0f", out_dir, time.perf_counter() - started)
    return out_dir
