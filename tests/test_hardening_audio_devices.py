"""Issue 17, item 5 on real devices: `kiosk status` and `kiosk doctor` report a mute kiosk (a
wrong output device) and a deaf one (the sound server stopped under it).

Each test runs its own PulseAudio on a private socket, so stopping it disturbs no other test
or developer. The daemon runs on the template answers (no LLM), so the tests stay quick. Waits
are bounded polls (guards against a hang), never assertions about time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.audio, pytest.mark.slow]


class PrivatePulse:
    def __init__(self, root: Path) -> None:
        self.runtime = root / "pulse"
        self.env = {**os.environ, "PULSE_RUNTIME_PATH": str(self.runtime), "HOME": str(root),
                    "PULSE_SERVER": f"unix:{self.runtime}/native"}

    def start(self) -> None:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "-n",
                        "--load=module-null-sink sink_name=kiosk_spk",
                        "--load=module-native-protocol-unix", "--load=module-always-sink"],
                       env=self.env, capture_output=True, check=False, timeout=30)
        assert poll(lambda: self.pactl("info").returncode == 0, 30), "PulseAudio did not start"
        self.pactl("set-default-sink", "kiosk_spk")
        self.pactl("set-default-source", "kiosk_spk.monitor")

    def pactl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              check=False, timeout=30)

    def stop(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, check=False,
                       timeout=30)
        poll(lambda: self.pactl("info").returncode != 0, 30)


def log_tail(path: Path, size: int = 6000) -> str:
    """The end of the daemon's log, for an assertion message (PortAudio can write gigabytes of
    ALSA errors into it when the sound server dies: reading it whole ran out of memory)."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode(errors="replace")


def poll(predicate: Callable[[], bool], limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[PrivatePulse]:
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.skip("PulseAudio is not installed (make install installs it)")
    server = PrivatePulse(tmp_path)
    server.start()
    yield server
    server.stop()


def kiosk(pulse: PrivatePulse, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(config), *args],
                          cwd=REPO, env=pulse.env, capture_output=True, text=True, timeout=120,
                          check=False)


def write_config(tmp_path: Path, models_dir: Path, output: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[paths]\nmodels_dir = "{models_dir}"\nruntime_dir = "{tmp_path}/run"\n'
                    f'[audio]\ninput_device = "pulse"\noutput_device = "{output}"\n'
                    '[pipeline]\necho_mode = "gate"\n[llm]\nenabled = false\n')
    return path


@pytest.fixture
def start_daemon(pulse: PrivatePulse, tmp_path: Path):  # type: ignore[no-untyped-def]
    procs: list[subprocess.Popen[str]] = []

    def start(config: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--config", str(config),
                                 "-v", "run", "--json"], cwd=REPO, env=pulse.env,
                                stdout=(tmp_path / "turns.jsonl").open("w"),
                                stderr=(tmp_path / "daemon.log").open("w"), text=True)
        procs.append(proc)
        assert poll(lambda: snapshot(pulse, config).get("state") not in (None, "starting"),
                    180), log_tail(tmp_path / "daemon.log")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def snapshot(pulse: PrivatePulse, config: Path) -> dict:
    result = kiosk(pulse, config, "status", "--json")
    return json.loads(result.stdout) if result.stdout.strip() else {}


def assert_reported(pulse: PrivatePulse, config: Path, banner: str, audio_check: str,
                    detail: str, state: str) -> None:
    """`kiosk status` exits 1 with ``banner``; `kiosk doctor --quick` exits 1, fails the audio
    check (``audio_check`` with ``detail``) and names the daemon's ``state``."""
    status = kiosk(pulse, config, "status")
    assert status.returncode == 1 and banner in status.stdout, status.stdout
    doctor = kiosk(pulse, config, "doctor", "--quick")
    assert doctor.returncode == 1
    assert audio_check in doctor.stdout and detail in doctor.stdout
    assert "FAIL daemon:" in doctor.stdout and state in doctor.stdout, doctor.stdout


def test_a_wrong_output_device_is_a_mute_kiosk(pulse: PrivatePulse, start_daemon,  # type: ignore[no-untyped-def]
                                               models_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, models_dir, "no-such-speaker")
    start_daemon(config)
    snap = snapshot(pulse, config)
    assert snap["can_speak"] is False and snap["state"] == "mute", snap
    # a visitor asks: the reply cannot be played, and the turn says so
    subprocess.run(["paplay", str(REPO / "tests/data/where_is_hanyang_plaza.wav")],
                   env=pulse.env, check=True, timeout=60)
    turns = tmp_path / "turns.jsonl"
    assert poll(lambda: turns.read_text().strip() != "", 90), log_tail(tmp_path / "daemon.log")
    turn = json.loads(turns.read_text().splitlines()[0])
    assert turn["interrupted"] is True and turn["spoken"] == "", turn
    snap = snapshot(pulse, config)
    assert snap["error_counts"].get("playback", 0) >= 1, snap
    assert_reported(pulse, config, "MUTE: cannot speak", "FAIL audio:", "no-such-speaker", "MUTE")


def test_the_sound_server_stopping_is_a_deaf_kiosk(pulse: PrivatePulse, start_daemon,  # type: ignore[no-untyped-def]
                                                   models_dir: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, models_dir, "pulse")
    start_daemon(config)
    assert snapshot(pulse, config).get("can_listen") is True
    pulse.stop()
    assert poll(lambda: snapshot(pulse, config).get("can_listen") is False, 60), \
        log_tail(tmp_path / "daemon.log")
    snap = snapshot(pulse, config)
    assert snap["state"] == "deaf" and snap["error_counts"].get("audio", 0) >= 1, snap
    assert_reported(pulse, config, "DEAF: cannot listen", "FAIL audio open:", "cannot listen",
                    "DEAF")
    # the sound server comes back: so does the microphone
    pulse.start()
    assert poll(lambda: snapshot(pulse, config).get("can_listen") is True, 90), \
        log_tail(tmp_path / "daemon.log")
