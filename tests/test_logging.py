"""Logging on a full disk: the kiosk keeps answering, counts what it could not log, and says so.

/dev/full is a real device whose every write fails with ENOSPC, exactly as a full disk does.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import logsetup
from kiosk.audio.wavio import read_wav

REPO = Path(__file__).resolve().parent.parent
FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


@needs_dev_full
def test_records_on_a_full_disk_are_counted_then_reported_once_writing_works() -> None:
    log = logging.getLogger("kiosk.test.full")
    full = FULL.open("w")
    try:
        handler = logsetup.ResilientHandler(full)
        handler.setFormatter(logging.Formatter(logsetup.FORMAT))
        log.addHandler(handler)
        log.propagate = False
        try:
            for turn in range(3):
                log.warning("event=turn n=%d", turn)  # must not raise
            assert handler.dropped == 3
            recovered = io.StringIO()
            handler.setStream(recovered)
            log.warning("event=turn n=3")
        finally:
            log.removeHandler(handler)
            log.propagate = True
    finally:
        with contextlib.suppress(OSError):  # closing flushes what the device refused
            full.close()
    lines = recovered.getvalue().splitlines()
    assert len(lines) == 2
    assert "event=log_dropped records=3" in lines[0] and "event=turn n=3" in lines[1]
    assert handler.dropped == 0 and handler.dropped_total == 3


def test_a_broken_record_is_dropped_not_raised() -> None:
    stream = io.StringIO()
    handler = logsetup.ResilientHandler(stream)
    handler.emit(logging.makeLogRecord({"msg": "%d apples", "args": ("many",)}))
    assert handler.dropped_total == 1 and stream.getvalue() == ""


@needs_dev_full
@pytest.mark.slow
def test_the_daemon_answers_with_its_logs_and_output_on_a_full_disk(tmp_path: Path) -> None:
    out = tmp_path / "answers.wav"
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "-v", "run", "--json",
             "--input-wav", str(REPO / "tests" / "data" / "two_questions.wav"),
             "--output-wav", str(out)],
            stdout=full, stderr=full, cwd=REPO, timeout=300, check=False)
    assert done.returncode == 0
    samples, rate = read_wav(out)
    assert len(samples) / rate > 3  # both answers were spoken
