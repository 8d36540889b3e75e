"""Shared fixtures: the repository config, the models folder and the real models, each loaded once
per session (tests that need a missing model are skipped with the reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import daemon
from kiosk.config import Config, load_config

DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture(scope="session")
def models_dir(config: Config) -> Path:
    return config.resolve(config.paths.models_dir)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


def _require(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"model not found: {path} (run `kiosk models fetch`)")


@pytest.fixture(scope="session")
def silero(config: Config):
    from kiosk.speech.vad import SileroVad

    path = config.model_path(config.vad.model)
    _require(path)
    return SileroVad(path)


@pytest.fixture(scope="session")
def transcriber(config: Config):
    from kiosk.speech.asr import Transcriber

    _require(config.model_path(config.asr.model) / "model.bin")
    asr = Transcriber(config)
    asr.load()
    yield asr
    asr.unload()


@pytest.fixture(scope="session")
def speaker(config: Config):
    from kiosk.speech.tts import Speaker

    _require(config.model_path(config.tts.voices["en"]))
    tts = Speaker(config)
    tts.load("en")
    yield tts
    tts.unload()


@pytest.fixture(scope="module")
def template_models(config: Config) -> daemon.Models:
    """Every model loaded, the language model off: tests of audio and timing, not phrasing
    (and they stay fast). One set per test module."""
    loaded = daemon.Models(config.without_llm())
    loaded.preload()
    return loaded
