"""Logging for the kiosk: one line per event on stderr (the journal under systemd).

A kiosk that logs to a full disk (stderr redirected to a file, a broken journal pipe) must keep
serving visitors. The standard `StreamHandler` reports a failed write by printing a multi-line
traceback to the same broken stream for every record; `ResilientHandler` instead drops the
record, counts it, and once writing works again logs one line saying how many were lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class ResilientHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that never raises and never floods: failed writes are counted."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.dropped = 0
        self.dropped_total = 0
        self._torn = False  # the last write stopped mid-line (ENOSPC after a partial write)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.dropped:
                note = logging.makeLogRecord({
                    "name": __name__, "levelno": logging.WARNING, "levelname": "WARNING",
                    "msg": "event=log_dropped records=%d reason=write_failed",
                    "args": (self.dropped,)})
                self._write(note)
                self.dropped = 0
            self._write(record)
        except OSError:  # ENOSPC, EPIPE, EIO: the visitor matters more than this line
            self.dropped += 1
            self.dropped_total += 1
        except Exception:  # a bad format string in a record: still never raise
            self.dropped += 1
            self.dropped_total += 1

    def flush(self) -> None:
        with contextlib.suppress(OSError):  # the failed write was already counted
            super().flush()

    def _write(self, record: logging.LogRecord) -> None:
        """One whole line, or a torn one that the next line first terminates.

        Why bytes to the descriptor: a text stream keeps the unwritten rest of a line that the
        disk refused half-way and writes it later, in front of another record; the journal
        then shows half a line glued to the next one."""
        text = self.format(record) + self.terminator
        if self._torn:
            text = self.terminator + text
        fd = _fileno(self.stream)
        if fd is None:
            self.stream.write(text)
            self.stream.flush()
            self._torn = False
            return
        self.stream.flush()  # whatever else was printed to it goes first
        data = text.encode("utf-8", errors="backslashreplace")
        written = 0
        try:
            while written < len(data):
                written += write_fd(fd, data[written:])
        except OSError:
            if written:  # this line is now the unterminated one (nothing written: as before)
                self._torn = True
            raise
        self._torn = False


def write_fd(fd: int, data: bytes) -> int:
    """``os.write`` (a seam for tests that play a disk filling up half-way through a line)."""
    return os.write(fd, data)


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # StringIO, a closed or detached stream
        return None


def configure(level: int, stream: TextIO | None = None) -> ResilientHandler:
    """Install the kiosk's handler on the root logger (replacing any earlier one)."""
    handler = ResilientHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def dropped_total() -> int:
    """Log records lost to failed writes since start (shown by `kiosk status`)."""
    return sum(h.dropped_total for h in logging.getLogger().handlers
               if isinstance(h, ResilientHandler))
