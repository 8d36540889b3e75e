"""`kiosk doctor`: one line per check, exit code, and each check's FAIL/WARN rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.config import Config
from kiosk.diag import doctor
from kiosk.diag.doctor import Check
from kiosk.errors import AudioError

REPO = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(OK  |WARN|FAIL) ([a-zA-Z ]+): \S.*$")
QUICK_NAMES = ["config", "models", "campus KB", "memory", "audio", "audio open", "echo",
               "daemon", "korean voice"]


def with_section(config: Config, section: str, **update: Any) -> Config:
    return config.model_copy(update={section: getattr(config, section).model_copy(update=update)})


def names_and_statuses(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = LINE.match(line)
        assert match, f"not a check line: {line!r}"
        found[match.group(2)] = match.group(1).strip()
    return found


def test_cli_doctor_quick_prints_one_line_per_check() -> None:
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--quick"],
                            capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    lines = result.stdout.strip().splitlines()
    statuses = names_and_statuses(lines)
    assert list(statuses) == QUICK_NAMES, result.stdout
    assert result.returncode == (1 if "FAIL" in statuses.values() else 0), result.stdout
    assert "Traceback" not in result.stderr


def test_cli_doctor_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(REPO / "config.toml"), "doctor", "--quick", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in report["checks"]] == QUICK_NAMES
    assert report["exit_code"] == code
    assert {c["status"] for c in report["checks"]} <= {"OK", "WARN", "FAIL"}


def test_broken_config_is_a_fail_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[llm]\nmax_tokens = -3\n")
    checks = doctor.diagnose(path, quick=True)
    assert [c.status for c in checks] == ["FAIL"] and checks[0].name == "config"
    assert "llm.max_tokens = -3" in checks[0].line()
    assert doctor.exit_code(checks) == 1


def test_cli_doctor_reports_a_broken_config_as_its_fail_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every other subcommand exits 2 on a bad config; the doctor is what an operator runs to
    find out what is wrong, so it prints the check line and exits 1 like any failed check."""
    path = tmp_path / "bad.toml"
    path.write_text("[llm]\nmax_tokens = -3\n")
    assert main(["--config", str(path), "doctor", "--quick"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("FAIL config:") and "llm.max_tokens = -3" in out[0]
    assert main(["--config", str(path), "status"]) == 2


def test_missing_model_dir_fails_models(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[paths]\nmodels_dir = "{tmp_path / "no-models"}"\n')
    assert main(["--config", str(path), "doctor", "--quick"]) == 1
    statuses = names_and_statuses(capsys.readouterr().out.strip().splitlines())
    assert statuses["models"] == "FAIL"
    assert statuses["config"] == "OK" and statuses["campus KB"] == "OK"


def test_missing_configured_model_file_fails(config: Config, models_dir: Path) -> None:
    if not models_dir.is_dir():
        pytest.skip(f"models not fetched: {models_dir}")
    check = doctor.check_models(with_section(config, "llm", lora="no-such-adapter.gguf"),
                                hash_check=False)
    assert check.status == "FAIL" and "no-such-adapter.gguf: missing" in check.detail


def test_a_check_that_raises_is_one_fail_line(config: Config,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("meminfo unreadable\nsecond line")

    monkeypatch.setattr(doctor.psutil, "virtual_memory", broken)
    checks = doctor.run_checks(config, quick=True)
    memory = next(c for c in checks if c.name == "memory")
    assert memory == Check("memory", "FAIL", "meminfo unreadable")
    assert len(checks) == len(QUICK_NAMES)


def test_low_memory_is_a_warning(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    class Mem:
        available = 100 * 2**20

    monkeypatch.setattr(doctor.psutil, "virtual_memory", lambda: Mem())
    check = doctor.check_memory(config)
    assert check.status == "WARN" and "100 MB available, budget 6500 MB" in check.detail


class FakeSoundDevice:
    def __init__(self, devices: list[dict[str, Any]]) -> None:
        self.devices = devices

    def query_devices(self, device: Any = None, kind: str | None = None) -> Any:
        if device is None and kind is None:
            return self.devices
        channels = f"max_{kind}_channels"
        for index, d in enumerate(self.devices):
            if d[channels] > 0 and (device is None or device in (index, d["name"])):
                return d
        raise ValueError(f"No {kind} device matching {device!r}")


def _audio(config: Config, monkeypatch: pytest.MonkeyPatch, sd: Any, **audio: Any) -> Check:
    import kiosk.audio.sources as sources

    monkeypatch.setattr(sources, "require_sounddevice", lambda: sd)
    return doctor.check_audio(with_section(config, "audio", **audio))


MIC = {"name": "USB mic", "max_input_channels": 1, "max_output_channels": 0}
SPEAKER = {"name": "HDMI", "max_input_channels": 0, "max_output_channels": 2}


def test_audio_rules(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    none = _audio(config, monkeypatch, FakeSoundDevice([]))
    assert none.status == "WARN" and "no audio device" in none.detail
    both = _audio(config, monkeypatch, FakeSoundDevice([MIC, SPEAKER]))
    assert both.status == "OK" and "'USB mic'" in both.detail and "'HDMI'" in both.detail
    named = _audio(config, monkeypatch, FakeSoundDevice([MIC, SPEAKER]), input_device="USB mic")
    assert named.status == "OK"
    absent = _audio(config, monkeypatch, FakeSoundDevice([]), input_device="ReSpeaker")
    assert absent.status == "FAIL" and "'ReSpeaker' not found" in absent.detail


def test_missing_portaudio_is_a_fail_with_a_hint(config: Config,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.audio.sources as sources

    def missing() -> None:
        raise AudioError("audio error: PortAudio library not found")

    monkeypatch.setattr(sources, "require_sounddevice", missing)
    check = doctor.check_audio(config)
    assert check.status == "FAIL" and "libportaudio2" in check.detail


def test_korean_voice_fallback_is_a_plain_warning(config: Config) -> None:
    fallback = doctor.check_korean_voice(with_section(config, "tts", voices={"en": "e.onnx",
                                                                             "ko": ""}))
    assert fallback.status == "WARN" and "FALLBACK active" in fallback.detail
    silent = doctor.check_korean_voice(with_section(config, "tts", voices={"en": "e.onnx"},
                                                    ko_fallback="none"))
    assert silent.status == "WARN" and "text only" in silent.detail
    piper = doctor.check_korean_voice(with_section(config, "tts", voices={
        "en": "e.onnx", "ko": "ko_KR-test-medium.onnx"}))
    assert piper == Check("korean voice", "OK", "Piper voice ko_KR-test-medium.onnx")


def test_wer_and_cer() -> None:
    from kiosk.diag.wer import cer, wer

    assert wer("Turn left at the gate.", "turn left at the gate") == 0.0
    assert wer("a b c d", "a x c") == 0.5
    assert cer("한양 대학교", "한양대학교") == 0.0
    assert wer("", "") == 0.0


@pytest.mark.slow
def test_full_doctor_round_trip_and_dialog(config: Config, models_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    needed = [config.model_path(config.asr.model) / "model.bin",
              config.model_path(config.tts.voices["en"])]
    if not all(p.exists() for p in needed):
        pytest.skip("speech models not fetched (run `kiosk models fetch`)")
    code = main(["--config", str(REPO / "config.toml"), "doctor"])
    lines = capsys.readouterr().out.strip().splitlines()
    statuses = names_and_statuses(lines)
    assert list(statuses) == [*QUICK_NAMES, "round trip en", "round trip ko", "dialog"]
    assert statuses["round trip en"] == "OK"
    assert statuses["round trip ko"] in ("OK", "WARN")
    if doctor.check_korean_voice(config).status == "WARN":  # no Korean voice: English answer
        ko_line = next(line for line in lines if "round trip ko" in line)
        assert "English answer a Korean visitor hears" in ko_line
    assert statuses["dialog"] in ("OK", "WARN")
    assert code == (1 if "FAIL" in statuses.values() else 0)


def test_kokoro_is_reported_as_the_korean_voice(config: Config) -> None:
    check = doctor.check_korean_voice(with_section(config, "tts", voices={
        "en": "e.onnx", "ko": "kokoro:jf_alpha"}))
    assert check.status == "OK" and "Kokoro-82M voice jf_alpha" in check.detail
    assert any(p.name == "kokoro-v1.0.int8.onnx" for p in doctor._configured_models(config))


def test_echo_check_names_the_canceller_and_warns_without_libspeexdsp(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    check = doctor.check_echo(config)
    assert check.status == "OK" and "AEC3 behind Speex's 384 ms filter" in check.detail
    assert doctor.check_echo(with_section(config, "pipeline", echo_mode="gate")).status == "OK"
    from kiosk.audio import speex

    def missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    speex._library.cache_clear()
    monkeypatch.setattr(speex.ctypes, "CDLL", missing)
    try:
        check = doctor.check_echo(config)
    finally:
        speex._library.cache_clear()
    assert check.status == "WARN" and "AEC3 alone" in check.detail
    assert "libspeexdsp1" in check.detail and "\n" not in check.line()
