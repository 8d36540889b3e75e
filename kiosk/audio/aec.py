"""Echo cancellation for a loudspeaker in a real hall: WebRTC's AEC3 behind Speex's linear filter.

Measured in the six simulated halls (kiosk/audio/rooms.py) with the kiosk's own voices, on the
2-core x86 VM (docs/echo.md, kiosk/diag/echo_bench.py):

- The single tap it replaced (kiosk/diag/single_tap.py) leaves 7-26 dB of echo reduction (ERLE), and
  in the far-microphone rooms residual echo that Silero scores as speech for 192-256 ms: past
  the 160 ms that is a barge-in, so the kiosk would interrupt itself.
- WebRTC AEC3 alone (pywebrtc-audio) removes 24-53 dB, its residual is never speech, and unknown
  output latency does not matter (37 dB at 0, 60 and 200 ms); but its residual echo suppressor
  ducks a visitor talking over the kiosk by 5-11 dB, and barge-in is missed for 7 visitors of 12.
- Speex's MDF linear filter alone keeps the visitor whole (-0.4 dB) but leaves 19-28 dB, and
  its residual is speech for 1.2-1.4 s: the kiosk would interrupt itself on every reply.
- Speex first, then AEC3 (`linear_ms` > 0, the default): Speex removes most of the echo
  linearly, AEC3 sees a quiet echo path and suppresses less. ERLE 26-43 dB, the residual is
  never speech, the visitor comes out 2-4 dB down and barge-in fires for all 12 visitors
  (0.3-1.3 s after their first word). 15 ms of CPU per second of audio.

The reference is delayed by the echo's measured delay (kiosk/audio/echo_delay.py: the sound
card's output latency plus the path). With 72 ms of it, Speex then AEC3 removed 25-29 dB as
registered and 32-43 dB lined up; a new delay is learnt by a second chain for 1.5 s beside the
one serving, which it then replaces (docs/echo.md, "Output latency").

It is the voice loop's `kiosk.audio.canceller.Canceller`. Speex's filter is the system's
libspeexdsp through ctypes (kiosk/audio/speex.py); the text-level own-words check is the shared
`kiosk.audio.own_words.OwnWords`.

The libraries take 10 ms frames; the kiosk's 32 ms blocks are cut into frames, so `clean`
returns each block a fixed `delay_samples` late: AEC3's own 8 ms (measured: pywebrtc-audio
0.2.0 returns its input 128 samples late) plus 10 ms when blocks are not whole frames (18 ms for
32 ms blocks). AEC3 runs on every frame, with a silent reference while nothing plays, so that
delay never changes (8 ms of CPU per second of audio on the 2-core VM); Speex runs only while
the reply can be heard. Both libraries are loaded when the canceller is made, so this module
imports without them.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kiosk.audio.echo_delay import EchoDelayEstimator
from kiosk.audio.own_words import OwnWords
from kiosk.audio.reference import FollowsPlayback, PlayedAudio
from kiosk.audio.speex import LinearEchoFilter
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ

log = logging.getLogger(__name__)

FRAME = ASR_RATE_HZ // 100  # 10 ms: what AEC3 takes
AEC3_DELAY = 128            # samples: pywebrtc-audio 0.2.0's output lags its input by 8 ms
_SAME_LAG = 16              # samples (1 ms): a re-measured echo delay this close is the same
_WARM_FRAMES = 150          # 1.5 s: how long a chain on a new alignment learns before it serves
_SUPPRESSED = 0.01          # a block whose output keeps under 1 % of its power (-20 dB)


class WebRtcEchoCanceller(FollowsPlayback):
    """AEC3 (pywebrtc-audio), optionally after a Speex MDF filter `linear_ms` long.

    `blocks_suppressed` counts blocks heard while the reply can be heard whose output keeps
    under 1 % (-20 dB) of their power: echo taken out, as `EchoCanceller` counts its zeroed
    blocks.
    """

    def __init__(self, linear_ms: int = 384, max_lag_ms: int = 400, tail_ms: int = 800,
                 text_window_s: float = 15.0) -> None:
        self._linear_length = ASR_RATE_HZ * linear_ms // 1000
        self._chain = _Chain(self._linear_length, 0)
        self._warming: _Chain | None = None       # the next chain, learning a new alignment
        self._warm_left = 0                       # frames it still learns before taking over
        super().__init__(int(ASR_RATE_HZ * max_lag_ms / 1000), int(ASR_RATE_HZ * tail_ms / 1000))
        self.delay = EchoDelayEstimator(self._max_lag, ASR_RATE_HZ // 2)
        self._pending = np.zeros(0, np.float32)   # mic samples short of a whole frame
        self._pending_at = 0                      # mic sample index of self._pending[0]
        self._next: int | None = None             # mic sample index the next block should have
        self._ready = np.zeros(0, np.float32)     # processed samples not yet returned
        self._framing: int | None = None          # 0 or FRAME, fixed by the first block
        self.own_words = OwnWords(text_window_s)
        self.blocks_suppressed = 0
        log.info("event=aec_ready kind=webrtc_aec3 linear_ms=%d", linear_ms)

    @property
    def has_linear_filter(self) -> bool:
        """False when it runs AEC3 alone (linear_ms 0, or no libspeexdsp)."""
        return self._linear_length > 0

    @property
    def lag_samples(self) -> int:
        """How far the reference is delayed to line up with the echo (0 until measured)."""
        return self._chain.lag

    def played(self, samples_16k: np.ndarray, mic_sample: int) -> None:
        """Register a reply's audio; a reply after silence re-measures the echo's delay."""
        if not self.active(mic_sample):
            self.delay.reply_started()
        super().played(samples_16k, mic_sample)

    @property
    def delay_samples(self) -> int:
        """How late `clean` returns the microphone (known once the first block is cleaned)."""
        return AEC3_DELAY + (self._framing or 0)

    def clean(self, block: np.ndarray, mic_sample: int) -> np.ndarray:
        """The block with the kiosk's voice removed, `delay_samples` late (same length)."""
        block = np.asarray(block, np.float32).reshape(-1)
        if self._framing is None:
            self._framing = 0 if len(block) % FRAME == 0 else FRAME
            self._ready = np.zeros(self._framing, np.float32)
        if self._next is not None and mic_sample != self._next:
            log.info("event=aec_resync expected=%d got=%d", self._next, mic_sample)
            self._pending = np.zeros(0, np.float32)
        if not len(self._pending):
            self._pending_at = mic_sample
        self._next = mic_sample + len(block)
        self._pending = np.concatenate([self._pending, block])
        whole = len(self._pending) // FRAME * FRAME
        cleaned = self._frames(self._pending[:whole], self._pending_at)
        self._pending, self._pending_at = self._pending[whole:], self._pending_at + whole
        self._ready = np.concatenate([self._ready, cleaned])
        if len(self._ready) < len(block):  # only after a resync: keep the timeline's length
            self._ready = np.concatenate(
                [np.zeros(len(block) - len(self._ready), np.float32), self._ready])
        out, self._ready = self._ready[: len(block)], self._ready[len(block):]
        energy = float(np.dot(block, block))
        if energy > 1e-8 and self.active(mic_sample) and \
                float(np.dot(out, out)) < _SUPPRESSED * energy:
            self.blocks_suppressed += 1
        return out

    def _frames(self, samples: np.ndarray, at: int) -> np.ndarray:
        out = np.empty_like(samples)
        for i in range(0, len(samples), FRAME):
            frame, position = samples[i:i + FRAME], at + i
            if self.delay.collecting and \
                    self._played.start <= position < self._played.end + self._max_lag and \
                    self.delay.feed(frame, self._played.segment(position, position + FRAME)):
                self._consider(self.delay.lag)
            active = self.active(position)
            out[i:i + FRAME] = self._chain.process(frame, position, self._played, active)
            if self._warming is not None:
                self._warming.process(frame, position, self._played, active)
                self._warm_left -= 1
                if self._warm_left <= 0:
                    log.info("event=aec_realigned lag_ms=%.1f was_ms=%.1f",
                             self._warming.lag * 1000 / ASR_RATE_HZ,
                             self._chain.lag * 1000 / ASR_RATE_HZ)
                    self._chain, self._warming = self._warming, None
        return out

    def _consider(self, lag: int) -> None:
        """A measured echo delay: a different one starts a second chain on it, which takes
        over once it has learned the echo path. Switching one chain's alignment at once made
        both filters learn again while the reply played, and the residual of that (measured:
        a burst at -30 dB) was speech enough to barge in."""
        goal = self._warming.lag if self._warming is not None else self._chain.lag
        if abs(lag - goal) <= _SAME_LAG:
            return
        self._warming, self._warm_left = _Chain(self._linear_length, lag), _WARM_FRAMES

    def said(self, text: str) -> None:
        """Remember a sentence the kiosk spoke (for the textual echo check)."""
        self.own_words.said(text)

    def is_own_words(self, transcript: str, similarity: float = 0.6,
                     min_words: int = 5, during_reply: bool = False) -> bool:
        """True when a transcript is the kiosk's own recent speech heard back (see OwnWords)."""
        return self.own_words.is_own_words(transcript, similarity, min_words, during_reply)


class _Chain:
    """Speex's filter (when `linear_length` > 0, only while a reply can be heard), then AEC3,
    with the reference delayed by `lag` samples."""

    def __init__(self, linear_length: int, lag: int) -> None:
        self.lag = lag
        self._aec3 = _aec3()
        self._linear = (LinearEchoFilter(FRAME, linear_length, ASR_RATE_HZ)
                        if linear_length > 0 else None)

    def process(self, frame: np.ndarray, position: int, played: PlayedAudio,
                active: bool) -> np.ndarray:
        reference = played.segment(position - self.lag, position - self.lag + FRAME)
        if self._linear is not None and active:
            frame = self._linear.process(_int16(frame), _int16(reference)) / np.float32(32767.0)
        return np.asarray(self._aec3.process(frame, reference), np.float32)


def _aec3() -> Any:
    try:
        import pywebrtc_audio
    except ImportError:
        raise AudioError("audio error: the WebRTC echo canceller needs pywebrtc-audio "
                         "(pip install pywebrtc-audio)") from None
    return pywebrtc_audio.EchoCanceller(sample_rate=ASR_RATE_HZ, num_channels=1,
                                        stream_delay_ms=0)


def _int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767).astype(np.int16)
