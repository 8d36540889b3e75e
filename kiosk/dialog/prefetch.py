"""Reads a token stream on its own thread so that its reader can stop waiting.

The dialog engine gives the model `llm.first_sentence_timeout_s` to produce a checked first
sentence. Iterating the stream directly, that deadline was only looked at when a token
arrived: with another process on a core, llama.cpp's first token took 2.8-8 s and the KB
answer waited for it (one TTFA was 9.7 s). Here the stream is read by a worker thread into a
queue; `next(timeout_s)` returns when a piece comes or the time is up, and `close()` lets the
reader walk away at once while the worker ends the stream after its current token.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Literal

Event = tuple[Literal["piece", "done", "error", "wait"], object]


class Prefetch:
    """`source`'s pieces, handed over through a queue by a daemon thread."""

    def __init__(self, source: Iterator[str]) -> None:
        self._items: queue.Queue[Event] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(source,), daemon=True,
                                        name="llm-prefetch")
        self._thread.start()

    def _read(self, source: Iterator[str]) -> None:
        try:
            for piece in source:
                if self._stop.is_set():
                    break
                self._items.put(("piece", piece))
        except BaseException as error:  # handed to the reader, raised there
            self._items.put(("error", error))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self._items.put(("done", None))

    def next(self, timeout_s: float | None) -> Event:
        """The next piece, "done", an error, or "wait" when `timeout_s` passed with nothing."""
        try:
            return self._items.get(timeout=timeout_s)
        except queue.Empty:
            return ("wait", None)

    def close(self) -> None:
        """Stop reading: the worker ends the stream after the token it is waiting for."""
        self._stop.set()
