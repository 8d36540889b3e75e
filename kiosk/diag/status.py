"""The daemon's live state, served over a unix socket so `kiosk status` works over SSH.

Three parts:
- ``StatusBoard``: thread-safe state the daemon writes (state, recent turns, errors) plus
  providers it asks at read time (models from the memory governor, audio devices in use);
- ``StatusServer``: an asyncio unix-socket server, one JSON line in → one JSON line out. The
  socket is 0660 inside a 0750 runtime directory, never a network listener; commands that
  change state are accepted only from root, the daemon's own user or the service group;
- ``query_status`` / ``request``: a plain blocking client for the CLI (no event loop needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import pwd
import resource
import socket
import stat
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import psutil
from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk import __version__, logsetup
from kiosk.config import Config
from kiosk.diag import rundir
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

State = Literal["starting", "listening", "thinking", "speaking", "stopping"]
Part = Literal["input", "output"]
HEALTH_WORD = {"input": "DEAF (cannot listen)", "output": "MUTE (cannot speak)"}
STATES: tuple[str, ...] = ("starting", "listening", "thinking", "speaking", "stopping")
SOCKET_NAME = "status.sock"
MAX_TURNS = 20
MAX_REQUEST_BYTES = 64 * 1024
"""A request is one short JSON line; anything longer is a confused or hostile client."""
MAX_CLIENTS = 32
"""Connections served at once. Each holds a file descriptor for up to ``idle_timeout_s``:
1100 idle clients under systemd's 1024 limit ran the process out of descriptors (281
tracebacks in 30 s, and the models could no longer open files). Past the cap a client gets
one error line and is closed at once."""
STATUS_CMD = "status"
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class StatusUnavailable(KioskError):
    """The daemon is not running, or its status socket cannot be reached."""

    exit_code = 3


class StatusServerError(KioskError):
    """The status socket cannot be created (e.g. another daemon already serves it)."""

    exit_code = 1


def socket_path(config: Config) -> Path:
    """Where the daemon's status socket lives: ``paths.runtime_dir``/status.sock."""
    directory = config.paths.runtime_dir or rundir.default_runtime_dir()
    return config.resolve(directory) / SOCKET_NAME


Provider = Callable[[], Any]


