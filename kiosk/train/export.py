"""Stage 3: the trained adapter as a LoRA GGUF that llama-cpp-python applies with `lora_path`.

Why llama.cpp's own converter: it knows how llama.cpp names and lays out Gemma tensors, so the
adapter lands on the Q4_K_M base unchanged. It is not on PyPI as a package, but it ships inside
the llama-cpp-python source distribution (vendor/llama.cpp: convert_lora_to_gguf.py, its
`conversion/` package and the matching `gguf-py`). `converter_dir()` fetches that sdist with
pip (same version as the installed wheel, from pip's cache when present) and unpacks only those
files. `--base` points at the local HF checkpoint, as no hub is reachable.

A merged export (adapter folded into the weights, convert_hf_to_gguf.py, then llama-quantize)
is possible with the same sources but needs the llama.cpp quantize binary; it is not built here.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

NEEDED = ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py", "conversion/", "gguf-py/")


class ExportError(KioskError):
    """The adapter could not be converted to GGUF."""


def _llama_cpp_version() -> str:
    from importlib.metadata import version

    return version("llama-cpp-python")


def converter_dir(cache: Path, given: Path | None = None) -> Path:
    """A folder with llama.cpp's LoRA converter, from `given` or unpacked from the pip sdist."""
    if given is not None:
        if not (given / "convert_lora_to_gguf.py").is_file():
            raise ExportError(f"no convert_lora_to_gguf.py in {given}")
        return given
    ver = _llama_cpp_version()
    target = cache / f"llama.cpp-{ver}"
    if (target / "convert_lora_to_gguf.py").is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        log.info("event=converter_fetch package=llama-cpp-python==%s", ver)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             f"llama-cpp-python=={ver}", "-d", tmp],
            capture_output=True, text=True, check=False)
        archives = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not archives:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            raise ExportError(f"could not fetch the llama-cpp-python sdist: {tail[0]}")
        _unpack(archives[0], target)
    return target


def _unpack(archive: Path, target: Path) -> None:
    """Only the converter files, from vendor/llama.cpp/ (the sdist is ~75 MB)."""
    with tarfile.open(archive) as tar:
        members = []
        for member in tar.getmembers():
            parts = member.name.split("/", 3)
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"]:
                continue
            inner = parts[3]
            if member.isfile() and any(inner == n or (n.endswith("/") and inner.startswith(n))
                                       for n in NEEDED):
                member.name = inner
                members.append(member)
        target.mkdir(parents=True, exist_ok=True)
        tar.extractall(target, members=members, filter="data")


def export_lora(adapter_dir: Path, base_dir: Path, out_file: Path, outtype: str,
                converter: Path) -> Path:
    """Run convert_lora_to_gguf.py; the GGUF is written atomically to `out_file`."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_suffix(".partial.gguf")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("NO_LOCAL_GGUF", None)  # use the gguf-py that matches this converter
    done = subprocess.run(
        [sys.executable, str(converter / "convert_lora_to_gguf.py"), "--base", str(base_dir),
         "--outtype", outtype, "--outfile", str(partial), str(adapter_dir)],
        capture_output=True, text=True, env=env, cwd=converter, check=False)
    if done.returncode != 0 or not partial.is_file():
        lines = [x for x in (done.stderr + done.stdout).splitlines() if x.strip()]
        raise ExportError(f"LoRA conversion failed: {lines[-1] if lines else done.returncode}")
    partial.replace(out_file)
    log.info("event=lora_exported file=%s bytes=%d outtype=%s", out_file,
             out_file.stat().st_size, outtype)
    return out_file


def verify(lora: Path, question_prompt: str, base_model: str | None = None) -> str:
    """Load base GGUF + adapter through the kiosk's LanguageModel and generate; the text."""
    from kiosk.config import load_config
    from kiosk.dialog.llm import LanguageModel
    from kiosk.dialog.prompt import STOP

    config = load_config()
    update: dict[str, object] = {"lora": str(lora.resolve()), "few_shot": 0}
    if base_model:
        update["model"] = base_model
    config = config.model_copy(update={"llm": config.llm.model_copy(update=update)})
    llm = LanguageModel(config)
    try:
        text = "".join(llm.stream(question_prompt, STOP, max_tokens=48))
    finally:
        llm.unload()
    log.info("event=lora_verified file=%s text=%r", lora.name, text[:120])
    return text
