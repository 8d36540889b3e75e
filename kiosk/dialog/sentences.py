"""Sentence splitting for streaming: LLM text pieces in, finished sentences out.

Speech starts on the first finished sentence while the rest is generated, and the guard checks
each sentence before it may be spoken. A sentence ends at . ! ? (or their full-width forms)
followed by a space or the end of text, or directly followed by a letter (a small model glues
its next, unrelated text on: "Gate.iatrics"); a full stop between digits ("3.5") does not end
one, nor does a known abbreviation ("Hanyang Univ. Station").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?:\s|(?=[^\W\d_]))|\n")
ABBREVIATIONS = frozenset({"univ", "no", "bldg", "approx", "st", "dr", "mr", "ms", "prof", "vs"})


def _sentence_end(text: str, start: int = 0) -> re.Match[str] | None:
    """The first sentence boundary at or after `start`, skipping abbreviations."""
    while (match := _END.search(text, start)) is not None:
        words = re.findall(r"\w+", text[:match.start()])
        if text[match.start():match.end()].strip() != "." or not words \
                or words[-1].lower() not in ABBREVIATIONS:
            return match
        start = match.end()
    return None


_FINISHED = re.compile(r"([.!?…。！？]|[요다죠까])[\"'”’)\]]*$")


def looks_finished(sentence: str) -> bool:
    """The text ends as a sentence does: a full stop or mark, or a Korean sentence ending.

    What the model leaves unterminated when it stops is usually cut off by the token limit
    ("…본관의 오른쪽 길을 따라 올라가다가 건물번호"), and is not worth saying.
    """
    return bool(_FINISHED.search(sentence.rstrip()))


def split_sentences(text: str) -> list[str]:
    """All sentences of a finished text, stripped, empty ones dropped."""
    buffer = SentenceBuffer()
    return [*buffer.feed(text), *buffer.flush()]


class SentenceBuffer:
    """Accumulates streamed text and releases each sentence once it is complete."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, piece: str) -> Iterator[str]:
        self._pending += piece
        while True:
            match = _sentence_end(self._pending)
            if match is None:
                return
            sentence, self._pending = (self._pending[:match.end()].strip(),
                                       self._pending[match.end():])
            if sentence:
                yield sentence

    def flush(self) -> Iterator[str]:
        rest, self._pending = self._pending.strip(), ""
        if rest:
            yield rest
