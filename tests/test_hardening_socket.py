"""Issue 17, items 6, 9 and 10: what a hostile client can send.

Before: a line of invalid UTF-8 on `kiosk ask --json -` under a strict UTF-8 locale was a
traceback and the valid lines read with it were lost; "[" × 30000 on the status socket got no
reply and a traceback (RecursionError); 1100 idle clients under a 1024 descriptor limit wrote
281 tracebacks in 30 s.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_diag_status import exchange, running

from kiosk.config import Config
from kiosk.diag.status import StatusBoard, StatusServer, StatusUnavailable, request
from kiosk.dialog import textio

REPO = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


# --- item 6: JSON lines on stdin ---------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from kiosk.dialog.engine import DialogEngine

    config = Config()
    return DialogEngine(config.model_copy(update={
        "llm": config.llm.model_copy(update={"enabled": False})}))


GOOD = json.dumps({"text": "Where is Hanyang Plaza?"}).encode()
lines = st.one_of(
    st.just(GOOD),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.sampled_from([b'{"text": "\xff\xfe"}', b"\xc3\x28", b'{"text": "\\ud800", "session": '
                     b'"\\udfff"}', b"[" * 3000, b'{"text": 5}', b"{}", b"\xed\xa0\x80"]),
)


@FUZZ
@given(batch=st.lists(lines, min_size=1, max_size=8))
def test_every_input_line_gets_exactly_one_output_line(engine, batch: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    data = b"\n".join(batch) + b"\n"
    textio.answer_lines(engine, io.BytesIO(data), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    expected = [line for line in data.split(b"\n") if line.strip()]
    assert len(answers) == len(expected)
    for line, answer in zip(expected, answers, strict=True):
        if line == GOOD:
            assert answer["places"] == ["105"]
        else:
            assert "error" in answer or "answer" in answer


def test_invalid_utf8_under_a_strict_locale_costs_one_line() -> None:
    stdin = GOOD + b"\n" + b'{"text": "\xff bad"}\n' + GOOD + b"\n"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "ask", "--json", "--no-llm",
                             "-"], input=stdin, capture_output=True, cwd=REPO, env=env,
                            timeout=120, check=False)
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [("error" in a) for a in answers] == [False, True, False]
    assert "UTF-8" in answers[1]["error"] and b"Traceback" not in result.stderr
    assert result.returncode == 1  # one bad line


# --- item 9: socket payloads -----------------------------------------------------------------

payloads = st.one_of(
    st.integers(1, 100_000).map(lambda n: b"[" * n),
    st.integers(1, 50_000).map(lambda n: b'{"a":' * n),
    st.builds(lambda n, tail: b'{"cmd": "status", "x": ' + b"[" * n + tail,
              st.integers(1, 20_000), st.sampled_from([b"", b"]" * 5, b"}"])),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("sock") / "status.sock"
    board = StatusBoard(6500)
    with running(StatusServer(board, path)):
        yield path


@FUZZ
@given(payload=payloads)
def test_any_payload_gets_one_json_reply_and_the_server_lives(served: Path,
                                                              payload: bytes) -> None:
    reply = exchange(served, payload[:60_000] + b"\n")
    answer = json.loads(reply)
    assert isinstance(answer, dict) and reply.count(b"\n") == 1
    assert "state" in request(served, {"cmd": "status"})


def test_deep_nesting_is_named(served: Path) -> None:
    answer = json.loads(exchange(served, b"[" * 30000 + b"\n"))
    assert answer == {"error": "bad request: nested too deeply"}


# --- item 10: descriptor exhaustion ----------------------------------------------------------

SERVER = """
import asyncio, logging, resource, sys
from kiosk.logsetup import configure
from kiosk.diag.status import StatusBoard, StatusServer
configure(logging.INFO)
path, limit = sys.argv[1], int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
async def main():
    async with StatusServer(StatusBoard(6500), path, idle_timeout_s=60):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
asyncio.run(main())
"""


@pytest.mark.parametrize("fd_limit", [40, 128])
def test_idle_clients_past_the_limit_cost_one_log_line(tmp_path: Path, fd_limit: int) -> None:
    path = tmp_path / "rt" / "status.sock"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(path), str(fd_limit)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=(tmp_path / "err").open("w"), text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        clients = []
        for _ in range(300):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(5)
            try:
                sock.connect(str(path))
            except OSError:
                sock.close()
                continue
            clients.append(sock)
        assert proc.poll() is None
        for sock in clients:
            sock.close()
        deadline = time.monotonic() + 60  # a bounded retry, not a timing
        answer: dict = {}
        while time.monotonic() < deadline and "state" not in answer:
            try:
                answer = request(path, {"cmd": "status"})
            except StatusUnavailable:
                time.sleep(0.2)
        assert answer.get("state") == "starting", answer
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(30)
    log = (tmp_path / "err").read_text()
    assert "Traceback" not in log, log
    assert log.count("event=status_clients_capped") <= 1
    assert log.count("event=status_accept_failed") <= 1
    assert log.count("\n") < 20, log
    assert os.path.exists(tmp_path)
