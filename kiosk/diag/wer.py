"""Word and character error rates for the doctor's TTS → ASR round trip.

Punctuation and case are ignored: the question is whether the words survived, not how Whisper
punctuates. Korean is also scored by characters (``cer``) because Korean word spacing varies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance over tokens (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate; 0.0 for a perfect match, can exceed 1.0 with many insertions."""
    ref = words(reference)
    return edit_distance(ref, words(hypothesis)) / max(len(ref), 1)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over letters and digits only (spaces and punctuation dropped)."""
    ref = "".join(words(reference))
    return edit_distance(ref, "".join(words(hypothesis))) / max(len(ref), 1)