class StatusBoard:
    """What the daemon is doing now; written from any thread, read by the status server."""

    def __init__(self, budget_mb: int, version: str = __version__,
                 max_turns: int = MAX_TURNS) -> None:
        self._lock = threading.Lock()
        self._budget_mb = budget_mb
        self._version = version
        self._started = time.monotonic()
        self._state: str = "starting"
        self._state_since = self._started
        self._turns: deque[dict[str, Any]] = deque(maxlen=max_turns)
        self._errors: Counter[str] = Counter()
        self._last_error: dict[str, Any] | None = None
        self._models: Provider | None = None
        self._audio: Provider | None = None
        self._peak_rss_mb = 0.0
        self._process = psutil.Process()
        self._health: dict[str, dict[str, Any]] = {}
        self._on_health: Callable[[str], object] | None = None  # its result is not used

    @classmethod
    def from_config(cls, config: Config) -> StatusBoard:
        return cls(config.governor.budget_mb)

    def set_state(self, state: State) -> None:
        if state not in STATES:
            raise ValueError(f"unknown daemon state {state!r}; expected one of {STATES}")
        with self._lock:
            if state == self._state:
                return
            previous, self._state = self._state, state
            self._state_since = time.monotonic()
        log.debug("event=state from=%s to=%s", previous, state)

    def record_turn(self, timings_ms: dict[str, float], source: str, lang: str) -> None:
        """Keep one finished turn (the last ``max_turns`` are kept)."""
        timings = {str(k): round(float(v), 1) for k, v in timings_ms.items()
                   if isinstance(v, int | float)}
        turn = {"at": time.time(), "source": source, "lang": lang, "timings_ms": timings}
        with self._lock:
            self._turns.append(turn)

    def record_error(self, kind: str, message: str) -> None:
        """Count an error by kind and remember the latest one (one line)."""
        line = (message.strip().splitlines() or [""])[0][:500]
        with self._lock:
            self._errors[kind] += 1
            self._last_error = {"kind": kind, "message": line, "at": time.time()}

    def set_health(self, part: Part, ok: bool, detail: str = "") -> None:
        """Whether the kiosk can hear (``input``) or speak (``output``) now.

        Why: a wrong output device or a vanished microphone used to leave the kiosk reporting
        itself healthy ("listening", "errors: none"). A change is logged once and handed to
        ``on_health`` (the daemon puts it in systemd's STATUS line)."""
        line = (detail.strip().splitlines() or [""])[0][:300]
        with self._lock:
            before = self._health.get(part)
            if before is not None and before["ok"] == ok:
                if not ok:
                    before["detail"] = line
                return
            self._health[part] = {"ok": ok, "detail": line, "since": time.time()}
            summary = self._health_line()
        if ok:
            log.info("event=audio_ok part=%s detail=%s", part, line or "-")
        else:
            log.error("event=audio_down part=%s error=%s", part, line)
        if self._on_health:
            self._on_health(summary)

    def on_health(self, callback: Callable[[str], object]) -> None:
        self._on_health = callback

    def _health_line(self) -> str:
        down = [f"{HEALTH_WORD[p]}: {h['detail']}" for p, h in sorted(self._health.items())
                if not h["ok"]]
        return "; ".join(down) or "listening and speaking"

    def set_models(self, provider: Provider) -> None:
        """``provider()`` → ``[{"name", "role", "loaded", "size_mb"}, ...]`` (the governor).

        Providers run in a worker thread per status request and should return quickly; one
        that blocks longer than the server's ``snapshot_timeout_s`` gets the client an error,
        never a stalled event loop (which would stop the watchdog pings).
        """
        self._models = provider

    def set_audio(self, provider: Provider) -> None:
        """``provider()`` → the audio devices in use (any JSON-able value)."""
        self._audio = provider

    def snapshot(self) -> dict[str, Any]:
        """Everything `kiosk status` shows, as plain JSON-able values."""
        rss_mb = self._rss_mb()
        models = _ask(self._models, [])
        audio = _ask(self._audio, None)
        now = time.monotonic()
        with self._lock:
            self._peak_rss_mb = max(self._peak_rss_mb, rss_mb, _max_rss_mb())
            health = {p: dict(h) for p, h in self._health.items()}
            can_listen = health.get("input", {}).get("ok", True)
            can_speak = health.get("output", {}).get("ok", True)
            state = self._state
            if state in ("listening", "thinking", "speaking") and not (can_listen and can_speak):
                state = "deaf" if not can_listen else "mute"
            return {
                "state": state,
                "can_listen": can_listen,
                "can_speak": can_speak,
                "health": health,
                "state_for_s": round(now - self._state_since, 1),
                "pid": os.getpid(),
                "uptime_s": round(now - self._started, 1),
                "rss_mb": round(rss_mb, 1),
                "peak_rss_mb": round(self._peak_rss_mb, 1),
                "budget_mb": self._budget_mb,
                "models": models,
                "last_turns": list(self._turns),
                "error_counts": dict(self._errors),
                "log_records_dropped": logsetup.dropped_total(),
                "last_error": dict(self._last_error) if self._last_error else None,
                "audio": audio,
                "version": self._version,
            }

    def _rss_mb(self) -> float:
        try:
            return self._process.memory_info().rss / 2**20
        except psutil.Error:
            return 0.0


def _max_rss_mb() -> float:
    """Peak RSS the kernel saw for this process (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ask(provider: Provider | None, empty: Any) -> Any:
    """Call a provider; a broken one shows up in the snapshot instead of breaking it."""
    if provider is None:
        return empty
    try:
        return provider()
    except Exception as error:  # the status socket must answer even if a provider is broken
        log.warning("event=status_provider_error error=%s", error)
        return {"error": f"{type(error).__name__}: {error}"}


class Request(BaseModel):
    """One request line: ``{"cmd": "...", ...}``; other keys are the command's arguments."""

    model_config = ConfigDict(extra="allow", strict=True)
    cmd: str


def parse_request(line: bytes) -> dict[str, Any] | str:
    """The request as a dict, or the error to answer. Parsed by pydantic's JSON parser, which
    has a nesting limit: `json.loads` of "[" × 30000 raised RecursionError, a traceback and
    no reply."""
    try:
        return Request.model_validate_json(line).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            if "recursion" in str(first.get("msg", "")).lower():
                return "bad request: nested too deeply"
            return "bad request: not a JSON line"
        return 'bad request: expected {"cmd": "..."}'
    except (RecursionError, ValueError):
        return "bad request: not a JSON line"


CommandHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


