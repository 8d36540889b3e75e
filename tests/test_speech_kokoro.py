"""Kokoro as the Korean voice: real model, real Whisper; loading errors are one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.wavio import resample
from kiosk.config import Config
from kiosk.diag.wer import cer
from kiosk.errors import ModelError
from kiosk.speech import kokoro
from kiosk.speech.korean_text import normalise
from kiosk.speech.tts import Speaker


def with_tts(config: Config, **update) -> Config:
    return config.model_copy(update={"tts": config.tts.model_copy(update=update)})


@pytest.fixture(scope="module")
def korean(config: Config, models_dir: Path):
    if not all(p.is_file() for p in kokoro.model_files(models_dir)):
        pytest.skip("Kokoro not fetched (run `kiosk models fetch`)")
    tts = Speaker(config)
    tts.load("ko")
    yield tts
    tts.unload()


def test_kokoro_is_the_default_korean_voice(config: Config) -> None:
    assert config.tts.voices["ko"] == "kokoro:jm_kumo"
    assert Speaker(config).active_korean_voice() == "kokoro:jm_kumo"


def test_korean_round_trip_through_whisper(korean: Speaker, transcriber) -> None:
    text = "백남학술정보관은 501번 건물이에요. 애지문에서 걸어서 약 7분 걸려요."
    speech = korean.synthesize(text, "ko")
    assert speech.rate_hz == kokoro.RATE_HZ and speech.lang == "ko"
    assert speech.samples.dtype == np.float32 and 3 < speech.duration_s < 15
    assert np.abs(speech.samples).max() <= 1.0
    heard = transcriber.transcribe(resample(speech.samples, speech.rate_hz, 16000),
                                   language="ko").text
    assert cer(normalise(text), normalise(heard)) < 0.25, heard


def test_long_answer_is_spoken_in_clauses(korean: Speaker) -> None:
    """A 150-character route is cut at commas and words, never past the model's context."""
    text = ("한양대역 2번 출구인 애지문에서 정면 건물번호 102번인 본관의 오른쪽 길을 따라 "
            "올라가다가 건물번호 109번인 박물관을 지나 왼쪽 아래 길로 내려가면 위치해요. ") * 3
    assert korean.synthesize(text, "ko").duration_s > 20


def test_session_uses_the_configured_threads(korean: Speaker, config: Config) -> None:
    voice = korean._voices["ko"]
    options = voice._session.get_session_options()
    assert options.intra_op_num_threads == config.tts.threads
    assert options.enable_cpu_mem_arena and not options.enable_mem_pattern


def test_empty_and_symbol_only_text_is_silent(korean: Speaker) -> None:
    assert len(korean.synthesize("  ", "ko").samples) == 0
    assert len(korean.synthesize("…!?", "ko").samples) == 0


def test_every_voice_of_the_package_loads(models_dir: Path) -> None:
    if not all(p.is_file() for p in kokoro.model_files(models_dir)):
        pytest.skip("Kokoro not fetched (run `kiosk models fetch`)")
    voice = kokoro.KokoroVoice(models_dir, "kokoro:jf_alpha", threads=1)
    assert len(voice.synthesize("안녕하세요.")) > kokoro.RATE_HZ // 4


def test_unknown_voice_is_one_line(models_dir: Path) -> None:
    if not all(p.is_file() for p in kokoro.model_files(models_dir)):
        pytest.skip("Kokoro not fetched (run `kiosk models fetch`)")
    with pytest.raises(ModelError, match="Kokoro has no voice 'xx_nobody'") as info:
        kokoro.KokoroVoice(models_dir, "kokoro:xx_nobody")
    assert "\n" not in str(info.value)


def test_missing_or_corrupt_model_is_one_line(tmp_path: Path, models_dir: Path,
                                              config: Config) -> None:
    tts = Speaker(with_tts(config.model_copy(update={"paths": config.paths.model_copy(
        update={"models_dir": tmp_path})}), voices={"en": "x.onnx", "ko": "kokoro:jm_kumo"}))
    with pytest.raises(ModelError, match="Kokoro voice file not found") as info:
        tts.load("ko")
    assert "\n" not in str(info.value)
    (tmp_path / "kokoro").mkdir()
    for real in kokoro.model_files(models_dir):
        if real.suffix == ".onnx":
            (tmp_path / "kokoro" / real.name).write_bytes(b"not a model")
        elif real.is_file():
            shutil.copy(real, tmp_path / "kokoro" / real.name)
    with pytest.raises(ModelError, match="cannot load Kokoro") as info:
        tts.load("ko")
    assert "\n" not in str(info.value)
