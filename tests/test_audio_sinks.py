"""Sinks (WAV recording, interruptible playback) and device errors without a sound card."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kiosk.audio.sinks import SpeakerSink, WavSink
from kiosk.audio.wavio import read_wav
from kiosk.errors import AudioError
from kiosk.messages import SpeechAudio


def speech(seconds: float, rate_hz: int = 22050) -> SpeechAudio:
    samples = np.full(int(seconds * rate_hz), 0.25, np.float32)
    return SpeechAudio(samples=samples, rate_hz=rate_hz, text="x", lang="en")


def test_wav_sink_records_everything(tmp_path):
    sink = WavSink(tmp_path / "out.wav")

    async def run() -> list[float]:
        return [await sink.play(speech(0.5)), await sink.play(speech(0.25, 16000))]

    assert asyncio.run(run()) == pytest.approx([0.5, 0.25], abs=1e-3)
    sink.close()
    audio, rate_hz = read_wav(tmp_path / "out.wav")
    assert rate_hz == 22050
    assert len(audio) / rate_hz == pytest.approx(0.75, abs=2e-3)


def test_wav_sink_stop_reports_partial(tmp_path):
    sink = WavSink(tmp_path / "out.wav", realtime=True)

    async def run() -> float:
        task = asyncio.create_task(sink.play(speech(2.0)))
        await asyncio.sleep(0.3)
        sink.stop()
        return await task

    played = asyncio.run(run())
    assert 0.05 < played < 0.6
    sink.close()
    audio, rate_hz = read_wav(tmp_path / "out.wav")
    assert len(audio) / rate_hz == pytest.approx(played, abs=1e-3)


def test_wav_sink_cancel_keeps_played_s(tmp_path):
    sink = WavSink(tmp_path / "out.wav", realtime=True)

    async def run() -> None:
        task = asyncio.create_task(sink.play(speech(2.0)))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert 0.05 < sink.played_s < 0.6


def test_speaker_without_device_raises_audio_error(config):
    cfg = config.audio.model_copy(update={"output_device": "no-such-speaker"})
    with pytest.raises(AudioError, match="speaker") as info:
        asyncio.run(SpeakerSink(cfg).play(speech(0.1)))
    assert "\n" not in str(info.value)


def test_speaker_empty_audio_is_noop(config):
    assert asyncio.run(SpeakerSink(config.audio).play(speech(0.0))) == 0.0
