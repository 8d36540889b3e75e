"""sd_notify against a real datagram socket standing in for systemd's $NOTIFY_SOCKET."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.diag import sdnotify


def drain(sock: socket.socket) -> list[str]:
    """Every datagram waiting on ``sock``, without waiting for more."""
    sock.setblocking(False)
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A bound datagram socket in tmp_path with NOTIFY_SOCKET pointing at it."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        yield sock


def test_messages_reach_the_socket(systemd: socket.socket) -> None:
    assert sdnotify.ready()
    assert systemd.recv(4096).decode() == f"READY=1\nMAINPID={os.getpid()}"
    assert sdnotify.watchdog()
    assert systemd.recv(4096) == b"WATCHDOG=1"
    assert sdnotify.stopping()
    assert systemd.recv(4096) == b"STOPPING=1"
    assert sdnotify.status("listening\n  2 turns")
    assert systemd.recv(4096).decode() == "STATUS=listening 2 turns"


def test_abstract_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.notify("READY=1")
        assert sock.recv(4096) == b"READY=1"


@pytest.mark.parametrize("value", [None, "", "relative/path", "/nonexistent/notify.sock"])
def test_not_under_systemd_is_a_quiet_no_op(monkeypatch: pytest.MonkeyPatch,
                                            value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    else:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sdnotify.ready() is False
    assert sdnotify.watchdog() is False


@pytest.mark.parametrize(("usec", "pid", "expected"), [
    ("30000000", None, 15.0),
    ("30000000", "self", 15.0),
    ("30000000", "1", None),   # meant for another process (inherited environment)
    ("0", None, None),
    ("soon", None, None),
    (None, None, None),
])
def test_watchdog_interval(monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None,
                           expected: float | None) -> None:
    for key, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, str(os.getpid()) if value == "self" else value)
    assert sdnotify.watchdog_interval_s() == expected


def test_watchdog_loop_pings_and_stops_when_the_loop_hangs(systemd: socket.socket) -> None:
    async def scenario() -> tuple[int, int]:
        task = asyncio.create_task(sdnotify.watchdog_loop(0.02))
        await asyncio.sleep(0.2)
        pinged = len(drain(systemd))
        time.sleep(0.3)  # a hung event loop: nothing else runs, so no pings go out
        during_hang = len(drain(systemd))
        task.cancel()
        return pinged, during_hang

    pinged, during_hang = asyncio.run(scenario())
    assert pinged >= 3
    assert during_hang == 0


def test_watchdog_loop_returns_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    asyncio.run(asyncio.wait_for(sdnotify.watchdog_loop(), timeout=1))
