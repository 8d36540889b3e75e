"""WAV reading/conversion, resampling and WavSource, including broken and odd files."""

from __future__ import annotations

import asyncio
import wave

import numpy as np
import pytest

from kiosk.audio.sources import WavSource
from kiosk.audio.wavio import read_wav, resample, write_wav
from kiosk.errors import AudioError


def tone(freq_hz: float, seconds: float, rate_hz: int) -> np.ndarray:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def collect(source: WavSource) -> list[np.ndarray]:
    async def run() -> list[np.ndarray]:
        return [block async for block in source]

    return asyncio.run(run())


def test_write_read_round_trip(tmp_path):
    samples = tone(440, 0.5, 16000)
    write_wav(tmp_path / "t.wav", samples, 16000)
    back, rate_hz = read_wav(tmp_path / "t.wav")
    assert rate_hz == 16000 and back.dtype == np.float32
    assert np.max(np.abs(back - samples)) < 1e-4


def test_stereo_44k_is_converted(tmp_path):
    left, right = tone(440, 1.0, 44100), tone(440, 1.0, 44100) * 0.5
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2")
    with wave.open(str(tmp_path / "stereo.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(pcm.tobytes())
    source = WavSource(tmp_path / "stereo.wav", block_ms=32)
    blocks = collect(source)
    assert all(len(b) == 512 for b in blocks[:-1])
    audio = np.concatenate(blocks)
    assert abs(len(audio) - 16000) <= 1
    assert np.max(np.abs(audio)) == pytest.approx(0.375, abs=0.01)  # mean of 0.5 and 0.25
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440) < 3


@pytest.mark.parametrize(("width", "dtype"), [(1, np.uint8), (3, None), (4, "<i4")])
def test_other_sample_widths(tmp_path, width, dtype):
    samples = tone(300, 0.2, 8000)
    if width == 1:
        raw = (samples * 127 + 128).astype(np.uint8).tobytes()
    elif width == 3:
        ints = (samples * 8388607).astype("<i4")
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        raw = (samples * 2147483647).astype(dtype).tobytes()
    with wave.open(str(tmp_path / "w.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(raw)
    back, rate_hz = read_wav(tmp_path / "w.wav")
    assert rate_hz == 8000
    assert np.max(np.abs(back - samples)) < 0.01


def test_resample_keeps_length_and_pitch():
    audio = tone(1000, 1.0, 48000)
    out = resample(audio, 48000, 16000)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) - 1000) <= 1
    up = resample(tone(500, 1.0, 16000), 16000, 22050)
    assert len(up) == 22050


def test_resample_suppresses_aliasing():
    out = resample(tone(7000, 1.0, 44100), 44100, 8000)  # 7 kHz is above the 4 kHz Nyquist
    assert np.sqrt(np.mean(out**2)) < 0.05


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a PCM WAV"),
        (b"RIF", "not a PCM WAV"),
        (b"this is not audio at all, just some text" * 20, "not a PCM WAV"),
    ],
)
def test_broken_files(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as info:
        WavSource(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_header_only_and_missing_file(tmp_path):
    write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError, match="no audio frames"):
        WavSource(tmp_path / "empty.wav")
    with pytest.raises(AudioError, match="file not found"):
        WavSource(tmp_path / "missing.wav")


def test_too_long_file(tmp_path):
    path = tmp_path / "long.wav"
    write_wav(path, np.zeros(8000 * 3, np.float32), 8000)
    with pytest.raises(AudioError, match="longer than 2 s"):
        WavSource(path, max_s=2)
    # a header that claims hours of audio is refused before anything is read
    write_wav(path, np.zeros(10, np.float32), 8000)
    header = bytearray(path.read_bytes())
    header[40:44] = (8000 * 3600 * 2).to_bytes(4, "little")  # data chunk size: one hour
    path.write_bytes(bytes(header))
    with pytest.raises(AudioError, match="longer than 600 s"):
        WavSource(path)


def test_realtime_pacing(data_dir):
    source = WavSource(data_dir / "where_is_hanyang_plaza.wav", block_ms=100, realtime=True)
    source.samples = source.samples[:8000]  # 0.5 s

    async def run() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async for _ in source:
            pass
        return loop.time() - started

    assert 0.35 < asyncio.run(run()) < 2.0
