"""Whisper base on the Piper-voiced fixtures: words, language choice, noise and model errors."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.sources import WavSource
from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.speech.asr import Transcriber


def with_asr_model(config: Config, model: str) -> Config:
    return config.model_copy(update={"asr": config.asr.model_copy(update={"model": model})})


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("where_is_hanyang_plaza", ["hanyang", "plaza"]),
        ("how_long_to_paiknam_library", ["library"]),
    ],
)
def test_transcribes_english_fixtures(transcriber, data_dir, name, words):
    result = transcriber.transcribe(WavSource(data_dir / f"{name}.wav").samples)
    assert result.lang == "en"
    for word in words:
        assert word in result.text.lower()
    assert result.no_speech_prob < 0.3
    assert result.asr_ms > 0 and result.audio_s > 2


def test_hotwords_accepted(transcriber, data_dir):
    audio = WavSource(data_dir / "how_long_to_paiknam_library.wav").samples
    result = transcriber.transcribe(audio, hotwords="Paiknam Library, Hanyang Plaza, 애지문")
    assert "library" in result.text.lower()


def test_forced_korean_runs(transcriber, data_dir):
    result = transcriber.transcribe(
        WavSource(data_dir / "where_is_hanyang_plaza.wav").samples, language="ko"
    )
    assert result.lang == "ko"
    assert isinstance(result.text, str)


@pytest.mark.parametrize("name", ["silence", "noise"])
def test_noise_gives_empty_text(transcriber, data_dir, name):
    result = transcriber.transcribe(WavSource(data_dir / f"{name}.wav").samples)
    assert result.text == ""
    assert result.lang in ("ko", "en")


def test_hotwords_not_recited_on_noise(transcriber, data_dir):
    hotwords = "애지문, 한양플라자, Aeji Gate, Hanyang Plaza, Paiknam Library, Student Union"
    for name in ("silence", "noise"):
        audio = WavSource(data_dir / f"{name}.wav").samples
        assert transcriber.transcribe(audio, hotwords=hotwords).text == ""


def test_empty_audio(transcriber):
    assert transcriber.transcribe(np.zeros(0, np.float32)).text == ""


@pytest.mark.parametrize(
    ("text", "no_speech", "logprob", "dropped"),
    [
        ("", 0.0, -0.1, True),
        (" ... ?! ", 0.0, -0.1, True),
        ("Thank you.", 0.5, -0.5, True),
        ("Thank you.", 0.05, -0.2, False),
        ("시청해주셔서 감사합니다.", 0.4, -0.6, True),
        ("MBC 뉴스", 0.35, -0.6, True),
        ("Where is the library?", 0.7, -1.5, True),
        ("Where is the library?", 0.1, -0.3, False),
        ("Aeji Gate, Hanyang Plaza,", 0.7, -0.6, True),
        ("Aeji Gate", 0.05, -0.3, False),
    ],
)
def test_reject_rules(text, no_speech, logprob, dropped):
    prompt = "Aeji Gate, Hanyang Plaza, 애지문"
    assert bool(Transcriber._reject_reason(text, no_speech, logprob, prompt)) is dropped


def test_missing_model_folder(tmp_path, config):
    asr = Transcriber(with_asr_model(config, str(tmp_path / "whisper-nope")))
    with pytest.raises(ModelError, match="folder not found") as info:
        asr.transcribe(np.zeros(16000, np.float32))
    assert "\n" not in str(info.value)
    assert not asr.loaded


def test_corrupt_model_file(tmp_path, config):
    src = config.model_path(config.asr.model)
    if not (src / "model.bin").exists():
        pytest.skip(f"model not found: {src}")
    bad = tmp_path / "whisper-bad"
    bad.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (bad / name).symlink_to(src / name)
    with (src / "model.bin").open("rb") as f:
        (bad / "model.bin").write_bytes(f.read(100_000))
    with pytest.raises(ModelError, match="cannot load Whisper model") as info:
        Transcriber(with_asr_model(config, str(bad))).load()
    assert "\n" not in str(info.value)


def test_load_unload(config, data_dir):
    asr = Transcriber(config)
    assert not asr.loaded
    asr.load()
    assert asr.loaded
    asr.unload()
    assert not asr.loaded


def with_window(config: Config, window_s: int) -> Config:
    return config.model_copy(update={"asr": config.asr.model_copy(update={"window_s": window_s})})


@pytest.mark.parametrize("window_s", [10, 30])
def test_every_window_hears_the_fixture(config, data_dir, window_s):
    transcriber = Transcriber(with_window(config, window_s))
    result = transcriber.transcribe(WavSource(data_dir / "where_is_hanyang_plaza.wav").samples)
    assert result.lang == "en" and "hanyang plaza" in result.text.lower()


def test_a_clip_longer_than_the_window_is_heard_whole(config, data_dir):
    transcriber = Transcriber(with_window(config, 5))
    plaza = WavSource(data_dir / "where_is_hanyang_plaza.wav").samples
    library = WavSource(data_dir / "how_long_to_paiknam_library.wav").samples
    both = np.concatenate([plaza, library])
    assert transcriber.window_s(len(both) / 16000) > 5
    text = transcriber.transcribe(both).text.lower()
    assert "plaza" in text and "library" in text


@pytest.mark.parametrize(
    ("text", "audio_s", "recited"),
    [
        ("퓨전테크,", 3.8, True),              # the soak's failure: an English question
        ("Hanyang Plaza, Paiknam Library", 8.0, True),
        ("Hanyang Plaza", 2.4, False),         # a visitor saying just a name
        ("퓨전테크", 1.2, False),
        ("How long does it take to walk to Paiknam Library?", 3.8, False),
        ("", 3.0, False),
    ],
)
def test_prompt_recitation_is_recognised(text, audio_s, recited):
    from kiosk.speech.asr import looks_recited

    prompt = "애지문, 퓨전테크센터, 퓨전테크, Hanyang Plaza, Paiknam Library"
    assert looks_recited(text, prompt, audio_s) is recited


def test_a_recited_prompt_is_decoded_again_without_it(transcriber, data_dir):
    """Whatever Whisper does with a prompt of only campus names, the English question is heard."""
    audio = WavSource(data_dir / "how_long_to_paiknam_library.wav").samples
    result = transcriber.transcribe(audio, hotwords="퓨전테크센터, 퓨전테크, 한양플라자")
    assert result.lang == "en" and "library" in result.text.lower()


def test_prompt_follows_the_language() -> None:
    from kiosk.speech.asr import prompt_for

    both = "애지문, 신소재공학관, Aeji Gate, Materials Science and Technology Building, IT/BT관"
    assert prompt_for(both, "ko") == "애지문, 신소재공학관, IT/BT관"
    assert prompt_for(both, "en") == "Aeji Gate, Materials Science and Technology Building"
    assert prompt_for("", "ko") is None and prompt_for("애지문", "en") is None


def test_korean_speech_gets_no_english_names(transcriber, config) -> None:
    """Korean speech with the whole campus prompt (both languages): Hangul comes back, not the
    English names of the prompt (it did: "신소재공학관, Materials Science and Technology")."""
    import re

    from kiosk.audio.wavio import resample
    from kiosk.dialog.engine import DialogEngine
    from kiosk.pipeline import campus_hotwords
    from kiosk.speech import kokoro
    from kiosk.speech.tts import Speaker

    if not all(p.is_file() for p in kokoro.model_files(config.resolve(config.paths.models_dir))):
        pytest.skip("Kokoro not fetched (run `kiosk models fetch`)")
    no_llm = config.without_llm()
    hotwords = campus_hotwords(DialogEngine(no_llm))
    speaker = Speaker(config)
    for question in ("신소재공학관 어디예요?", "한양플라자는 어디에 있어요?"):
        speech = speaker.synthesize(question, "ko")
        heard = transcriber.transcribe(resample(speech.samples, speech.rate_hz, 16000),
                                       hotwords=hotwords)
        assert heard.lang == "ko" and not re.search(r"[A-Za-z]", heard.text), heard.text
    speaker.unload()
