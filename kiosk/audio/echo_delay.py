"""How much later than it was sent the kiosk's own voice reaches its microphone.

Why the canceller needs it: Speex's linear filter in front of AEC3 only works when the
reference is lined up with the echo. With the echo 72 ms behind the reference (a sound card's
output buffer plus the path to the microphone; 20-200 ms is usual), Speex then AEC3 removed
25-29 dB of a reply's echo in a one-tap room and two simulated halls, against 32-43 dB with the
reference lined up, and the residual's loudest 224 ms reached -32 dB: loud enough for Silero to
call it speech, so the kiosk interrupted its own reply at a sentence boundary. AEC3 alone copes
with any delay but ducks a visitor who talks over the reply (docs/echo.md).

The delay is found the way WebRTC's own delay estimators do it, by cross-correlating what the
microphone heard with what was played: GCC-PHAT (the cross-spectrum with its magnitude
divided out, so the room's colouring does not smear the peak and the direct path stands out)
over the first `window` samples of a reply, searching lags 0..`max_lag`. A peak that does not
stand clear of the rest (a visitor talking at once, a muted loudspeaker, a reply too quiet) is
no estimate: the previous one stays.
"""

from __future__ import annotations

import logging

import numpy as np

from kiosk.messages import ASR_RATE_HZ

log = logging.getLogger(__name__)

# The peak against the correlation's typical (mean absolute) value. Measured: an echo of the
# kiosk's voice 65-140 in every simulated hall, the street alone under 6.
_CLEAR_PEAK = 15.0


class EchoDelayEstimator:
    """Collects one reply's start (microphone and reference on the same sample index) and
    says, once enough is heard, how many samples the echo lags the reference (`lag`)."""

    def __init__(self, max_lag: int, window: int, margin: int = 32) -> None:
        self._max_lag = max_lag
        self._window = window
        self._margin = margin     # keep the reference this far ahead: the filters are causal
        self._mic: list[np.ndarray] = []
        self._reference: list[np.ndarray] = []
        self._collected = 0
        self._collecting = False
        self.lag = 0              # samples to delay the reference by (0 until first estimate)
        self.estimates = 0        # how many replies gave a clear peak

    @property
    def collecting(self) -> bool:
        """True while a reply's start is still being gathered (`feed` wants frames)."""
        return self._collecting

    def reply_started(self) -> None:
        """A new reply (after silence) begins: estimate again from its start."""
        self._mic, self._reference, self._collected = [], [], 0
        self._collecting = True

    def feed(self, mic: np.ndarray, reference: np.ndarray) -> bool:
        """One frame of microphone and of the reference as registered (not delayed); True when
        this frame completed a clear estimate (now in `lag`)."""
        if not self._collecting:
            return False
        self._mic.append(np.asarray(mic, np.float32))
        self._reference.append(np.asarray(reference, np.float32))
        self._collected += len(mic)
        if self._collected < self._window + self._max_lag:
            return False
        self._collecting = False
        found = self._estimate(np.concatenate(self._mic), np.concatenate(self._reference))
        self._mic, self._reference = [], []
        if found is None:
            return False
        self.lag, self.estimates = max(0, found - self._margin), self.estimates + 1
        log.info("event=echo_delay lag_ms=%.1f", found * 1000 / ASR_RATE_HZ)
        return True

    def _estimate(self, mic: np.ndarray, reference: np.ndarray) -> int | None:
        reference = reference[: self._window]
        if float(np.dot(reference, reference)) < 1e-6 or float(np.dot(mic, mic)) < 1e-9:
            return None
        size = 1 << int(np.ceil(np.log2(len(mic) + len(reference))))
        cross = np.fft.rfft(mic, size) * np.conj(np.fft.rfft(reference, size))
        cross /= np.abs(cross) + 1e-12
        correlation = np.abs(np.fft.irfft(cross, size)[: self._max_lag + 1])
        peak = int(np.argmax(correlation))
        typical = float(np.mean(correlation)) + 1e-12
        if correlation[peak] < _CLEAR_PEAK * typical:
            log.info("event=echo_delay_unclear peak_ratio=%.1f", correlation[peak] / typical)
            return None
        return peak
