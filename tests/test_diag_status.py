"""Status board and unix-socket status server: round trip, socket permissions, bad requests,
peer checks for state-changing commands, and `kiosk status` with and without a daemon."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.diag.status import (
    StatusBoard,
    StatusServer,
    StatusServerError,
    StatusUnavailable,
    query_status,
    request,
)
from kiosk.diag.summary import format_status


@contextmanager
def running(server: StatusServer) -> Iterator[StatusServer]:
    """Serve on an event loop in a background thread, so the test can use the blocking client."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def exchange(path: Path, data: bytes, timeout_s: float = 3.0) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
        if data:
            sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def board() -> StatusBoard:
    return StatusBoard(budget_mb=6500)


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "status.sock"


def test_status_round_trip(board: StatusBoard, sock_path: Path) -> None:
    board.set_state("listening")
    board.record_turn({"asr": 312.44, "total": 1500.0}, source="llm", lang="en")
    board.record_error("audio", "device vanished\nsecond line")
    board.set_models(lambda: [{"name": "whisper-base", "role": "asr", "loaded": True,
                               "size_mb": 145.0}])
    board.set_audio(lambda: {"input": "default", "output": "default"})
    with running(StatusServer(board, sock_path)):
        snap = query_status(sock_path)
    assert snap["state"] == "listening" and snap["pid"] == os.getpid()
    assert snap["budget_mb"] == 6500 and snap["rss_mb"] > 0
    assert snap["peak_rss_mb"] >= snap["rss_mb"] and snap["uptime_s"] >= 0
    assert snap["last_turns"][0]["timings_ms"] == {"asr": 312.4, "total": 1500.0}
    assert snap["error_counts"] == {"audio": 1}
    assert snap["last_error"]["message"] == "device vanished"
    assert snap["models"][0]["name"] == "whisper-base"
    assert snap["audio"] == {"input": "default", "output": "default"}
    assert snap["version"]


def test_socket_is_0660_in_a_0750_dir_and_removed_on_stop(board: StatusBoard,
                                                           sock_path: Path) -> None:
    with running(StatusServer(board, sock_path)):
        mode = sock_path.stat().st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660
        assert stat.S_IMODE(sock_path.parent.stat().st_mode) == 0o750
    assert not sock_path.exists()


@pytest.mark.parametrize(("data", "expected"), [
    (b"not json\n", "not a JSON line"),
    (b"\n", "not a JSON line"),
    (b"\xff\xfe\n", "not a JSON line"),
    (b"[1, 2]\n", "expected"),
    (b'{"cmd": 7}\n', "expected"),
    (b'{"cmd": "explode"}\n', "unknown command 'explode'"),
    (b'{"cmd": "' + b"x" * 70000 + b'"}\n', "too long"),
])
def test_bad_requests_get_an_error_object(board: StatusBoard, sock_path: Path, data: bytes,
                                          expected: str) -> None:
    with running(StatusServer(board, sock_path)):
        answer = json.loads(exchange(sock_path, data))
    assert expected in answer["error"]


def _reset_server(board: StatusBoard, path: Path, calls: list[dict[str, Any]],
                  **allowed: Any) -> StatusServer:
    server = StatusServer(board, path, **allowed)

    async def reset(req: dict[str, Any]) -> dict[str, Any]:
        calls.append(req)
        return {"session": "new"}

    server.register("reset-session", reset)
    return server


