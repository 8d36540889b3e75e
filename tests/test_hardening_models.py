"""Issue 17, item 1: every model file the kiosk loads is verified; a truncated LoRA adapter is a
one-line error with exit 4 (it was SIGSEGV, exit 139, in run, ask and doctor)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import modelstore
from kiosk.config import load_config
from kiosk.dialog.ggufcheck import check_gguf_file
from kiosk.errors import ModelError

REPO = Path(__file__).resolve().parent.parent
CONFIG = load_config(REPO / "config.toml")
MODELS = CONFIG.resolve(CONFIG.paths.models_dir)
ADAPTER = MODELS / "adapters/campus-270m/campus-270m.gguf"
BLOB = ADAPTER.read_bytes()
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=300, check=False)


def test_committed_adapter_and_base_model_are_well_formed() -> None:
    check_gguf_file(ADAPTER, "adapter")
    base = CONFIG.model_path(CONFIG.llm.model)
    if not base.exists():
        pytest.skip("base GGUF not fetched")
    check_gguf_file(base)


@FUZZ
@given(length=st.integers(0, len(BLOB) - 1))
def test_every_truncation_of_the_adapter_is_refused(tmp_path: Path, length: int) -> None:
    path = tmp_path / f"cut-{length}.gguf"
    path.write_bytes(BLOB[:length])
    with pytest.raises(ModelError) as caught:
        check_gguf_file(path, "adapter")
    assert "\n" not in str(caught.value)


@FUZZ
@given(offset=st.integers(0, 4096), junk=st.binary(min_size=1, max_size=16))
def test_a_damaged_header_is_a_model_error_or_still_whole(tmp_path: Path, offset: int,
                                                          junk: bytes) -> None:
    blob = bytearray(BLOB)
    blob[offset:offset + len(junk)] = junk
    path = tmp_path / "damaged.gguf"
    path.write_bytes(bytes(blob))
    try:
        check_gguf_file(path, "adapter")
    except ModelError as error:
        assert "\n" not in str(error)


def test_manifest_names_the_adapter_so_verify_checks_it() -> None:
    manifest = modelstore.load_manifest()
    adapters = [m for m in manifest.models if m.role == "llm-adapter"]
    assert adapters and adapters[0].files[0].path == CONFIG.llm.lora
    assert modelstore.verify(MODELS, manifest, [adapters[0].name])[0].ok


def _models_copy(tmp_path: Path, adapter_bytes: bytes) -> Path:
    """A models folder of links to the real models, with its own (damaged) adapter."""
    models = tmp_path / "models"
    models.mkdir()
    for entry in MODELS.iterdir():
        if entry.name != "adapters":
            (models / entry.name).symlink_to(entry.resolve())
    target = models / "adapters/campus-270m/campus-270m.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(adapter_bytes)
    return models


def test_models_verify_and_load_refuse_a_corrupt_manifest_adapter(tmp_path: Path) -> None:
    models = _models_copy(tmp_path, BLOB[:-1] + bytes([BLOB[-1] ^ 1]))  # same size, bad hash
    bad = [s for s in modelstore.verify(models, modelstore.load_manifest()) if not s.ok]
    assert [s.state for s in bad] == ["wrong-hash"]
    with pytest.raises(ModelError, match="sha256"):
        modelstore.verify_model_file(models / "adapters/campus-270m/campus-270m.gguf", models)


@pytest.mark.parametrize("command", [["ask", "Where is Hanyang Plaza?"],
                                     ["run", "--input-wav", "tests/data/silence.wav",
                                      "--output-wav", "OUT"]])
def test_truncated_adapter_is_one_line_and_exit_4(tmp_path: Path, command: list[str]) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(BLOB[:742464])
    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\nmodels_dir = "{MODELS}"\nruntime_dir = "{tmp_path}/rt"\n'
                      f'[llm]\nlora = "{cut}"\n')
    args = [a.replace("OUT", str(tmp_path / "o.wav")) for a in command]
    result = run_cli("--config", str(config), *args)
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "truncated" in lines[0], result.stderr


def test_doctor_quick_fails_on_a_truncated_adapter(tmp_path: Path) -> None:
    from kiosk.config import parse_config
    from kiosk.diag.doctor import check_models

    cut = tmp_path / "cut.gguf"
    cut.write_bytes(BLOB[:742464])
    config = parse_config({"paths": {"models_dir": str(MODELS)}, "llm": {"lora": str(cut)}})
    check = check_models(config, hash_check=False)
    assert check.status == "FAIL" and "truncated" in check.detail


class _BrokenModel:
    """A model that loads but fails while answering (what start-up checks cannot catch)."""

    name = "broken"
    loaded = True

    def configure(self, _llm: object) -> None:
        pass

    def stream(self, *_args: object, **_kwargs: object):  # type: ignore[no-untyped-def]
        raise ModelError("LLM broken failed while generating")
        yield ""


def test_a_model_failing_mid_answer_still_gets_the_kb_answer() -> None:
    from kiosk.dialog.engine import DialogEngine

    engine = DialogEngine(CONFIG, llm=_BrokenModel())  # type: ignore[arg-type]
    reply = engine.answer("Where is Hanyang Plaza?", "t")
    assert "105" in reply.answer and reply.source == "template" and reply.guard == "llm-error"
