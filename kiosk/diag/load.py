"""`kiosk bench --load N`: the bench beside N CPU-bound processes that it starts and stops.

Why: on a kiosk, an operator's `kiosk doctor` over SSH, a log burst or a second model takes a
core; what matters is how the kiosk's latency holds up then (issue 14: one busy process made
the model's first token take 2.8-8 s). The hogs are plain busy loops in their own processes
(not threads: the GIL would make them share one core).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


def _spin(stop: mp.synchronize.Event) -> None:
    count = 0
    while not stop.is_set():
        for _ in range(200_000):
            count += 1


@contextmanager
def cpu_hogs(count: int) -> Iterator[int]:
    """``count`` busy processes for the duration of the block (0: nothing)."""
    if count <= 0:
        yield 0
        return
    context = mp.get_context("spawn")
    stop = context.Event()
    hogs = [context.Process(target=_spin, args=(stop,), daemon=True, name=f"kiosk-load-{i}")
            for i in range(count)]
    for hog in hogs:
        hog.start()
    log.info("event=load_started processes=%d", count)
    try:
        yield count
    finally:
        stop.set()
        for hog in hogs:
            hog.join(timeout=5)
            if hog.is_alive():
                hog.kill()
        log.info("event=load_stopped processes=%d", count)
