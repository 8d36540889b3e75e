"""systemd/kiosk.service: the keys the kiosk relies on, `systemd-analyze verify` when it works
here, `kiosk install-service` prefix substitution, and the Jetson config example."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import Config, parse_config
from kiosk.diag.install import UNIT_TEMPLATE, InstallError, render_unit, write_unit

REPO = Path(__file__).resolve().parent.parent
SYSTEMD_DIR = REPO / "systemd"


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections → key → every value (unit files repeat keys such as Environment=)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"stray line: {raw!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return parse_unit(UNIT_TEMPLATE.read_text())


REQUIRED = {
    "Unit": {"StartLimitIntervalSec": "300", "StartLimitBurst": "5"},
    "Service": {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30", "Restart": "on-failure",
        "RestartSec": "5", "User": "kiosk", "Group": "kiosk", "RuntimeDirectory": "kiosk",
        "RuntimeDirectoryMode": "0750", "StateDirectory": "kiosk", "NoNewPrivileges": "yes",
        "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/kiosk", "ProtectHome": "yes",
        "PrivateTmp": "yes", "RestrictAddressFamilies": "AF_UNIX",
        "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
        "MemoryMax": "6800M", "TimeoutStopSec": "20", "StandardOutput": "journal",
        "ExecStart": "/opt/kiosk/.venv/bin/kiosk --config /etc/kiosk/config.toml run",
    },
    "Install": {"WantedBy": "multi-user.target"},
}


@pytest.mark.parametrize(("section", "key", "value"), [
    (section, key, value) for section, keys in REQUIRED.items() for key, value in keys.items()
])
def test_required_keys(unit: dict[str, dict[str, list[str]]], section: str, key: str,
                       value: str) -> None:
    assert unit[section].get(key) == [value]


def test_groups_environment_and_left_out_keys(unit: dict[str, dict[str, list[str]]]) -> None:
    service = unit["Service"]
    assert "audio" in service["SupplementaryGroups"][0].split()
    assert "PYTHONUNBUFFERED=1" in service["Environment"]
    # Deliberately off (see the comments in the unit): JIT/cffi callbacks and GPU device names.
    assert "MemoryDenyWriteExecute" not in service
    assert "PrivateDevices" not in service


def test_memory_max_leaves_a_margin_over_the_budget(unit: dict[str, dict[str, list[str]]]) -> None:
    memory_max_mb = int(unit["Service"]["MemoryMax"][0].removesuffix("M"))
    budget = parse_config(tomllib.loads((SYSTEMD_DIR / "config.jetson.toml").read_text()))
    assert budget.governor.budget_mb + 200 <= memory_max_mb
    assert Config().governor.budget_mb + 200 <= memory_max_mb


def test_jetson_config_example_is_valid() -> None:
    config = parse_config(tomllib.loads((SYSTEMD_DIR / "config.jetson.toml").read_text()))
    assert str(config.paths.runtime_dir) == "/run/kiosk"
    assert config.asr.device == "cuda" and config.llm.n_gpu_layers == -1


def test_render_unit_substitutes_the_prefix(tmp_path: Path) -> None:
    text = render_unit("/srv/kiosk-2")
    assert "/opt/kiosk" not in text
    assert "ExecStart=/srv/kiosk-2/.venv/bin/kiosk --config /etc/kiosk/config.toml run" in text
    assert "RuntimeDirectory=kiosk" in text  # only paths change, not names
    target = write_unit(text, tmp_path)
    assert target == tmp_path / "kiosk.service" and target.read_text() == text
    for bad in ("relative/dir", "/with space", "/", "/a%b"):
        with pytest.raises(InstallError):
            render_unit(bad)
    with pytest.raises(InstallError):
        write_unit(text, tmp_path / "missing-dir")


def test_install_service_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install-service", "--dry-run", "--prefix", "/srv/k"]) == 0
    assert "ExecStart=/srv/k/.venv/bin/kiosk " in capsys.readouterr().out


def _analyze_works(analyze: str, tmp_path: Path) -> str:
    """Why `systemd-analyze verify` cannot be trusted here ("" when it works)."""
    probe = tmp_path / "probe.service"
    probe.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n")
    try:
        result = subprocess.run([analyze, "verify", str(probe)], capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"systemd-analyze does not run here: {error}"
    if result.returncode != 0 or result.stderr.strip():
        first = (result.stderr.strip().splitlines() or ["no output"])[0]
        return f"systemd-analyze verify fails on a trivial unit in this container: {first}"
    return ""


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze not installed")
    if reason := _analyze_works(analyze, tmp_path):
        pytest.skip(reason)
    if not (REPO / ".venv" / "bin" / "kiosk").exists():
        pytest.skip("verify needs ExecStart to exist: no .venv/bin/kiosk in this checkout")
    path = tmp_path / "kiosk.service"
    path.write_text(render_unit(REPO))  # this checkout stands in for /opt/kiosk
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                            timeout=60, check=False)
    about_us = [line for line in result.stderr.splitlines() if re.search(r"kiosk\.service", line)]
    assert result.returncode == 0 and not about_us, result.stderr
