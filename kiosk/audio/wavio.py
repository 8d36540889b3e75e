"""WAV reading/writing and resampling with the stdlib ``wave`` module and numpy only.

Why no soundfile/scipy: the kiosk only needs PCM WAV (test fixtures, recordings, espeak output)
and 16 kHz for VAD/ASR, so a small windowed-sinc low-pass plus linear interpolation is enough and
keeps the Jetson image free of extra native libraries. Every failure is an ``AudioError`` with a
one-line message naming the file.
"""

from __future__ import annotations

import logging
import wave
from math import gcd
from pathlib import Path

import numpy as np

from kiosk.errors import AudioError

log = logging.getLogger(__name__)

MAX_WAV_S = 600.0
"""Longest WAV accepted (10 minutes); a kiosk question is seconds long, so more is a mistake."""

_FIR_TAPS = 64


def read_wav(path: str | Path, max_s: float = MAX_WAV_S) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (8/16/24/32-bit, any channel count) → (float32 mono in [-1, 1], rate_hz).

    Channels are averaged. Raises ``AudioError`` for a missing, empty, truncated, non-PCM or
    over-long (> ``max_s``) file.
    """
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate_hz = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.getnframes()
            if rate_hz <= 0 or channels <= 0:
                raise AudioError(f"audio error: {path}: bad WAV header (rate={rate_hz})")
            if frames / rate_hz > max_s:
                raise AudioError(
                    f"audio error: {path}: {frames / rate_hz:.0f} s is longer than {max_s:.0f} s"
                )
            raw = wav.readframes(frames)
    except AudioError:
        raise
    except FileNotFoundError:
        raise AudioError(f"audio error: {path}: file not found") from None
    except (wave.Error, EOFError) as error:
        raise AudioError(f"audio error: {path}: not a PCM WAV file ({error or 'empty'})") from None
    except OSError as error:
        raise AudioError(f"audio error: {path}: cannot read ({error.strerror})") from None
    usable = len(raw) - len(raw) % (width * channels)
    if usable == 0:
        raise AudioError(f"audio error: {path}: WAV file has no audio frames")
    samples = _pcm_to_float(raw[:usable], width)
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
