"""What the voice loop needs of an echo canceller, and the one it uses.

The kiosk answers through its own loudspeaker while it listens, so that a visitor can interrupt.
The canceller takes the reply's timeline (what was played, from which microphone sample) and
returns microphone blocks with the kiosk's voice taken out; the VAD, barge-in and ASR all run on
what it returns. The voice loop's canceller is WebRTC AEC3 behind Speex's linear filter
(kiosk/audio/aec.py), chosen over five others and the old single tap in simulated halls
(docs/echo.md); the single tap survives only as the benchmark's baseline (kiosk/diag/single_tap.py).
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from kiosk.audio.aec import WebRtcEchoCanceller
from kiosk.errors import AudioError, one_line

log = logging.getLogger(__name__)


class Canceller(Protocol):
    """The reply's timeline in, a cleaned microphone block out.

    `delay_samples`: how many samples late `clean` returns the microphone (0 for a canceller
    that works block by block); the voice loop takes it off every time it reports."""

    blocks_suppressed: int

    @property
    def delay_samples(self) -> int: ...

    def played(self, samples_16k: np.ndarray, mic_sample: int) -> None: ...

    def stopped(self, mic_sample: int) -> None: ...

    def active(self, mic_sample: int) -> bool: ...

    def clean(self, block: np.ndarray, mic_sample: int) -> np.ndarray: ...

    def said(self, text: str) -> None: ...

    def is_own_words(self, transcript: str, similarity: float = 0.6,
                     min_words: int = 5, during_reply: bool = False) -> bool: ...


def build_canceller(linear_ms: int, max_lag_ms: int,
                    tail_ms: int) -> tuple[WebRtcEchoCanceller, str]:
    """The voice loop's canceller, and why it runs AEC3 alone when it must ("" otherwise).

    Without libspeexdsp it runs AEC3 alone rather than not at all: the kiosk then never
    interrupts itself either, but hears a visitor talking over a loud reply less well
    (docs/echo.md). Without pywebrtc-audio there is no canceller: `AudioError`."""
    try:
        return WebRtcEchoCanceller(linear_ms, max_lag_ms, tail_ms), ""
    except AudioError as error:
        if linear_ms == 0:
            raise
        return WebRtcEchoCanceller(0, max_lag_ms, tail_ms), one_line(error)


def voice_loop_canceller(linear_ms: int, max_lag_ms: int, tail_ms: int) -> Canceller:
    """The canceller the voice loop runs (pipeline.echo_linear_ms/echo_max_lag_ms/echo_tail_ms);
    `kiosk doctor` reports a missing libspeexdsp."""
    canceller, problem = build_canceller(linear_ms, max_lag_ms, tail_ms)
    if problem:
        log.error("event=aec_degraded linear_ms=0 error=%s", problem)
    return canceller
