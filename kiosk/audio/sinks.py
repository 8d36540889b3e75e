"""Audio outputs with one interface: ``await sink.play(speech) -> seconds actually played``.

Playback can be interrupted (visitor barge-in) by ``stop()`` or by cancelling the ``play`` task;
either way the sink knows how much was heard (``played_s``), so the dialog can cut the assistant
turn in its history to what the visitor actually heard. ``SpeakerSink`` plays through
sounddevice/PortAudio; ``WavSink`` records to a 16-bit WAV for tests and headless demos.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.audio.sources import device_name, require_sounddevice
from kiosk.audio.wavio import resample, write_wav
from kiosk.config import AudioConfig
from kiosk.errors import AudioError
from kiosk.messages import SpeechAudio

log = logging.getLogger(__name__)

STALL_MARGIN_S = 5.0
"""A clip that has not finished this long after its length will not: the device is gone."""

_PACE_S = 0.02
"""Granularity of WavSink's real-time pacing (how late a stop() can take effect)."""


def check_output_path(path: Path) -> None:
    """``AudioError`` unless ``path`` can become a WAV file: checked before the models load,
    and a FIFO or device there would block the write at the end."""
    if any(not c.isprintable() for c in str(path)):
        raise AudioError(f"audio error: {str(path)!a}: control characters in the path")
    try:
        if path.exists() and not path.is_file():
            raise AudioError(f"audio error: {path}: exists and is not a regular file")
        parent = path.parent
        if not parent.is_dir():
            raise AudioError(f"audio error: cannot write {path} (no directory {parent})")
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise AudioError(f"audio error: cannot write {path} (permission denied)")
    except OSError as error:  # ENAMETOOLONG, ELOOP...
        raise AudioError(f"audio error: cannot write {str(path)[:100]} "
                         f"({error.strerror or error})") from None


class WavSink:
    """Collects everything played and writes it to ``path`` as 16-bit mono on ``close()``.

    Audio at other rates is resampled to the first clip's rate. ``realtime=True`` makes ``play``
    take as long as the audio would (so barge-in can be tested without a sound card).
    """

    def __init__(self, path: str | Path, realtime: bool = False) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.rate_hz: int | None = None
        self.played_s = 0.0
        self._parts: list[np.ndarray] = []
        self._stop = asyncio.Event()

    async def play(self, speech: SpeechAudio) -> float:
        """'Play' ``speech``; returns the seconds played (less than its length if stopped)."""
        self._stop.clear()
        self.played_s = 0.0
        if self.rate_hz is None:
            self.rate_hz = speech.rate_hz
        samples = resample(speech.samples, speech.rate_hz, self.rate_hz)
        played = len(samples)
        try:
            if self.realtime:
                played = 0
                step = max(1, int(self.rate_hz * _PACE_S))
                while played < len(samples) and not self._stop.is_set():
                    await asyncio.sleep(_PACE_S)
                    played = min(len(samples), played + step)
                    self.played_s = played / self.rate_hz
        finally:
            self._parts.append(samples[:played])
            self.played_s = played / self.rate_hz
        return self.played_s

    def stop(self) -> None:
        """Interrupt the current ``play`` (it returns the seconds played so far)."""
        self._stop.set()

    def check_writable(self) -> None:
        """Fail now, not after the run, when the output cannot be written."""
        check_output_path(self.path)

    def close(self) -> None:
        """Write the collected audio (nothing played: an empty WAV at 16 kHz)."""
        audio = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        write_wav(self.path, audio, self.rate_hz or 16000)
        log.info("event=wav_sink_closed path=%s seconds=%.2f", self.path,
                 len(audio) / (self.rate_hz or 16000))


class SpeakerSink:
    """Loudspeaker playback through a sounddevice OutputStream on ``audio.output_device``.

    One stream per ``play`` at the clip's own rate (PortAudio/ALSA plug resample if needed);
    the callback counts the frames handed to the device, so ``played_s`` is what left the
    buffer (the device's own latency, tens of ms, is not subtracted).
    """

    def __init__(self, config: AudioConfig) -> None:
        self._cfg = config
        self.played_s = 0.0
        self._stop = threading.Event()

    async def play(self, speech: SpeechAudio) -> float:
        """Play ``speech`` to the end or until ``stop()``/cancellation; returns seconds played.

        Raises ``AudioError`` when the output device cannot be opened.
        """
        self.played_s = 0.0
        self._stop.clear()
        if len(speech.samples) == 0:
            return 0.0
        sd = require_sounddevice()
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        samples = np.asarray(speech.samples, np.float32)
        position = 0

        def callback(outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
            nonlocal position
            if self._stop.is_set():
                outdata.fill(0)
                raise sd.CallbackStop
            chunk = samples[position : position + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :, 0] = 0
            position += len(chunk)
            if position >= len(samples):
                raise sd.CallbackStop

        def finished() -> None:
            # Returns None: cffi prints "Exception ignored from cffi callback" (two lines per
            # sentence) for a callback that returns a value, as the old lambda did.
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(done.set)

        try:
            stream = sd.OutputStream(
                device=self._cfg.output_device, samplerate=speech.rate_hz, channels=1,
                dtype="float32", callback=callback, finished_callback=finished,
            )
        except Exception as error:  # sd.PortAudioError, ValueError for a bad device name
            raise AudioError(
                f"audio error: cannot open speaker {device_name(self._cfg.output_device)}: {error}"
            ) from None
        try:
            try:
                stream.start()
            except Exception as error:  # PortAudioError: the device went away since open
                raise AudioError(f"audio error: cannot start speaker "
                                 f"{device_name(self._cfg.output_device)}: {error}") from None
            try:
                await asyncio.wait_for(done.wait(), speech.duration_s + STALL_MARGIN_S)
            except TimeoutError:
                raise AudioError("audio error: speaker stopped taking audio (device or sound "
                                 "server gone?)") from None
            if position < len(samples) and not self._stop.is_set():
                raise AudioError(f"audio error: speaker stream ended after "
                                 f"{position / speech.rate_hz:.2f} of {speech.duration_s:.2f} s")
        finally:  # also on cancellation (barge-in): stop the device now, record what was heard
            self._stop.set()
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
            self.played_s = position / speech.rate_hz
            log.info(
                "event=speaker_played seconds=%.2f of_s=%.2f", self.played_s, speech.duration_s
            )
        return self.played_s

    def stop(self) -> None:
        """Interrupt the current ``play`` within one device block."""
        self._stop.set()

    def probe(self) -> str | None:
        """Why the configured speaker cannot be used, or None: asked at start-up, so a wrong
        ``audio.output_device`` shows as "cannot speak" before the first visitor, not after."""
        try:
            sd = require_sounddevice()
            sd.query_devices(self._cfg.output_device, "output")
        except Exception as error:  # AudioError, ValueError (no such device), PortAudioError
            return (f"audio error: speaker {device_name(self._cfg.output_device)} unusable: "
                    f"{(str(error).splitlines() or [''])[0]}")
        return None