class StatusServer:
    """Unix-socket status server; every registered command needs an allowed peer.

    ``allowed_uids``/``allowed_gids`` default to root + the daemon's own uid, and the group of
    the socket file (the service group under systemd). A peer is allowed if its uid is listed,
    or its primary or any supplementary group is.
    """

    def __init__(self, board: StatusBoard, path: str | Path, *,
                 allowed_uids: set[int] | frozenset[int] | None = None,
                 allowed_gids: set[int] | frozenset[int] | None = None,
                 idle_timeout_s: float = 5.0, snapshot_timeout_s: float = 1.5) -> None:
        self.board = board
        self.path = Path(path)
        self._allowed_uids = (frozenset({0, os.getuid()}) if allowed_uids is None
                              else frozenset(allowed_uids))
        self._allowed_gids = None if allowed_gids is None else frozenset(allowed_gids)
        self._idle_timeout_s = idle_timeout_s
        self._snapshot_timeout_s = snapshot_timeout_s
        self._handlers: dict[str, CommandHandler] = {}
        self._server: asyncio.Server | None = None
        self._clients = 0
        self._cap = MAX_CLIENTS
        self._capped = False  # logged once per episode, not once per refused client
        self._accept_failed = False
        self._previous_handler: Any = None

    def register(self, cmd: str, handler: CommandHandler) -> None:
        """Wire a state-changing command (e.g. "reset-session", "reload") to the daemon."""
        if cmd == STATUS_CMD:
            raise ValueError("'status' is built in and cannot be replaced")
        self._handlers[cmd] = handler

    async def start(self) -> None:
        refused = rundir.ensure_private(self.path.parent)
        if refused:
            raise StatusServerError(f"refusing runtime directory: {refused} (remove it or set "
                                    "paths.runtime_dir)")
        await self._refuse_if_served()
        old_umask = os.umask(0o117)  # the socket is born 0660: no window with wider access
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_REQUEST_BYTES)
        except OSError as error:
            raise StatusServerError(
                f"cannot create status socket {self.path}: {error.strerror}") from None
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)
        if self._allowed_gids is None:
            self._allowed_gids = frozenset({self.path.stat().st_gid})
        log.info("event=status_socket path=%s mode=0660 gids=%s", self.path,
                 ",".join(map(str, sorted(self._allowed_gids))))
        self._cap = client_cap()
        loop = asyncio.get_running_loop()
        self._previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._loop_error)

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio logs a failed accept() (EMFILE) with a traceback, again and again: one line
        per episode instead; everything else goes where it went before."""
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            if not self._accept_failed:
                self._accept_failed = True
                log.error("event=status_accept_failed error=%s fd_limit=%d", error.strerror,
                          resource.getrlimit(resource.RLIMIT_NOFILE)[0])
            return
        if self._previous_handler is not None:
            self._previous_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().set_exception_handler(self._previous_handler)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2.0)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        log.info("event=status_socket_closed path=%s", self.path)

    async def __aenter__(self) -> StatusServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _refuse_if_served(self) -> None:
        """asyncio silently replaces an existing socket file; a live one means a second daemon."""
        try:
            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise StatusServerError(f"{self.path} exists and is not a socket")
        except FileNotFoundError:
            return
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self.path)), timeout=1.0)
        except (OSError, TimeoutError):
            return  # stale file from a crashed daemon: start_unix_server replaces it
        writer.close()
        raise StatusServerError(f"another kiosk daemon already serves {self.path}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._clients >= self._cap:
            if not self._capped:
                self._capped = True
                log.warning("event=status_clients_capped limit=%d", self._cap)
            with contextlib.suppress(Exception):
                writer.write(b'{"error": "too many status clients; try again"}\n')
                writer.close()
                await writer.wait_closed()  # retrieves a broken pipe: no "never retrieved"
            return
        self._clients += 1
        try:
            await self._serve_one(reader, writer)
        except Exception as error:  # a client must never cost a traceback
            log.error("event=status_client_error error=%s", (str(error).splitlines()
                                                               or [type(error).__name__])[0])
        finally:
            self._clients -= 1

    async def _serve_one(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), self._idle_timeout_s)
            except TimeoutError:
                log.info("event=status_client_dropped reason=timeout")
                return
            except (ValueError, asyncio.LimitOverrunError):
                response: dict[str, Any] = {"error": "request too long"}
            else:
                if not line:
                    return  # connected and closed without asking: nothing to answer
                response = await self._respond(line, writer)
            writer.write(json.dumps(response, ensure_ascii=False, default=str).encode() + b"\n")
            await writer.drain()
            if "error" not in response and (self._capped or self._accept_failed):
                # a real request answered: the flood is over, the next one is logged again
                self._capped = self._accept_failed = False
                log.info("event=status_clients_normal")
        except (ConnectionError, BrokenPipeError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(self, line: bytes, writer: asyncio.StreamWriter) -> dict[str, Any]:
        parsed = parse_request(line)
        if isinstance(parsed, str):
            return {"error": parsed}
        request = parsed
        cmd = request["cmd"]
        if cmd == STATUS_CMD:
            return await self._snapshot()
        handler = self._handlers.get(cmd)
        if handler is None:
            known = ", ".join([STATUS_CMD, *sorted(self._handlers)])
            return {"error": f"unknown command {cmd[:40]!r}; known: {known}"}
        pid, uid, gid = _peer_credentials(writer)
        if not self._allowed(pid, uid, gid):
            log.warning("event=status_denied cmd=%s peer_pid=%d peer_uid=%d", cmd, pid, uid)
            return {"error": "permission denied"}
        log.info("event=status_command cmd=%s peer_pid=%d peer_uid=%d", cmd, pid, uid)
        try:
            result = await handler(request)
        except Exception as error:  # a failed command is reported to the caller, not fatal
            log.error("event=status_command_failed cmd=%s error=%s", cmd, error)
            return {"error": f"{cmd} failed: {(str(error).splitlines() or [''])[0]}"}
        return {"ok": True, **(result or {})}

    async def _snapshot(self) -> dict[str, Any]:
        """The board's snapshot from a worker thread: a slow provider must not block the loop."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.board.snapshot),
                                          self._snapshot_timeout_s)
        except TimeoutError:
            log.warning("event=status_snapshot_slow timeout_s=%.1f", self._snapshot_timeout_s)
            return {"error": f"status snapshot took over {self._snapshot_timeout_s:g} s "
                             "(a model or audio provider is blocked)"}

    def _allowed(self, pid: int, uid: int, gid: int) -> bool:
        if uid in self._allowed_uids:
            return True
        gids = self._allowed_gids or frozenset()
        return bool(gids & _peer_groups(pid, uid, gid))


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def client_cap() -> int:
    """``MAX_CLIENTS``, or fewer when the descriptor limit leaves less room: half of what is
    left, so the models and the audio devices can still open files."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return MAX_CLIENTS
    return max(1, min(MAX_CLIENTS, (soft - _open_fds()) // 2))


def raise_fd_limit() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit (systemd: 1024 soft, 524288 hard); asyncio uses
    epoll, so the old select() reason for a low soft limit does not apply."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))


def _peer_credentials(writer: asyncio.StreamWriter) -> tuple[int, int, int]:
    sock = writer.get_extra_info("socket")
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    pid, uid, gid = _PEERCRED.unpack(raw)
    return pid, uid, gid


def _peer_groups(pid: int, uid: int, gid: int) -> set[int]:
    """The peer's groups: live ones from /proc (as systemd/login set them), else /etc/group."""
    groups = {gid}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Groups:"):
                return groups | {int(g) for g in line.split()[1:]}
    except (OSError, ValueError):
        pass
    with contextlib.suppress(KeyError, OSError):
        groups.update(os.getgrouplist(pwd.getpwuid(uid).pw_name, gid))
    return groups


