"""Issue 17, item 5: a mute or deaf kiosk says so.

Before: with a wrong output device playback errors were logged but not counted (`kiosk status`:
"errors: none"), a reply cut by device loss was recorded as `interrupted: false` with its whole
text as spoken, and with the microphone gone the state stayed `listening`. The real-device
proofs (a wrong device, the sound server stopped) are in test_hardening_audio_devices.py; these
use stand-ins and run anywhere.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import fakes
import pytest

from kiosk.audio import sources
from kiosk.audio.sources import MicSource
from kiosk.config import Config, parse_config
from kiosk.diag import doctor
from kiosk.diag.status import StatusBoard, StatusServer
from kiosk.diag.summary import format_status, healthy
from kiosk.errors import AudioError


def test_a_failed_playback_is_counted_cut_and_reported_as_mute() -> None:
    errors: list[tuple[str, str]] = []
    health: list[tuple[str, bool, str]] = []
    engine = fakes.FakeEngine()
    loop = fakes.voice_loop(Config(), fakes.one_question(), fakes.DeadSpeaker(), engine,
                            on_error=lambda kind, message: errors.append((kind, message)),
                            on_health=lambda *args: health.append(args))
    asyncio.run(loop.run())
    [turn] = loop.turns
    assert turn.interrupted and turn.spoken == ""
    assert engine.sessions.truncated == [""]  # the history keeps what was heard: nothing
    assert [kind for kind, _ in errors] == ["playback"]  # the rest of the turn is not tried
    assert health and health[0][:2] == ("output", False)


def test_a_good_playback_reports_the_speaker_working() -> None:
    health: list[tuple[str, bool, str]] = []
    loop = fakes.voice_loop(Config(), fakes.one_question(), fakes.GoodSpeaker(),
                            fakes.FakeEngine(), on_health=lambda *args: health.append(args))
    asyncio.run(loop.run())
    assert not loop.turns[0].interrupted and ("output", True, "") in health


def test_board_reports_deaf_and_mute_and_recovers() -> None:
    board = StatusBoard(6500)
    board.set_state("listening")
    assert healthy(board.snapshot()) and board.snapshot()["state"] == "listening"
    board.set_health("input", False, "audio error: microphone stream stopped")
    snap = board.snapshot()
    assert snap["state"] == "deaf" and snap["can_listen"] is False and not healthy(snap)
    assert "DEAF: cannot listen" in format_status(snap)
    board.set_health("output", False, "audio error: cannot open speaker 'nope'")
    text = format_status(board.snapshot())
    assert "MUTE: cannot speak" in text and "cannot open speaker 'nope'" in text
    board.set_health("input", True)
    board.set_health("output", True)
    assert healthy(board.snapshot()) and board.snapshot()["state"] == "listening"


class SilentStream:
    """A stream whose sound server vanished: open and started, but no callback ever comes."""

    def __init__(self, **_kw: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def close(self, ignore_errors: bool = True) -> None:
        pass


class SilentSd:
    InputStream = SilentStream


def test_a_microphone_that_stops_delivering_is_lost(config: Config,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "require_sounddevice", lambda: SilentSd)

    async def run() -> None:
        mic = MicSource(config.audio)
        mic.stall_s = 0.05  # the rule, not a timing: no block in stall_s means lost
        mic.open()
        with pytest.raises(AudioError, match="no audio"):
            async for _ in mic:
                pass
        mic.close()

    asyncio.run(run())


@pytest.fixture
def served_board(tmp_path: Path):  # type: ignore[no-untyped-def]
    board = StatusBoard(6500)
    board.set_state("listening")
    server = StatusServer(board, tmp_path / "rt" / "status.sock")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield board, parse_config({"paths": {"runtime_dir": str(tmp_path / "rt")}})
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_doctor_and_status_agree_with_the_daemon(served_board, capsys) -> None:  # type: ignore[no-untyped-def]
    from kiosk.cli import main

    board, config = served_board
    assert doctor.check_daemon(config).status == "OK"
    board.set_health("output", False, "audio error: cannot open speaker 'nope'")
    check = doctor.check_daemon(config)
    assert check.status == "FAIL" and "MUTE" in check.detail and "'nope'" in check.detail
    source = config.paths.runtime_dir
    toml = Path(str(source)).parent / "c.toml"
    toml.write_text(f'[paths]\nruntime_dir = "{source}"\n')
    assert main(["--config", str(toml), "status"]) == 1
    assert "MUTE: cannot speak" in capsys.readouterr().out
