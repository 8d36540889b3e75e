"""Issue 17, items 3 and 13: signals while the models load, and SIGTERM while the model thinks.

Before: SIGHUP or SIGTERM during loading killed the process with no log line (exit 129 / -15:
the handlers were installed after loading); SIGTERM while the model generated waited for the
generation (7.3 s, bounded only by llm.timeout_s). Nothing here measures time: the fakes wait on
events, and a bounded wait is only a guard against the hang that was the bug.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from pathlib import Path

import fakes
import pytest

from kiosk import daemon
from kiosk.config import Config, parse_config


class SlowModels:
    """``daemon.Models`` stand-in whose preload runs until the daemon says it is stopping."""

    loading = threading.Event()

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stopping = threading.Event()

    def preload(self) -> None:
        SlowModels.loading.set()
        assert self.stopping.wait(60), "SIGTERM never reached the loader"


def _signal_when_loading(*signums: int) -> threading.Thread:
    def send() -> None:
        assert SlowModels.loading.wait(60)
        for signum in signums:
            os.kill(os.getpid(), signum)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_sighup_then_sigterm_while_loading_is_logged_and_exits_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        data_dir: Path) -> None:
    SlowModels.loading.clear()
    monkeypatch.setattr(daemon, "Models", SlowModels)
    config = parse_config({"paths": {"runtime_dir": str(tmp_path / "rt")}})
    sender = _signal_when_loading(signal.SIGHUP, signal.SIGTERM)
    with caplog.at_level(logging.INFO, logger="kiosk.daemon"):
        code = asyncio.run(daemon.serve(config, None, data_dir / "silence.wav",
                                        tmp_path / "out.wav"))
    sender.join(5)
    assert code == 0
    assert "event=reload_deferred" in caplog.text
    assert "event=signal name=SIGTERM" in caplog.text
    assert "event=shutdown reason=signal during=starting" in caplog.text


def test_cancelling_a_turn_stops_the_model_at_once() -> None:
    """The daemon's SIGTERM cancels the voice task; the model must be told to stop."""
    config = Config()
    engine = fakes.FakeEngine(block=True)
    hold = asyncio.Event()

    async def scenario() -> None:
        loop = fakes.voice_loop(config, fakes.one_question(hold), fakes.GoodSpeaker(), engine)
        task = asyncio.create_task(loop.run())
        await asyncio.to_thread(engine.started.wait, 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert engine.saw_cancel is True