def request(path: str | Path, payload: dict[str, Any], timeout_s: float = 2.0) -> dict[str, Any]:
    """Send one JSON request to the daemon and return its JSON answer (blocking)."""
    path = Path(path)
    refused = rundir.distrust_socket(path)
    if refused:
        raise StatusUnavailable(f"not trusting the status socket {path}: {refused}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
            sock.sendall(json.dumps(payload).encode() + b"\n")
            data = _read_line(sock)
        except FileNotFoundError:
            raise StatusUnavailable(f"daemon is not running (no socket at {path})") from None
        except ConnectionRefusedError:
            raise StatusUnavailable(f"daemon is not running (stale socket at {path}: it "
                                    "stopped without removing it, e.g. killed)") from None
        except PermissionError:
            raise StatusUnavailable(
                f"permission denied on {path}: add your user to the kiosk group") from None
        except TimeoutError:
            raise StatusUnavailable(
                f"daemon did not answer within {timeout_s:g} s on {path} (hung?)") from None
        except OSError as error:
            raise StatusUnavailable(f"cannot reach the daemon at {path}: {error}") from None
    try:
        answer = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StatusUnavailable(f"the daemon at {path} sent a bad answer") from None
    if not isinstance(answer, dict):
        raise StatusUnavailable(f"the daemon at {path} sent a bad answer")
    return answer


def _read_line(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


def query_status(path: str | Path, timeout_s: float = 2.0) -> dict[str, Any]:
    """The daemon's snapshot; ``StatusUnavailable`` (exit 3) when it is down."""
    answer = request(path, {"cmd": STATUS_CMD}, timeout_s)
    if "error" in answer:
        raise StatusUnavailable(f"the daemon could not report status: {answer['error']}")
    return answer
