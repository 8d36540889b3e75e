"""WAV reading/writing and resampling with the stdlib ``wave`` module and numpy only.

Why no soundfile/scipy: the kiosk only needs PCM WAV (test fixtures, recordings, espeak output)
and 16 kHz for VAD/ASR, so a small windowed-sinc low-pass plus linear interpolation is enough and
keeps the Jetson image free of extra native libraries. Every failure is an ``AudioError`` with a
one-line message naming the file.
"""

from __future__ import annotations

import logging
import stat
import struct
import wave
from collections.abc import Callable
from math import gcd
from pathlib import Path
from typing import BinaryIO

import numpy as np

from kiosk.errors import AudioError

log = logging.getLogger(__name__)

MAX_WAV_S = 600.0
"""Longest WAV accepted (10 minutes); a kiosk question is seconds long, so more is a mistake."""

_FIR_TAPS = 64


PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE
STREAMING_SIZES = (0, 0xFFFFFFFF)
"""Data sizes that streaming writers (sox or arecord to a pipe) leave: "until the end"."""


def read_wav(path: str | Path, max_s: float = MAX_WAV_S) -> tuple[np.ndarray, int]:
    """Read a PCM or float WAV (8/16/24/32-bit integer, 32/64-bit float, any channel count,
    WAVE_FORMAT_EXTENSIBLE as sox writes for 24/32-bit and multichannel files) →
    (float32 mono in [-1, 1], rate_hz).

    Channels are averaged. Raises ``AudioError`` (one line, naming the file) for a missing,
    empty, truncated, non-PCM or over-long (> ``max_s``) file and for anything that is not a
    regular file (a FIFO would block forever). The RIFF chunks are parsed here, not by the
    ``wave`` module: it knows no EXTENSIBLE header and raises a bare RuntimeError for a chunk
    that claims more bytes than the file has.
    """
    path = Path(path)
    if any(not c.isprintable() for c in str(path)):
        raise AudioError(f"audio error: {str(path)!a}: control characters in the path")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise AudioError(f"audio error: {path}: not a regular file")
        with path.open("rb") as handle:
            return _parse(handle, info.st_size, path, max_s)
    except AudioError:
        raise
    except FileNotFoundError:
        raise AudioError(f"audio error: {path}: file not found") from None
    except OSError as error:
        raise AudioError(f"audio error: {path}: cannot read ({error.strerror})") from None


def _parse(handle: BinaryIO, size: int, path: Path, max_s: float) -> tuple[np.ndarray, int]:
    def bad(why: str) -> AudioError:
        return AudioError(f"audio error: {path}: not a PCM WAV file ({why})")

    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise bad("no RIFF/WAVE header" if head else "empty")
    fmt: tuple[int, int, int, int] | None = None
    position = 12
    while position + 8 <= size:
        handle.seek(position)
        chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
        body = position + 8
        if chunk_id == b"data":
            if fmt is None:
                raise bad("data before the fmt chunk")
            return _samples(handle, body, chunk_size, size, fmt, path, max_s)
        if body + chunk_size > size:
            raise bad(f"chunk {chunk_id!r} claims {chunk_size} bytes, the file has "
                      f"{size - body} left")
        if chunk_id == b"fmt ":
            fmt = _format(handle.read(chunk_size), bad)
        position = body + chunk_size + (chunk_size & 1)  # chunks are word aligned
    raise bad("no data chunk")


