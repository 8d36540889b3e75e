"""The whole training path on a tiny budget: dataset, LoRA finetune, LoRA GGUF export, and the
adapter loaded by llama-cpp-python through the kiosk's LanguageModel (config `llm.lora`).

A few minutes on 2 CPU cores: 6 places, 5 steps of 2 sequences, r=4, max_seq_len 160.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="training extra not installed: pip install -e '.[train]'")
pytest.importorskip("transformers", reason="training extra not installed")
pytest.importorskip("peft", reason="training extra not installed")

from kiosk.config import Config
from kiosk.dialog.llm import LanguageModel
from kiosk.dialog.prompt import STOP, build_prompt
from kiosk.train import pipeline
from kiosk.train.config import load_train_config


@pytest.mark.slow
def test_tiny_run_trains_exports_and_loads_in_llama_cpp(config: Config, tmp_path: Path) -> None:
    gguf = config.model_path(config.llm.model)
    if not gguf.is_file():
        pytest.skip(f"base model not found: {gguf} (run `kiosk models fetch`)")
    cfg = load_train_config("tiny", overrides={"out_dir": str(tmp_path),
                                               "evaluate": {"perplexity_limit": 2,
                                                            "val_limit": 2}})
    summaries = pipeline.run(cfg, config)

    assert summaries["dataset"]["train"] > 100
    train = summaries["finetune"]
    assert train["steps"] == 5 and train["final_loss"] < 10
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()

    lora = tmp_path / pipeline.LORA_FILE
    assert lora.read_bytes()[:4] == b"GGUF"
    assert 100_000 < lora.stat().st_size < 5_000_000
    assert summaries["export"]["verify_text"].strip()

    # The adapter through the kiosk's own loader, as config.toml would name it.
    llm_config = config.llm.model_copy(update={"lora": str(lora), "few_shot": 0})
    llm = LanguageModel(config.model_copy(update={"llm": llm_config}))
    try:
        text = "".join(llm.stream(build_prompt(
            "Hanyang Plaza (building 105): 1 minute walk from Aeji Gate building number: 105",
            "What number is Hanyang Plaza?"), STOP, max_tokens=24))
        assert llm.name.endswith("+lora.gguf")
    finally:
        llm.unload()
    assert text.strip()

    results = json.loads((tmp_path / "eval.json").read_text())
    assert len(results["models"]) == 2
    report = (tmp_path / "report.md").read_text()
    assert "fact acc. %" in report and "loss.png" in report

    # A rerun skips finished stages (resumable), and finetune resumes from its checkpoint.
    again = pipeline.run(cfg, config, ("dataset", "finetune"))
    assert again["finetune"]["steps"] == 5
