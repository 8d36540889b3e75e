"""The old single-tap echo canceller, kept only as the baseline the echo benchmarks compare with.

It was the voice loop's canceller until WebRTC AEC3 behind Speex's linear filter
(kiosk/audio/aec.py) replaced it: in simulated halls it left 7-26 dB of echo, interrupted itself
in the far-microphone rooms and missed 5 of 12 visitors talking over a reply (docs/echo.md).
What follows is how it works.

Muting the microphone while speaking would make barge-in impossible, so the kiosk keeps a copy
of what it plays (the reference, at 16 kHz on the microphone's timeline) and, for each
microphone block heard during playback and a short tail after it, finds the lag and gain at
which the reference best explains the block (normalised cross-correlation over `max_lag_ms`)
and subtracts it. What remains is the visitor: the VAD runs on the residual. A block whose
residual is still mostly the kiosk (correlation above `echo_correlation`) is treated as silence.

This is a single-tap canceller: it removes a direct, delayed copy (a loopback, a close
speaker) well and a reverberant room partly. A second line of defence is textual: a transcript
that matches what the kiosk said in the last `echo_text_window_s` is dropped (`is_own_words`,
kiosk/audio/own_words.py, shared with the WebRTC canceller).
"""

from __future__ import annotations

import logging

import numpy as np

from kiosk.audio.own_words import OwnWords
from kiosk.audio.reference import FollowsPlayback
from kiosk.messages import ASR_RATE_HZ

log = logging.getLogger(__name__)


class EchoCanceller(FollowsPlayback):
    """Reference-signal echo removal on 16 kHz float32 microphone blocks."""

    def __init__(self, max_lag_ms: int = 400, echo_correlation: float = 0.6,
                 tail_ms: int = 500, text_window_s: float = 15.0) -> None:
        super().__init__(int(ASR_RATE_HZ * max_lag_ms / 1000), int(ASR_RATE_HZ * tail_ms / 1000))
        self._threshold = echo_correlation
        self.own_words = OwnWords(text_window_s)
        self._path: tuple[int, float] | None = None   # (lag index, gain) learnt from echo alone
        self.blocks_suppressed = 0

    @property
    def delay_samples(self) -> int:
        """Block by block: `clean` returns each block in place."""
        return 0

    def clean(self, block: np.ndarray, mic_sample: int) -> np.ndarray:
        """The block with the best-matching delayed reference removed."""
        if not self.active(mic_sample):
            return block
        energy = float(np.dot(block, block))
        if energy < 1e-8:
            return block
        lo, hi = mic_sample - self._max_lag, mic_sample + len(block)
        if min(hi, self._played.end) <= max(lo, self._played.start):
            return block
        ref = self._played.segment(lo, hi)
        # Sliding dot products and window energies: candidate lag k uses ref[k : k + len(block)].
        dots = np.correlate(ref, block, mode="valid")
        window = np.convolve(ref * ref, np.ones(len(block), np.float32), mode="valid")
        norms = np.sqrt(np.maximum(window, 1e-12) * energy)
        corr = dots / norms
        best = int(np.argmax(corr))
        if corr[best] >= self._threshold:
            # Echo dominates: learn the path. While the visitor talks too (double talk) the
            # estimate would be biased by their voice, so the last learnt path is used instead.
            self._path = (self._max_lag - best, float(dots[best] / max(window[best], 1e-12)))
        if self._path is None:
            return block
        lag, gain = self._path
        k = self._max_lag - lag
        segment = ref[k: k + len(block)]
        residual = block - gain * segment
        if corr[best] >= self._threshold and float(np.dot(residual, residual)) < 0.25 * energy:
            self.blocks_suppressed += 1
            return np.zeros_like(block)
        return residual.astype(np.float32)

    def said(self, text: str) -> None:
        """Remember a sentence the kiosk spoke (for the textual echo check)."""
        self.own_words.said(text)

    def is_own_words(self, transcript: str, similarity: float = 0.6,
                     min_words: int = 5, during_reply: bool = False) -> bool:
        """True when a transcript is the kiosk's own recent speech heard back (see OwnWords)."""
        return self.own_words.is_own_words(transcript, similarity, min_words, during_reply)
