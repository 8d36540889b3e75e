"""Issue 17, items 4, 7, 8, 11, 12 and 15 (input checks): what an operator or a broken file can
hand the kiosk. Each is refused with one line (or read correctly), never a traceback or a hang,
and before any model loads."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.audio.wavio import read_wav, write_wav
from kiosk.config import Config, load_config, parse_config
from kiosk.errors import AudioError, ConfigError

REPO = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """`timeout` only guards against a hang (the bug); nothing here asserts a duration."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=timeout, check=False)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


# --- item 4: FIFOs and endless files ---------------------------------------------------------


def test_fifo_and_dev_zero_as_config_are_refused(fifo: Path) -> None:
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ConfigError, match="not a regular file"):
            load_config(path)


def test_an_oversized_config_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 200_000)
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big)


def test_fifo_as_wav_is_refused(fifo: Path) -> None:
    with pytest.raises(AudioError, match="not a regular file"):
        read_wav(fifo)


@pytest.mark.parametrize("args", [["--config", "FIFO", "config"],
                                  ["ask", "--audio", "FIFO", "--no-llm"],
                                  ["run", "--input-wav", "FIFO"]])
def test_fifo_on_the_command_line_is_one_line_not_a_hang(fifo: Path, args: list[str]) -> None:
    result = run_cli(*[str(fifo) if a == "FIFO" else a for a in args])
    assert result.returncode in (2, 6)
    assert "not a regular file" in one_line(result)


# --- item 7: paths in and of the config --------------------------------------------------------

