"""A simulated room: the visitor's voice and the kiosk's own playback on one audio clock.

Echo and barge-in depend on what the microphone hears while the kiosk talks, so testing them
needs an acoustic path. `Room` is both the kiosk's source (microphone blocks, paced in real time
so that processing time becomes audio time) and its sink (playback placed on the same timeline
and leaked back into the microphone after `echo_delay_ms`, scaled by `echo_gain`). A visitor's
interruption can be scheduled relative to the start of the kiosk's reply. Every time is in audio
seconds, so "playback stopped within 300 ms of the interruption" is measured exactly, without a
sound card. (With a sound server, the same tests run on the real devices: see tests.)

With `hall` set, the echo is a simulated hall's instead (kiosk/audio/rooms.py): the loudspeaker's
soft clipping, then the hall's impulse response, times `echo_gain` (the microphone's gain),
`echo_delay_ms` after it is played (the sound card's output latency), so a reply cut by
barge-in leaves only its reverberant tail. The visitor and the interruption are given as the
microphone hears them (`rooms.at_microphone`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

from kiosk.audio import rooms
from kiosk.audio.wavio import resample
from kiosk.messages import ASR_RATE_HZ, SpeechAudio

log = logging.getLogger(__name__)

_AFTER_REPLY_S = 0.1  # with stop_after_first_reply: how much of the reply is still heard


@dataclass
class Playback:
    start_s: float
    duration_s: float
    stopped_s: float | None = None


@dataclass
class Room:
    visitor: np.ndarray                      # 16 kHz float32: what the visitor says, from t=0
    tail_s: float = 4.0                      # keep listening this long after everything ends
    echo_gain: float = 0.5
    echo_delay_ms: int = 40
    block_ms: int = 32
    interruption: np.ndarray | None = None   # said `interrupt_after_s` into the first reply
    interrupt_after_s: float = 1.0
    playbacks: list[Playback] = field(default_factory=list)
    interruption_at_s: float | None = None
    stop_after_first_reply: bool = False     # close the room once the kiosk starts answering
    hall: rooms.SimRoom | None = None        # echo through a simulated hall, not one tap
    speaker_level: float = 0.5               # with `hall`: the amplifier's volume (TTS peaks
    # at full scale; 0.5 drives the loudspeaker model mildly, as kiosk/diag/echo_rooms.py does)

    def __post_init__(self) -> None:
        self._mic = np.asarray(self.visitor, np.float32).copy()
        self._echo = np.zeros(0, np.float32)
        self._position = 0
        self._stop = asyncio.Event()
        self._clock = asyncio.Event()
        self._closed = False
        self._sound_end = len(self._mic)   # last sample where anything is heard

    @property
    def now_s(self) -> float:
        return self._position / ASR_RATE_HZ

    def _ensure(self, length: int) -> None:
        if len(self._mic) < length:
            self._mic = np.concatenate([self._mic, np.zeros(length - len(self._mic), np.float32)])
        if len(self._echo) < length:
            self._echo = np.concatenate([self._echo,
                                         np.zeros(length - len(self._echo), np.float32)])

    # -- source ------------------------------------------------------------------------------
    async def blocks(self) -> AsyncIterator[np.ndarray]:
        """Microphone: visitor + echo, in real time, until everything has been said and heard."""
        step = ASR_RATE_HZ * self.block_ms // 1000
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            end_s = self._sound_end / ASR_RATE_HZ + self.tail_s
            answered = self.stop_after_first_reply and bool(self.playbacks) and (
                self.now_s >= self.playbacks[0].start_s + _AFTER_REPLY_S)
            if answered or (self.now_s >= end_s and not self._playing()):
                self._closed = True
                self._clock.set()
                return
            # The block is recorded when its last sample is: wait for that moment first, then
            # take it and hand it over at once. `_position` (where a reply starting now is
            # placed) then always equals what the listener has been handed, loaded or not; it
            # used to run one block ahead while the source slept, so where the kiosk's voice
            # began, against where the kiosk thought it began, depended on the CPU's load.
            await asyncio.sleep(max(0.0, started + self.now_s + self.block_ms / 1000
                                    - loop.time()))
            self._ensure(self._position + step)
            block = self._mic[self._position:self._position + step] + self._echo[
                self._position:self._position + step]
            self._position += step
            self._clock.set()
            yield block

    def _playing(self) -> bool:
        return bool(self.playbacks) and self.playbacks[-1].stopped_s is None

    # -- sink --------------------------------------------------------------------------------
    async def play(self, speech: SpeechAudio) -> float:
        """Speaker: the reply goes on the timeline (and into the mic as echo) as time passes."""
        self._stop.clear()
        samples = resample(speech.samples, speech.rate_hz, ASR_RATE_HZ)
        playback = Playback(self.now_s, len(samples) / ASR_RATE_HZ)
        self.playbacks.append(playback)
        start = self._position
        delay = ASR_RATE_HZ * self.echo_delay_ms // 1000
        if self.interruption is not None and self.interruption_at_s is None:
            at = start + int(self.interrupt_after_s * ASR_RATE_HZ)
            self._ensure(at + len(self.interruption))
            self._mic[at:at + len(self.interruption)] += self.interruption
            self._sound_end = max(self._sound_end, at + len(self.interruption))
            self.interruption_at_s = at / ASR_RATE_HZ
        played = 0
        while played < len(samples) and not self._stop.is_set() and not self._closed:
            self._clock.clear()
            await self._clock.wait()
            upto = min(len(samples), self._position - start)
            if upto > played:
                self._leak(samples[played:upto], start + played, delay)
                played = upto
        playback.stopped_s = start / ASR_RATE_HZ + played / ASR_RATE_HZ
        return played / ASR_RATE_HZ

    def _leak(self, chunk: np.ndarray, at: int, delay: int) -> None:
        """What the microphone hears of `chunk`, played from sample `at`."""
        if self.hall is None:
            heard = self.echo_gain * chunk
        else:
            heard = self.echo_gain * np.convolve(rooms.loudspeaker(self.speaker_level * chunk),
                                                 self.hall.echo_path)
        # `chunk` is what played during the block just handed to the microphone: it can only
        # be heard from a later block on (with a hall, `echo_delay_ms` is the output latency).
        at += delay
        self._ensure(at + len(heard))
        self._echo[at:at + len(heard)] += heard.astype(np.float32)
        self._sound_end = max(self._sound_end, at + len(chunk))

    def stop(self) -> None:
        self._stop.set()
