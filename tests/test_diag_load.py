"""`kiosk bench --load N` starts its busy processes and always stops them."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from kiosk.diag.load import cpu_hogs


def _hogs() -> list[mp.process.BaseProcess]:
    return [p for p in mp.active_children() if p.name.startswith("kiosk-load-")]


def test_the_busy_processes_run_during_the_block_and_are_gone_after() -> None:
    with cpu_hogs(2) as count:
        assert count == 2 and len(_hogs()) == 2 and all(p.is_alive() for p in _hogs())
    assert _hogs() == []


def test_they_are_stopped_when_the_bench_fails() -> None:
    with pytest.raises(RuntimeError), cpu_hogs(1):
        raise RuntimeError("a bench stage failed")
    assert _hogs() == []


def test_no_load_starts_nothing() -> None:
    with cpu_hogs(0) as count:
        assert count == 0 and _hogs() == []
