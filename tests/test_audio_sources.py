"""MicSource plumbing with a fake PortAudio stream, and device errors without a sound card."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from kiosk.audio import sources
from kiosk.audio.sources import MicSource
from kiosk.errors import AudioError


class FakeInputStream:
    """Calls the callback from a thread like PortAudio: 10 blocks of a ramp, then 'device lost'."""

    def __init__(self, samplerate, blocksize, callback, finished_callback, **_kw) -> None:
        self.rate_hz, self.blocksize = samplerate, blocksize
        self.callback, self.finished = callback, finished_callback

    def start(self) -> None:
        def run() -> None:
            for i in range(10):
                block = np.full((self.blocksize, 1), i / 10, np.float32)
                self.callback(block, self.blocksize, None, None)
            self.finished()

        threading.Thread(target=run, daemon=True).start()

    def close(self, ignore_errors: bool = True) -> None:
        pass


class FakeSd:
    InputStream = FakeInputStream


def test_mic_blocks_reach_the_loop_resampled(config, monkeypatch):
    monkeypatch.setattr(sources, "require_sounddevice", lambda: FakeSd)
    cfg = config.audio.model_copy(update={"input_rate_hz": 48000, "block_ms": 32})
    blocks: list[np.ndarray] = []

    async def run() -> None:
        async with MicSource(cfg) as mic:
            with pytest.raises(AudioError, match="stopped"):
                async for block in mic:
                    blocks.append(block)

    asyncio.run(run())
    assert len(blocks) == 10
    assert all(len(b) == 512 and b.dtype == np.float32 for b in blocks)
    assert [round(float(b[256]), 2) for b in blocks] == [i / 10 for i in range(10)]


def test_mic_without_device_raises_audio_error(config):
    cfg = config.audio.model_copy(update={"input_device": "no-such-mic"})

    async def run() -> None:
        async with MicSource(cfg):
            pass

    with pytest.raises(AudioError, match="microphone") as info:
        asyncio.run(run())
    assert "\n" not in str(info.value)


def test_mic_reopen_retries_until_device_is_back(config, monkeypatch):
    attempts = {"n": 0}

    class FlakySd:
        @staticmethod
        def InputStream(**kwargs):  # same name as sounddevice.InputStream
            attempts["n"] += 1
            if attempts["n"] < 3:
                raise RuntimeError("device unavailable")
            return FakeInputStream(**kwargs)

    monkeypatch.setattr(sources, "require_sounddevice", lambda: FlakySd)
    cfg = config.audio.model_copy(update={"reopen_backoff_s": 0.1, "reopen_backoff_max_s": 1})

    async def run() -> np.ndarray:
        mic = MicSource(cfg)
        await mic.reopen()
        async for block in mic:
            mic.close()
            return block
        raise AssertionError("no audio")

    assert len(asyncio.run(run())) == 512
    assert attempts["n"] == 3
