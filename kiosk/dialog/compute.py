"""One long-lived thread for every llama.cpp call.

llama.cpp's CPU backend splits each token's work over `n_threads` with OpenMP, and libgomp keeps
a pool of worker threads for each thread that starts parallel work. A model driven from whatever
thread asks (the main thread at warm-up, then any of asyncio's worker threads) leaves several
pools alive; libgomp then counts more threads than cores and sleeps instead of spinning at the
hundreds of barriers in every token. Measured on the 2-core VM: 25 tokens/s from a worker thread
once the main thread had generated, 40 tokens/s from one thread. Every call therefore runs on
this one thread, whoever makes it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class ComputeThread:
    """Runs functions and iterators on one dedicated thread; results come back to the caller."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._thread_id: int | None = None

    def call(self, function: Callable[[], T]) -> T:
        """`function()` on the thread (directly when already on it)."""
        if threading.get_ident() == self._thread_id:
            return function()
        return self._executor.submit(self._run, function).result()

    def iterate(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """The items of `make()`, produced on the thread and yielded here as they come.

        Closing this generator early (the caller stops reading) stops the producer after its
        current item and waits for it, so the next call starts on an idle thread.
        """
        items: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            source = make()
            try:
                for item in source:
                    items.put(("item", item))
                    if stop.is_set():
                        break
            except BaseException as error:  # handed to the caller, raised there
                items.put(("error", error))
                return
            finally:
                close = getattr(source, "close", None)
                if close is not None:
                    close()
            items.put(("done", None))

        future = self._executor.submit(self._run, produce)
        try:
            while True:
                kind, value = items.get()
                if kind == "item":
                    yield value  # type: ignore[misc]
                elif kind == "error":
                    raise value  # type: ignore[misc]
                else:
                    return
        finally:
            stop.set()
            future.result()

    def _run(self, function: Callable[[], T]) -> T:
        self._thread_id = threading.get_ident()
        return function()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