def _format(raw: bytes, bad: Callable[[str], AudioError]) -> tuple[int, int, int, int]:
    """(format tag, channels, rate, bits per sample) of a fmt chunk; EXTENSIBLE resolved."""
    if len(raw) < 16:
        raise bad("fmt chunk too short")
    tag, channels, rate_hz, _byte_rate, _align, bits = struct.unpack("<HHIIHH", raw[:16])
    if tag == EXTENSIBLE:
        if len(raw) < 40:
            raise bad("EXTENSIBLE fmt chunk too short")
        tag = struct.unpack("<H", raw[24:26])[0]  # first two bytes of the sub-format GUID
    if tag not in (PCM, FLOAT):
        raise bad(f"unsupported format {tag}")
    if rate_hz <= 0 or channels <= 0:
        raise AudioError(f"audio error: bad WAV header (rate={rate_hz}, channels={channels})")
    if (tag, bits) not in {(PCM, 8), (PCM, 16), (PCM, 24), (PCM, 32), (FLOAT, 32), (FLOAT, 64)}:
        raise bad(f"unsupported sample format: {bits}-bit {'float' if tag == FLOAT else 'PCM'}")
    return tag, channels, rate_hz, bits


def _samples(handle: BinaryIO, body: int, claimed: int, size: int,
             fmt: tuple[int, int, int, int], path: Path, max_s: float) -> tuple[np.ndarray, int]:
    tag, channels, rate_hz, bits = fmt
    frame = channels * bits // 8
    available = size - body
    if claimed in STREAMING_SIZES:
        claimed = available
    if claimed / frame / rate_hz > max_s:
        raise AudioError(f"audio error: {path}: {claimed / frame / rate_hz:.0f} s is longer "
                         f"than {max_s:.0f} s")
    if claimed > available:
        log.warning("event=wav_truncated path=%s claimed_bytes=%d present_bytes=%d", path,
                    claimed, available)
    usable = min(claimed, available)
    usable -= usable % frame
    if usable <= 0:
        raise AudioError(f"audio error: {path}: WAV file has no audio frames")
    handle.seek(body)
    raw = handle.read(usable)
    if tag == FLOAT:
        samples = np.nan_to_num(np.frombuffer(raw, "<f4" if bits == 32 else "<f8"), nan=0.0)
        samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    else:
        samples = _pcm_to_float(raw, bits // 8)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples.astype(np.float32, copy=False), rate_hz


def _pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8  # sign-extend 24 bits
        return ints.astype(np.float32) / 8388608.0
    if width == 4:
        return np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    raise AudioError(f"audio error: unsupported WAV sample width {width} bytes")


def write_wav(path: str | Path, samples: np.ndarray, rate_hz: int) -> None:
    """Write float mono samples in [-1, 1] as a 16-bit PCM mono WAV (clipped, not normalised)."""
    pcm = (np.clip(np.asarray(samples, np.float32), -1.0, 1.0) * 32767.0).round().astype("<i2")
    try:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(int(rate_hz))
            wav.writeframes(pcm.tobytes())
    except OSError as error:
        raise AudioError(f"audio error: cannot write {path} ({error.strerror})") from None


def resample(samples: np.ndarray, src_hz: int, dst_hz: int) -> np.ndarray:
    """Resample float32 mono from ``src_hz`` to ``dst_hz``.

    Downsampling first low-passes at the new Nyquist rate (windowed-sinc FIR, edge-padded so
    block edges do not click) to avoid aliasing, then both directions interpolate linearly.
    Good enough for speech into Whisper/Silero and for TTS playback; not for music.
    """
    samples = np.asarray(samples, np.float32)
    if src_hz == dst_hz or len(samples) == 0:
        return samples.copy()
    if dst_hz < src_hz:
        samples = _lowpass(samples, 0.5 * dst_hz / src_hz)
    g = gcd(int(src_hz), int(dst_hz))
    n_out = int(len(samples) * (dst_hz // g) // (src_hz // g))
    positions = np.arange(n_out, dtype=np.float64) * (src_hz / dst_hz)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def _lowpass(samples: np.ndarray, cutoff: float) -> np.ndarray:
    """FIR low-pass; ``cutoff`` is a fraction of the sample rate (0 < cutoff < 0.5)."""
    n = np.arange(_FIR_TAPS + 1) - _FIR_TAPS / 2
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(_FIR_TAPS + 1)
    taps /= taps.sum()
    half = _FIR_TAPS // 2
    padded = np.pad(samples, half, mode="edge")
    return np.convolve(padded, taps.astype(np.float32), mode="valid").astype(np.float32)