def test_state_change_refused_for_a_peer_not_allowed(board: StatusBoard,
                                                     sock_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    server = _reset_server(board, sock_path, calls, allowed_uids=set(), allowed_gids=set())
    with running(server):
        assert request(sock_path, {"cmd": "reset-session"}) == {"error": "permission denied"}
        assert query_status(sock_path)["state"] == "starting"  # reading stays open
    assert calls == []


@pytest.mark.parametrize("allowed", [
    {"allowed_uids": {os.getuid()}, "allowed_gids": set()},
    {"allowed_uids": set(), "allowed_gids": {os.getgid()}},
    {},  # defaults: root, our own uid, the socket file's group
])
def test_state_change_accepted_when_allowed(board: StatusBoard, sock_path: Path,
                                            allowed: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []
    with running(_reset_server(board, sock_path, calls, **allowed)):
        answer = request(sock_path, {"cmd": "reset-session"})
    assert answer == {"ok": True, "session": "new"}
    assert calls == [{"cmd": "reset-session"}]


def test_failing_command_is_reported_not_fatal(board: StatusBoard, sock_path: Path) -> None:
    server = StatusServer(board, sock_path)

    async def reload(_req: dict[str, Any]) -> None:
        raise RuntimeError("model file vanished\ntraceback noise")

    server.register("reload", reload)
    with running(server):
        assert request(sock_path, {"cmd": "reload"}) == {
            "error": "reload failed: model file vanished"}
        assert query_status(sock_path)["state"] == "starting"


def test_status_cannot_be_replaced(board: StatusBoard, sock_path: Path) -> None:
    async def fake(_req: dict[str, Any]) -> None:
        return None

    with pytest.raises(ValueError):
        StatusServer(board, sock_path).register("status", fake)


def test_silent_client_is_dropped(board: StatusBoard, sock_path: Path) -> None:
    with running(StatusServer(board, sock_path, idle_timeout_s=0.2)):
        started = time.monotonic()
        assert exchange(sock_path, b"", timeout_s=5) == b""
        assert time.monotonic() - started < 3
        assert query_status(sock_path)["state"] == "starting"


def test_second_server_refused_and_stale_socket_replaced(board: StatusBoard,
                                                         sock_path: Path) -> None:
    with running(StatusServer(board, sock_path)), pytest.raises(StatusServerError):
        asyncio.run(StatusServer(board, sock_path).start())
    sock_path.parent.mkdir(parents=True, exist_ok=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock_path))  # bound, never listening: what a crashed daemon leaves
    stale.close()
    with running(StatusServer(board, sock_path)):
        assert query_status(sock_path)["state"] == "starting"


def test_client_with_no_daemon_raises_exit_3(tmp_path: Path) -> None:
    with pytest.raises(StatusUnavailable) as caught:
        query_status(tmp_path / "none.sock")
    assert caught.value.exit_code == 3 and "not running" in str(caught.value)


def test_board_keeps_last_20_turns_and_counts_errors_across_threads() -> None:
    board = StatusBoard(budget_mb=1000)

    def work(n: int) -> None:
        for i in range(50):
            board.record_turn({"total": float(i)}, "template", "ko")
            board.record_error(f"kind{n}", f"error {i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = board.snapshot()
    assert len(snap["last_turns"]) == 20
    assert snap["error_counts"] == {f"kind{n}": 50 for n in range(4)}
    with pytest.raises(ValueError):
        board.set_state("dancing")  # type: ignore[arg-type]


def test_broken_provider_shows_in_snapshot(board: StatusBoard) -> None:
    board.set_models(lambda: 1 / 0)
    assert "ZeroDivisionError" in board.snapshot()["models"]["error"]


def test_format_status_names_every_part(board: StatusBoard) -> None:
    board.set_state("speaking")
    board.record_turn({"asr": 300.0, "total": 1200.0}, "llm", "ko")
    board.record_error("asr", "decoder failed")
    board.set_models(lambda: [{"name": "gemma", "role": "llm", "loaded": False, "size_mb": 250}])
    text = format_status(board.snapshot())
    for part in ("speaking", "budget 6500 MB", "gemma", "not loaded", "asr 300", "total 1200",
                 "errors: asr 1", "decoder failed"):
        assert part in text, text


def _config_with_runtime(tmp_path: Path, runtime: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[paths]\nruntime_dir = "{runtime}"\n')
    return path


def test_cli_status_without_daemon_exits_3_with_one_line(tmp_path: Path, capsys) -> None:
    config = _config_with_runtime(tmp_path, tmp_path / "run")
    assert main(["--config", str(config), "status"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "daemon is not running" in lines[0], err


def test_cli_status_with_daemon(tmp_path: Path, board: StatusBoard, capsys) -> None:
    runtime = tmp_path / "run"
    config = _config_with_runtime(tmp_path, runtime)
    board.set_state("listening")
    with running(StatusServer(board, runtime / "status.sock")):
        assert main(["--config", str(config), "status", "--json"]) == 0
        snap = json.loads(capsys.readouterr().out)
        assert main(["--config", str(config), "status"]) == 0
        text = capsys.readouterr().out
    assert snap["state"] == "listening"
    assert text.startswith("kiosk ") and "listening" in text and "memory: rss" in text


def test_blocked_provider_gives_an_error_not_a_stalled_loop(board: StatusBoard,
                                                            sock_path: Path) -> None:
    release = threading.Event()
    board.set_models(lambda: release.wait(5) and [])
    server = StatusServer(board, sock_path, snapshot_timeout_s=0.2)
    with running(server):
        started = time.monotonic()
        with pytest.raises(StatusUnavailable) as caught:
            query_status(sock_path)
        assert "provider is blocked" in str(caught.value)
        # the loop still answers other commands meanwhile
        assert "unknown command" in request(sock_path, {"cmd": "nope"})["error"]
        assert time.monotonic() - started < 3
        release.set()


def test_record_turn_ignores_non_numeric_timings(board: StatusBoard) -> None:
    board.record_turn({"asr": 1, "bad": None, "worse": "x"}, "llm", "en")  # type: ignore[dict-item]
    assert board.snapshot()["last_turns"][0]["timings_ms"] == {"asr": 1.0}
