"""Minimal sd_notify(3): tell systemd we are ready, alive, stopping, or what we are doing.

Why not the systemd Python bindings: they need libsystemd headers to build, and the protocol is
one datagram on the unix socket named by ``$NOTIFY_SOCKET``. Outside systemd every call is a
no-op returning False, so the daemon runs the same from a terminal.

The watchdog is pinged from the event loop itself (``watchdog_loop``): if the loop hangs, the
pings stop and systemd (``WatchdogSec=``) kills and restarts the service.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

log = logging.getLogger(__name__)


def _address(name: str) -> str | bytes:
    """"@name" is the abstract namespace (leading NUL byte); anything else is a path."""
    return b"\0" + name[1:].encode() if name.startswith("@") else name


def notify(message: str) -> bool:
    """Send ``message`` (e.g. "READY=1") to systemd; False when not under systemd or on error."""
    name = os.environ.get("NOTIFY_SOCKET")
    if not name or len(name) < 2 or name[0] not in "/@":
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode(), _address(name))
    except OSError as error:
        log.warning("event=sd_notify_failed message=%s error=%s", message.split("\n")[0], error)
        return False
    return True


def ready() -> bool:
    """Start-up finished (``Type=notify``: systemctl start returns now)."""
    return notify(f"READY=1\nMAINPID={os.getpid()}")


def watchdog() -> bool:
    """"Still alive" ping; must come more often than ``WatchdogSec=``."""
    return notify("WATCHDOG=1")


def stopping() -> bool:
    """Shutdown has begun (systemd then waits up to ``TimeoutStopSec=``)."""
    return notify("STOPPING=1")


def status(text: str) -> bool:
    """One-line status shown by `systemctl status kiosk`."""
    return notify("STATUS=" + " ".join(text.split()))


def watchdog_interval_s() -> float | None:
    """Half of ``$WATCHDOG_USEC`` in seconds (sd_watchdog_enabled's rule), None when off.

    ``$WATCHDOG_PID``, when set, must be our pid: the variables may be inherited by a child.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2 / 1_000_000 if value > 0 else None


async def watchdog_loop(interval_s: float | None = None) -> None:
    """Ping the watchdog forever from the event loop; returns at once when it is off.

    Run it in the daemon's TaskGroup; it is cancelled with the group on shutdown.
    """
    interval_s = interval_s if interval_s is not None else watchdog_interval_s()
    if not interval_s:
        log.info("event=watchdog enabled=no")
        return
    log.info("event=watchdog enabled=yes interval_s=%.1f", interval_s)
    while True:
        watchdog()
        await asyncio.sleep(interval_s)
