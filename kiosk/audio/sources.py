"""Audio inputs as async iterators of float32 mono 16 kHz blocks (the format VAD/ASR need).

``WavSource`` replays a file (tests, demos, offline runs); ``MicSource`` captures a microphone
through sounddevice/PortAudio. The PortAudio callback runs on a foreign thread, so it only copies
the block and hands it to the asyncio loop with ``call_soon_threadsafe``; all processing happens
on the loop side. A device that fails to open or vanishes raises ``AudioError``; the daemon then
calls ``MicSource.reopen()``, which retries with back-off until the device is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.audio.wavio import MAX_WAV_S, read_wav, resample
from kiosk.config import AudioConfig
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ

log = logging.getLogger(__name__)

MIC_STALL_S = 3.0
MIC_CLOSE_TIMEOUT_S = 2.0
"""How long closing the microphone may take before the stream is abandoned (see close())."""
_ABANDONED: list[Any] = []  # every stream whose close hung, in this process


def audio_wedged() -> bool:
    """Whether a microphone stream's close hung in this process. PortAudio's own exit handler
    would then wait for the same spinning thread, so the process must leave without it
    (`kiosk.cli.run_and_exit` does); the thread writes error lines until the process is gone."""
    return bool(_ABANDONED)
"""A live microphone delivers a block every ``block_ms``; none for this long means it is gone."""

_QUEUE_BLOCKS = 256
"""About 8 s of 32 ms blocks; if the loop stalls longer, the oldest audio is dropped."""


class WavSource:
    """A WAV file as float32 mono 16 kHz blocks of ``block_ms`` (the last one may be shorter).

    The file is read and converted when constructed, so a bad file fails early with
    ``AudioError``. ``realtime=True`` paces blocks at playback speed (like a microphone).
    """

    def __init__(
        self, path: str | Path, block_ms: int = 32, realtime: bool = False, max_s: float = MAX_WAV_S
    ) -> None:
        self.path = Path(path)
        samples, rate_hz = read_wav(path, max_s=max_s)
        self.samples = resample(samples, rate_hz, ASR_RATE_HZ)
        self.block_samples = max(1, ASR_RATE_HZ * block_ms // 1000)
        self.realtime = realtime
        log.info(
            "event=wav_source path=%s src_rate_hz=%d duration_s=%.2f",
            path, rate_hz, len(self.samples) / ASR_RATE_HZ,
        )

    async def __aiter__(self) -> AsyncIterator[np.ndarray]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for offset in range(0, len(self.samples), self.block_samples):
            if self.realtime:
                due = started + offset / ASR_RATE_HZ
                await asyncio.sleep(max(0.0, due - loop.time()))
            else:
                await asyncio.sleep(0)  # let other tasks run between blocks
            yield self.samples[offset : offset + self.block_samples]


class MicSource:
    """Microphone capture: ``async with MicSource(cfg) as mic: async for block in mic: ...``.

    Captures at ``audio.input_rate_hz`` (device, ``audio.input_device``) and yields float32 mono
    16 kHz blocks of ``audio.block_ms``. Device errors raise ``AudioError`` (at open, or from the
    iterator when the stream dies); ``reopen()`` then waits for the device to come back.
    """

    def __init__(self, config: AudioConfig) -> None:
        self._cfg = config
        self._stream: Any = None
        self._closing = True  # set while no stream is meant to run: late callbacks are ignored
        self._generation = 0  # blocks from an earlier stream (before reopen) are dropped
        self._queue: asyncio.Queue[np.ndarray | AudioError] = asyncio.Queue(_QUEUE_BLOCKS)
        self._dropped = 0
        self.stall_s = MIC_STALL_S

    async def __aenter__(self) -> MicSource:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Open and start the input stream; ``AudioError`` when PortAudio or the device fails."""
        loop = asyncio.get_running_loop()
        sd = require_sounddevice()
        rate_hz = self._cfg.input_rate_hz
        blocksize = rate_hz * self._cfg.block_ms // 1000

        def callback(indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
            if status:
                log.debug("event=mic_status status=%s", status)
            self._post(loop, indata[:, 0].astype(np.float32, copy=True))

        def finished() -> None:  # PortAudio stopped the stream: closed by us, or device lost
            self._post(loop, AudioError("audio error: microphone stream stopped"))

        self._closing = False
        self._generation += 1
        try:
            stream = sd.InputStream(
                device=self._cfg.input_device, samplerate=rate_hz, channels=1,
                dtype="float32", blocksize=blocksize, callback=callback,
                finished_callback=finished,
            )
            self._stream = stream
            stream.start()
        except Exception as error:  # sd.PortAudioError, ValueError for an unknown device name
            name = device_name(self._cfg.input_device)
            self.close()
            raise AudioError(f"audio error: cannot open microphone {name}: {error}") from None
        log.info(
            "event=mic_open device=%s rate_hz=%d block_ms=%d",
            self._cfg.input_device, rate_hz, self._cfg.block_ms,
        )

    def close(self) -> None:
        """Stop and close the stream (safe to call twice), never for longer than
        ``MIC_CLOSE_TIMEOUT_S``.

        Why the thread: with the sound server gone, PortAudio's ALSA thread can spin on a dead
        poll descriptor and ``Pa_CloseStream`` then waits for it forever; closed on the event
        loop, that froze the whole daemon (status socket included) while the thread filled the
        log with "Expression ... failed" lines. A close that does not return in time is left to
        finish in its own thread (the stream object is kept so the garbage collector never
        closes it on the loop) and the kiosk goes on to report itself deaf and retry.
        """
        self._closing = True
        stream, self._stream = self._stream, None
        if stream is None:
            return
        done = threading.Event()

        def close_stream() -> None:
            try:
                stream.close(ignore_errors=True)
            except Exception as error:  # a vanished device can fail even on close
                log.warning("event=mic_close_error error=%s", error)
            done.set()

        threading.Thread(target=close_stream, name="mic-close", daemon=True).start()
        if done.wait(MIC_CLOSE_TIMEOUT_S):
            log.info("event=mic_closed dropped_blocks=%d", self._dropped)
        else:
            _ABANDONED.append(stream)
            log.error("event=mic_close_hung timeout_s=%.1f action=abandoned streams=%d",
                      MIC_CLOSE_TIMEOUT_S, len(_ABANDONED))

    async def reopen(self, on_failure: Callable[[AudioError], None] | None = None) -> None:
        """Close, then retry opening with doubling back-off (``audio.reopen_backoff_*``)."""
        self.close()
        while not self._queue.empty():
            self._queue.get_nowait()
        delay = self._cfg.reopen_backoff_s
        while True:
            await asyncio.sleep(delay)
            try:
                self.open()
                return
            except AudioError as error:
                log.warning("event=mic_reopen_failed retry_s=%.1f error=%s", delay, error)
                if on_failure:
                    on_failure(error)
                delay = min(delay * 2, self._cfg.reopen_backoff_max_s)

    async def __aiter__(self) -> AsyncIterator[np.ndarray]:
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), self.stall_s)
            except TimeoutError:
                # A stream whose server went away (PulseAudio stopped) may neither call back
                # nor finish: no audio for this long is a lost microphone, not silence.
                raise AudioError(f"audio error: microphone delivered no audio for "
                                 f"{self.stall_s:g} s (device or sound server gone?)") from None
            if isinstance(item, AudioError):
                raise item
            yield resample(item, self._cfg.input_rate_hz, ASR_RATE_HZ)

    def _post(self, loop: asyncio.AbstractEventLoop, item: np.ndarray | AudioError) -> None:
        """From the PortAudio thread: hand ``item`` to the loop unless we are closing."""
        if self._closing or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between check and call
            loop.call_soon_threadsafe(self._push, item, self._generation)

    def _push(self, item: np.ndarray | AudioError, generation: int) -> None:
        if generation != self._generation or self._closing:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self._dropped += 1
        self._queue.put_nowait(item)


def device_name(device: str | int | None) -> str:
    """How a configured device appears in messages."""
    return "default" if device is None else repr(device)


def require_sounddevice() -> Any:
    """Import sounddevice lazily: it needs the PortAudio system library (libportaudio2)."""
    try:
        import sounddevice
    except OSError as error:
        raise AudioError(f"audio error: {error} (install libportaudio2)") from None
    return sounddevice
