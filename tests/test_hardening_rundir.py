"""Issue 17, item 2: the runtime directory is checked before it is trusted, and the default is
private. Before: a directory someone else made in /tmp was used as it was (a fake daemon's
socket in it made root's `kiosk status` exit 0; a planted file stopped the daemon)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.diag import rundir
from kiosk.diag.status import (
    StatusBoard,
    StatusServer,
    StatusServerError,
    StatusUnavailable,
    query_status,
)

OTHER_UID = 65534  # nobody
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown to another user")


@pytest.fixture
def public_tmp(tmp_path: Path) -> Path:
    """A world-writable sticky directory, like /tmp."""
    public = tmp_path / "tmp"
    public.mkdir()
    os.chmod(public, 0o1777)
    return public


@contextmanager
def fake_daemon(path: Path) -> Iterator[None]:
    """A socket that answers every request with a made-up healthy snapshot."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    server.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(1024)
            conn.sendall(json.dumps({"state": "listening", "version": "fake"}).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.close()
        thread.join(6)


@needs_root
def test_a_fake_daemon_in_someone_elses_directory_is_not_believed(public_tmp: Path,
                                                                  capsys) -> None:
    planted = public_tmp / "kiosk"
    planted.mkdir(mode=0o755)
    os.chown(planted, OTHER_UID, OTHER_UID)
    sock = planted / "status.sock"
    config = public_tmp.parent / "c.toml"
    config.write_text(f'[paths]\nruntime_dir = "{planted}"\n')
    with fake_daemon(sock):
        os.chown(sock, OTHER_UID, OTHER_UID)
        assert main(["--config", str(config), "status"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not trusting" in err[0] and "uid 65534" in err[0]


@needs_root
def test_the_daemon_refuses_someone_elses_directory(public_tmp: Path) -> None:
    planted = public_tmp / "kiosk"
    planted.mkdir()
    os.chown(planted, OTHER_UID, OTHER_UID)
    server = StatusServer(StatusBoard(6500), planted / "status.sock")
    with pytest.raises(StatusServerError, match="refusing runtime directory") as caught:
        asyncio.run(server.start())
    assert "\n" not in str(caught.value)


def test_a_planted_file_is_a_one_line_refusal(public_tmp: Path) -> None:
    (public_tmp / "kiosk").write_text("not a directory")
    server = StatusServer(StatusBoard(6500), public_tmp / "kiosk" / "status.sock")
    with pytest.raises(StatusServerError, match="not a directory"):
        asyncio.run(server.start())


def test_own_directory_with_a_wide_mode_is_repaired(tmp_path: Path) -> None:
    mine = tmp_path / "run"
    mine.mkdir()
    os.chmod(mine, 0o777)

    async def start_stop() -> None:
        server = StatusServer(StatusBoard(6500), mine / "status.sock")
        await server.start()
        await server.stop()

    asyncio.run(start_stop())
    assert stat.S_IMODE(mine.stat().st_mode) == 0o750


def test_client_refuses_a_socket_in_a_world_writable_directory(public_tmp: Path) -> None:
    with pytest.raises(StatusUnavailable, match="writable by others"):
        query_status(public_tmp / "status.sock")


def test_default_runtime_dir_is_private(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    default = rundir.default_runtime_dir()
    assert default == (Path("/run/kiosk") if os.geteuid() == 0
                       else Path(f"/tmp/kiosk-{os.geteuid()}"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert rundir.default_runtime_dir() == tmp_path / "kiosk"


@needs_root
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mode=st.integers(0, 0o777), other_owner=st.booleans(), public_parent=st.booleans())
def test_trust_rule_over_modes_and_owners(tmp_path_factory: pytest.TempPathFactory, mode: int,
                                          other_owner: bool, public_parent: bool) -> None:
    parent = tmp_path_factory.mktemp("p")
    os.chmod(parent, 0o1777 if public_parent else 0o755)
    directory = parent / "kiosk"
    directory.mkdir()
    os.chmod(directory, mode)
    if other_owner:
        os.chown(directory, OTHER_UID, OTHER_UID)
    trusted = rundir.distrust(directory) is None
    assert trusted == (not mode & 0o022 and (not other_owner or not public_parent))