bad_paths = st.one_of(
    st.text(min_size=1, max_size=20).map(lambda s: s + "\x00"),
    st.text(min_size=0, max_size=10).map(lambda s: f"a\n{s}"),
    st.integers(256, 600).map(lambda n: "x" * n),
    st.integers(4100, 5000).map(lambda n: "d/" * (n // 2)),
    st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=5),
)
PATH_KEYS = [("paths", "models_dir"), ("paths", "runtime_dir"), ("llm", "model"),
             ("llm", "lora"), ("vad", "model"), ("asr", "model")]


@FUZZ
@given(key=st.sampled_from(PATH_KEYS), value=bad_paths)
def test_unusable_paths_in_the_config_are_one_line_errors(key: tuple[str, str],
                                                          value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({key[0]: {key[1]: value}})
    assert "\n" not in str(caught.value) and key[1] in str(caught.value)


@FUZZ
@given(value=bad_paths)
def test_unusable_config_file_paths_are_one_line_errors(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(value)
    assert "\n" not in str(caught.value)


def test_runtime_dir_that_is_a_file_is_refused_before_models_load(tmp_path: Path) -> None:
    planted = tmp_path / "file"
    planted.write_text("")
    config = tmp_path / "c.toml"
    # models_dir does not exist: reaching the models would be exit 4, not this one line
    config.write_text(f'[paths]\nmodels_dir = "{tmp_path}/none"\nruntime_dir = "{planted}"\n')
    result = run_cli("--config", str(config), "run", "--input-wav",
                     str(REPO / "tests/data/silence.wav"), "--output-wav", str(tmp_path / "o.wav"))
    assert result.returncode == 1
    assert "not a directory" in one_line(result)


# --- items 8 and 11: WAV chunks and formats ----------------------------------------------------


def _chunk(chunk_id: bytes, body: bytes, claimed: int | None = None) -> bytes:
    size = len(body) if claimed is None else claimed
    return struct.pack("<4sI", chunk_id, size) + body + (b"\0" if len(body) & 1 else b"")


def _fmt(tag: int, channels: int, rate: int, bits: int, extensible: bool) -> bytes:
    block = channels * bits // 8
    base = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * block,
                       block, bits)
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        base += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", tag) + guid_tail
    return _chunk(b"fmt ", base)


def _wav(chunks: bytes) -> bytes:
    return struct.pack("<4sI4s", b"RIFF", 4 + len(chunks), b"WAVE") + chunks


def _encode(samples: np.ndarray, tag: int, bits: int) -> bytes:
    if tag == 3:
        return samples.astype("<f4" if bits == 32 else "<f8").tobytes()
    scale = 2 ** (bits - 1) - 1
    ints = np.round(samples * scale).astype(np.int64)
    if bits == 8:
        return (ints + 128).astype(np.uint8).tobytes()
    raw = ints.astype("<i8").tobytes()
    return b"".join(raw[i:i + bits // 8] for i in range(0, len(raw), 8))


@FUZZ
@given(chunk_id=st.binary(min_size=4, max_size=4), claimed=st.integers(0, 2**32 - 1),
       body=st.binary(max_size=64), before_fmt=st.booleans())
def test_any_extra_chunk_is_read_past_or_a_one_line_error(tmp_path: Path, chunk_id: bytes,
                                                          claimed: int, body: bytes,
                                                          before_fmt: bool) -> None:
    extra = _chunk(chunk_id, body, claimed)
    fmt = _fmt(1, 1, 16000, 16, False)
    data = _chunk(b"data", np.zeros(320, "<i2").tobytes())
    path = tmp_path / "x.wav"
    path.write_bytes(_wav(extra + fmt + data if before_fmt else fmt + extra + data))
    try:
        samples, rate = read_wav(path)
    except AudioError as error:
        assert "\n" not in str(error)
    else:
        assert rate > 0 and samples.ndim == 1


def test_a_list_chunk_longer_than_the_file_is_an_audio_error(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(_wav(_chunk(b"LIST", b"ab", 1_000_000) + _fmt(1, 1, 16000, 16, False)
                          + _chunk(b"data", b"\0\0" * 100)))
    with pytest.raises(AudioError, match="claims 1000000 bytes"):
        read_wav(path)


@FUZZ
@given(tag_bits=st.sampled_from([(1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64)]),
       channels=st.integers(1, 8), extensible=st.booleans(),
       rate=st.sampled_from([8000, 16000, 44100, 48000]))
def test_every_pcm_and_float_layout_reads_the_same_signal(tmp_path: Path,
                                                          tag_bits: tuple[int, int],
                                                          channels: int, extensible: bool,
                                                          rate: int) -> None:
    tag, bits = tag_bits
    mono = (0.5 * np.sin(np.arange(800) / 7)).astype(np.float64)
    frames = np.repeat(mono[:, None], channels, axis=1).reshape(-1)
    path = tmp_path / "x.wav"
    path.write_bytes(_wav(_fmt(tag, channels, rate, bits, extensible)
                          + _chunk(b"data", _encode(frames, tag, bits))))
    samples, got_rate = read_wav(path)
    assert got_rate == rate and len(samples) == len(mono)
    assert np.max(np.abs(samples - mono)) < (0.01 if bits == 8 else 1e-3)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
@pytest.mark.parametrize("args", [["-b", "24"], ["-b", "32"], ["-b", "16", "-c", "2"],
                                  ["-b", "24", "-c", "6"], ["-e", "floating-point", "-b", "32"]])
def test_wavs_written_by_sox_are_read(tmp_path: Path, args: list[str]) -> None:
    reference = tmp_path / "ref.wav"
    write_wav(reference, 0.5 * np.sin(np.arange(16000) / 5), 16000)
    converted = tmp_path / "sox.wav"
    subprocess.run(["sox", str(reference), *args, str(converted)], check=True)
    expected, _ = read_wav(reference)
    samples, rate = read_wav(converted)
    assert rate == 16000 and np.max(np.abs(samples - expected)) < 1e-3


# --- item 12: no lax coercion ----------------------------------------------------------------


def _fields(kind: type) -> list[tuple[str, str]]:
    found = []
    for section, field in Config.model_fields.items():
        if section == "source":
            continue
        for name, info in field.annotation.model_fields.items():  # type: ignore[union-attr]
            annotation = info.annotation
            if annotation is kind or (kind in get_args(annotation)
                                      and str not in get_args(annotation)):
                found.append((section, name))
    return found


NUMBERS = _fields(int) + _fields(float)
BOOLEANS = _fields(bool)


@FUZZ
@given(key=st.sampled_from(NUMBERS), value=st.booleans() | st.text(max_size=5).map(str))
def test_a_number_field_takes_no_bool_or_string(key: tuple[str, str], value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({key[0]: {key[1]: value}})
    assert f"{key[0]}.{key[1]}" in str(caught.value)


@FUZZ
@given(key=st.sampled_from(BOOLEANS), value=st.integers(0, 1) | st.sampled_from(["true", "yes"]))
def test_a_bool_field_takes_no_number_or_string(key: tuple[str, str], value: Any) -> None:
    with pytest.raises(ConfigError):
        parse_config({key[0]: {key[1]: value}})


def test_temperature_true_is_refused_and_ints_still_pass_for_floats() -> None:
    with pytest.raises(ConfigError, match=r"llm\.temperature = True"):
        parse_config({"llm": {"temperature": True}})
    assert parse_config({"llm": {"temperature": 1}}).llm.temperature == 1.0
    assert NUMBERS and BOOLEANS
    with pytest.raises(ConfigError, match=r"audio\.output_device"):
        parse_config({"audio": {"output_device": True}})


# --- item 15: inputs before models -------------------------------------------------------------


@pytest.mark.parametrize("command", [["ask", "--no-llm", "--audio"], ["run", "--input-wav"]])
def test_an_empty_wav_is_refused_before_any_model_loads(tmp_path: Path,
                                                        command: list[str]) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\nmodels_dir = "{tmp_path}/none"\nruntime_dir = "{tmp_path}/rt"\n')
    result = run_cli("--config", str(config), *command, str(empty))
    assert result.returncode == 6  # a model error (exit 4) would mean the models came first
    assert "audio error" in one_line(result)


def test_echo_settings_the_config_refuses_or_renames_in_one_line() -> None:
    from kiosk.config import parse_config
    from kiosk.errors import ConfigError

    assert parse_config({"pipeline": {"echo_mode": "aec3"}}).pipeline.echo_mode == "cancel"
    for bad in ({"echo_mode": "single_tap"}, {"barge_in_ms": 256, "barge_in_window_ms": 128},
                {"barge_in_threshold": 1.5}):
        with pytest.raises(ConfigError) as caught:
            parse_config({"pipeline": bad})
        assert "\n" not in str(caught.value) and "pipeline" in str(caught.value)
