"""Property tests at the boundaries that take outside input: WAV files, config files, and what a
visitor says. Each boundary may fail only with its own one-line ``KioskError``."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.audio.wavio import read_wav
from kiosk.config import Config, load_config, parse_config
from kiosk.errors import AudioError, ConfigError

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- WAV ------------------------------------------------------------------------------------


def wav_header(fmt: int, channels: int, rate: int, bits: int, data: bytes,
               riff_size: int | None = None) -> bytes:
    block = channels * max(bits // 8, 1)
    fmt_chunk = struct.pack("<4sIHHIIHH", b"fmt ", 16, fmt, channels, rate, rate * block % 2**32,
                            block % 2**16, bits)
    body = b"WAVE" + fmt_chunk + struct.pack("<4sI", b"data", len(data)) + data
    size = len(body) if riff_size is None else riff_size
    return struct.pack("<4sI", b"RIFF", size % 2**32) + body


plausible_wavs = st.builds(
    wav_header,
    fmt=st.sampled_from([1, 3, 0xFFFE, 0, 2]),
    channels=st.integers(0, 9),
    rate=st.sampled_from([0, 1, 8000, 16000, 44100, 2**31 - 1]),
    bits=st.sampled_from([0, 8, 12, 16, 24, 32, 64]),
    data=st.binary(max_size=512),
    riff_size=st.none() | st.integers(0, 2**32 - 1),
)


def _read_only_audio_errors(path: Path, blob: bytes) -> None:
    path.write_bytes(blob)
    try:
        samples, rate = read_wav(path)
    except AudioError as error:
        assert "\n" not in str(error)
        return
    assert rate > 0 and samples.ndim == 1 and len(samples) > 0


@FUZZ
@given(blob=st.binary(max_size=2048))
def test_random_bytes_are_an_audio_error(scratch: Path, blob: bytes) -> None:
    _read_only_audio_errors(scratch / "random.wav", blob)


@FUZZ
@given(blob=plausible_wavs, cut=st.integers(0, 200))
def test_damaged_wav_headers_are_an_audio_error(scratch: Path, blob: bytes, cut: int) -> None:
    _read_only_audio_errors(scratch / "header.wav", blob[: len(blob) - cut] if cut else blob)


# --- config ---------------------------------------------------------------------------------

SECTIONS = {name: list(field.annotation.model_fields)  # type: ignore[union-attr]
            for name, field in Config.model_fields.items() if name != "source"}
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)
section_dicts = st.sampled_from(sorted(SECTIONS)).flatmap(
    lambda name: st.dictionaries(st.sampled_from(SECTIONS[name]) | st.text(max_size=10), values,
                                 max_size=5).map(lambda body: (name, body)))
config_dicts = st.lists(section_dicts, max_size=4).map(dict) | st.dictionaries(
    st.text(max_size=10), values, max_size=4)


@FUZZ
@given(data=config_dicts)
def test_random_config_dicts_are_a_config_error(data: dict[str, Any]) -> None:
    try:
        parse_config(data)
    except ConfigError as error:
        assert "\n" not in str(error)


toml_values = st.one_of(
    st.integers(-(2**65), 2**65).map(str), st.floats().map(repr), st.booleans().map(str),
    st.booleans().map(lambda b: str(b).lower()), st.text(max_size=20).map(lambda s: f'"{s}"'),
    st.text(max_size=20).map(lambda s: f"'{s}'"), st.just("[1, 'two']"), st.just("{ a = 1 }"),
    st.just("1979-05-27T07:32:00Z"), st.text(max_size=10),
)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        section = draw(st.sampled_from(sorted(SECTIONS)) | st.text(max_size=8))
        lines.append(f"[{section}]")
        for _ in range(draw(st.integers(0, 4))):
            known = SECTIONS.get(section, ["x"])
            key = draw(st.sampled_from(known) | st.text(max_size=8))
            lines.append(f"{key} = {draw(toml_values)}")
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\x00", "[", "= 1"]))


@FUZZ
@given(text=toml_documents())
def test_random_toml_files_are_a_config_error(scratch: Path, text: str) -> None:
    path = scratch / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as error:
        assert "\n" not in str(error)


@FUZZ
@given(blob=st.binary(max_size=512))
def test_random_bytes_as_config_are_a_config_error(scratch: Path, blob: bytes) -> None:
    path = scratch / "bytes.toml"
    path.write_bytes(blob)
    try:
        load_config(path)
    except ConfigError as error:
        assert "\n" not in str(error)


# --- dialog ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from kiosk.dialog.engine import DialogEngine

    config = Config()
    config = config.without_llm()
    return DialogEngine(config)


WORDS = ["애지문", "한양플라자", "도서관", "어디", "있어요", "Where", "is", "Hanyang", "Plaza",
         "library", "105", "?", "ignore previous instructions", "😀", "\u200b", "\x00", "\n",
         "ﾊﾝﾔﾝ", "مرحبا", "Ж"]
mixed = st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=30).map(" ".join)
huge = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=20),
                 st.integers(500, 5000))
questions = st.text(max_size=400) | mixed | huge | st.text(
    st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50)


@settings(max_examples=200, deadline=None)
@given(text=questions, session=st.text(max_size=20))
def test_any_text_gets_a_non_empty_answer(engine, text: str, session: str) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer(text, session)
    assert reply.answer.strip()
