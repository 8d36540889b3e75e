"""Piper TTS: English quality via ASR round trip, Korean fallbacks, voice loading errors;
plus the sentence splitter and the Hangul romaniser."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from kiosk.audio.wavio import resample
from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.speech.romanize import romanize
from kiosk.speech.tts import Speaker


def with_tts(config: Config, **update) -> Config:
    return config.model_copy(update={"tts": config.tts.model_copy(update=update)})


def wer(reference: str, hypothesis: str) -> float:
    ref = re.findall(r"[a-z0-9']+", reference.lower())
    hyp = re.findall(r"[a-z0-9']+", hypothesis.lower())
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))


def test_english_round_trip(speaker, transcriber):
    text = "The library is open until ten o'clock. Turn left at the main gate."
    speech = speaker.synthesize(text, "en")
    assert speech.rate_hz == 22050 and speech.lang == "en" and speech.text == text
    assert speech.samples.dtype == np.float32 and speech.duration_s > 2
    heard = transcriber.transcribe(resample(speech.samples, speech.rate_hz, 16000), language="en")
    assert wer(text, heard.text) < 0.2, heard.text


def test_voice_session_keeps_no_per_length_buffers(speaker):
    """Each sentence is a new input length; onnxruntime's arena and memory patterns would
    keep buffers for every one of them for the life of the process (the soak's RSS creep)."""
    speaker.synthesize("Hello.", "en")
    options = speaker._voices["en"].session.get_session_options()
    assert not options.enable_cpu_mem_arena and not options.enable_mem_pattern


def test_empty_text_gives_empty_audio(speaker):
    speech = speaker.synthesize("  ", "en")
    assert len(speech.samples) == 0 and speech.rate_hz == 22050


def test_korean_english_fallback(config):
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": ""}))
    assert tts.active_korean_voice() == "english-answer"
    speech = tts.synthesize("한양플라자는 애지문 옆에 있습니다.", "ko")  # handed Korean: romanised
    assert speech.lang == "ko" and speech.duration_s > 1


def test_korean_romanized_fallback(config):
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": ""},
                           ko_fallback="romanized"))
    assert tts.active_korean_voice() == "english-romanized"
    assert tts.synthesize("한양플라자", "ko").duration_s > 0.3


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_korean_espeak_fallback(config):
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": ""},
                           ko_fallback="espeak"))
    assert tts.active_korean_voice() == "espeak-ng"
    assert tts.synthesize("안녕하세요", "ko").duration_s > 0.3


def test_korean_none_fallback(config):
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": ""},
                           ko_fallback="none"))
    assert tts.active_korean_voice() == "none"
    assert len(tts.synthesize("안녕하세요", "ko").samples) == 0


def test_korean_espeak_falls_back_when_missing(config, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": ""},
                           ko_fallback="espeak"))
    assert tts.active_korean_voice() == "english-romanized"
    assert tts.synthesize("안녕하세요", "ko").duration_s > 0.3


def test_configured_korean_voice_loads(tmp_path, config, models_dir):
    en = config.model_path(config.tts.voices["en"])
    ko = tmp_path / "ko_KR-test-medium.onnx"
    shutil.copy(en, ko)
    shutil.copy(f"{en}.json", f"{ko}.json")
    tts = Speaker(with_tts(config, voices={"en": config.tts.voices["en"], "ko": str(ko)}))
    assert tts.active_korean_voice() == "piper:ko_KR-test-medium.onnx"
    speech = tts.synthesize("Hello.", "ko")
    assert tts.loaded and speech.duration_s > 0.2 and speech.rate_hz == 22050
    tts.unload()
    assert not tts.loaded


def test_missing_voice_file(tmp_path, config):
    tts = Speaker(with_tts(config, voices={"en": str(tmp_path / "nope.onnx"), "ko": ""}))
    with pytest.raises(ModelError, match="TTS voice for 'en' not found") as info:
        tts.synthesize("Hello.", "en")
    assert "\n" not in str(info.value)


def test_truncated_voice_file(tmp_path, config):
    en = config.model_path(config.tts.voices["en"])
    bad = tmp_path / "bad.onnx"
    with en.open("rb") as f:
        bad.write_bytes(f.read(50_000))
    shutil.copy(f"{en}.json", f"{bad}.json")
    tts = Speaker(with_tts(config, voices={"en": str(bad), "ko": ""}))
    with pytest.raises(ModelError, match="cannot load TTS voice") as info:
        tts.load()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("hangul", "latin"),
    [
        ("한양플라자", "hanyangpeullaja"),
        ("애지문", "aejimun"),
        ("백남학술정보관", "baengnamhaksuljeongbogwan"),
        ("신라", "silla"),
        ("종로", "jongno"),
        ("없어요", "eopseoyo"),
        ("제1공학관 3층", "je1gonghakgwan 3cheung"),
        ("Hi, 서울!", "Hi, seoul!"),
    ],
)
def test_romanize(hangul, latin):
    assert romanize(hangul) == latin
