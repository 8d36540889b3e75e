"""The textual echo check: a transcript that repeats what the kiosk just said is its own voice.

Whatever cancels the echo acoustically (the single-tap `EchoCanceller`, WebRTC's AEC3 in
`kiosk.audio.aec`), some of a reverberant reply can survive and reach the recogniser. This is
the second line of defence that every canceller shares: a transcript matching what the kiosk
said in the last `window_s` seconds is dropped. For an utterance heard while a reply played, a
short fragment of it is enough ("Technology Building," out of "the Science and Technology
Building is ..."): in a simulated hall (docs/echo.md) the residual of a reply's loud first
syllables, before the canceller has learnt the room, came back as two or three of its words and
the kiosk answered them.
"""

from __future__ import annotations

import difflib
import re
import time
from collections import deque


class OwnWords:
    """What the kiosk said recently, and whether a transcript is a long run of it."""

    def __init__(self, window_s: float = 15.0) -> None:
        self._window_s = window_s
        self._said: deque[tuple[float, str]] = deque(maxlen=32)

    def said(self, text: str) -> None:
        """Remember a sentence the kiosk spoke."""
        self._said.append((time.monotonic(), text))

    def is_own_words(self, transcript: str, similarity: float = 0.6,
                     min_words: int = 5, during_reply: bool = False) -> bool:
        """True when a transcript is the kiosk's own recent speech heard back.

        A long run of the kiosk's own phrasing counts at any time: a visitor repeating a short
        question ("Where's Hanyang Plaza?") shares its names with the answer and must still
        be answered. With `during_reply` (the utterance began while a reply could be heard), a
        transcript every word of which is, in order and without a gap, something the kiosk
        said also counts: its own words, not a question ("where", "how" are never in a reply).
        """
        now = time.monotonic()
        heard = _words(transcript)
        if not heard:
            return False
        recent = " ".join(t for at, t in self._said if now - at <= self._window_s)
        said = _words(recent)
        if not said:
            return False
        matcher = difflib.SequenceMatcher(a=said, b=heard, autojunk=False)
        blocks = matcher.get_matching_blocks()
        matched = sum(block.size for block in blocks)
        longest = max((block.size for block in blocks), default=0)
        if during_reply and longest == len(heard):
            return True
        if len(heard) < min_words:
            return False
        return matched / len(heard) >= similarity and longest >= min_words


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
