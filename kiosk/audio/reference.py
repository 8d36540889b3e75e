"""What the kiosk has sent to its loudspeaker, placed on the microphone's timeline.

Every echo canceller needs the reply as the loudspeaker plays it, indexed by the microphone
sample at which each part starts, so that it can line a microphone block up with what was
playing then. A new reply that starts before the previous one ends replaces the unplayed rest;
a reply cut short by barge-in (`stopped`) forgets what was never played.
"""

from __future__ import annotations

import numpy as np

from kiosk.messages import ASR_RATE_HZ


class PlayedAudio:
    """A 16 kHz float32 reference with the mic sample index of its first sample (`start`)."""

    def __init__(self, keep_s: float = 60.0, slack: int = 0) -> None:
        self._keep = int(keep_s * ASR_RATE_HZ)
        self._slack = slack          # trimming waits until this much more than `keep_s` is held
        self.samples = np.zeros(0, np.float32)
        self.start = 0

    @property
    def end(self) -> int:
        """Mic sample index just after the last sample played."""
        return self.start + len(self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def played(self, samples_16k: np.ndarray, mic_sample: int) -> None:
        """Audio that starts playing when the mic is at sample index `mic_sample`."""
        if mic_sample > self.end or not len(self.samples):
            keep = np.zeros(0, np.float32)
            self.start = mic_sample
        else:
            keep = self.samples[: max(0, mic_sample - self.start)]
        self.samples = np.concatenate([keep, np.asarray(samples_16k, np.float32)])
        if len(self.samples) > self._keep + self._slack:  # bound memory on long replies
            drop = len(self.samples) - self._keep
            self.samples, self.start = self.samples[drop:], self.start + drop

    def stopped(self, mic_sample: int) -> None:
        """Playback was cut at `mic_sample`: what was registered after it was never played."""
        self.samples = self.samples[: max(0, mic_sample - self.start)]

    def segment(self, lo: int, hi: int) -> np.ndarray:
        """The reference for mic samples [lo, hi), silence where nothing was playing."""
        out = np.zeros(max(0, hi - lo), np.float32)
        src_lo, src_hi = max(lo - self.start, 0), min(hi - self.start, len(self.samples))
        if src_hi > src_lo:
            out[src_lo + self.start - lo: src_hi + self.start - lo] = self.samples[src_lo:src_hi]
        return out


class FollowsPlayback:
    """What every echo canceller does with the reply's timeline: register what is played,
    forget what a barge-in cut, and say when the reply (plus the speaker-to-mic lag and the
    room's tail) can still be heard. The cancellers differ only in `clean`."""

    def __init__(self, max_lag: int, tail: int) -> None:
        self._max_lag = max_lag      # samples: the longest speaker-to-mic delay expected
        self._tail = tail            # samples: echo still heard after the reply ends
        self._played = PlayedAudio(slack=max_lag * 4)

    def played(self, samples_16k: np.ndarray, mic_sample: int) -> None:
        """Register audio that starts playing when the mic is at sample index `mic_sample`."""
        self._played.played(samples_16k, mic_sample)

    def stopped(self, mic_sample: int) -> None:
        """Playback was cut at `mic_sample`: what was registered after it was never played."""
        self._played.stopped(mic_sample)

    def active(self, mic_sample: int) -> bool:
        """True while the reference (plus lag and tail) can still be heard at `mic_sample`."""
        played = self._played
        return bool(len(played)) and played.start <= mic_sample + self._max_lag \
            and mic_sample < played.end + self._max_lag + self._tail
