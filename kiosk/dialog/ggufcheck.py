"""Structural check of a GGUF file before llama.cpp sees it.

Why: llama.cpp trusts the file. A truncated LoRA adapter (a half-copied file, a full disk
during `kiosk train`) is mapped and read past its end: the process dies with SIGSEGV, no
message, and under systemd that is a restart loop. A manifest hash only covers files the
manifest names; an operator's own adapter is not there. So every GGUF is parsed here (header,
metadata, tensor table) and each tensor's data must lie inside the file. That costs one pass
over the header (the base model's vocabulary: ~0.2 s), never a read of the weights.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

from kiosk.errors import ModelError

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# ggml type id → (elements per block, bytes per block), from ggml's type traits.
TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17),
}
# GGUF metadata value type → fixed size in bytes (8 = string and 9 = array are variable).
_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_DIMS = 8


class _Truncated(Exception):
    """A read past the end of the file."""


class _Reader:
    def __init__(self, data: mmap.mmap | bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> int:
        start = self.pos
        if n < 0 or start + n > len(self.data):
            raise _Truncated
        self.pos += n
        return start

    def unpack(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        return struct.unpack_from(fmt, self.data, self.take(size))[0]

    def string(self) -> bytes:
        length = self.unpack("<Q")
        start = self.take(length)
        return bytes(self.data[start:start + length])

    def skip_value(self, kind: int, depth: int = 0) -> None:
        if kind in _SCALAR:
            self.take(_SCALAR[kind])
        elif kind == _STRING:
            self.take(self.unpack("<Q"))
        elif kind == _ARRAY and depth < 4:
            inner, count = self.unpack("<I"), self.unpack("<Q")
            if inner in _SCALAR:
                self.take(_SCALAR[inner] * count)
                return
            if count > len(self.data):  # each element takes at least one byte
                raise _Truncated
            for _ in range(count):
                self.skip_value(inner, depth + 1)
        else:
            raise ValueError(f"unknown metadata value type {kind}")


def _tensor_bytes(dims: list[int], kind: int) -> int:
    elements = 1
    for dim in dims:
        elements *= dim
    block, size = TYPE_SIZES.get(kind, (1, 0))  # unknown type: at least its offset must fit
    return elements // block * size


def required_size(data: mmap.mmap | bytes) -> int:
    """Bytes a well-formed GGUF needs (end of its last tensor); raises on a malformed header."""
    reader = _Reader(data)
    if bytes(data[:4]) != MAGIC:
        raise ValueError("not a GGUF file")
    reader.take(4)
    version = reader.unpack("<I")
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    tensors, kvs = reader.unpack("<Q"), reader.unpack("<Q")
    if tensors > len(data) or kvs > len(data):
        raise _Truncated
    alignment = DEFAULT_ALIGNMENT
    for _ in range(kvs):
        key, kind = reader.string(), reader.unpack("<I")
        if key == b"general.alignment" and kind == 4:
            alignment = reader.unpack("<I")
            if alignment == 0 or alignment & (alignment - 1):
                raise ValueError(f"bad alignment {alignment}")
        else:
            reader.skip_value(kind)
    end = 0
    for _ in range(tensors):
        reader.string()
        n_dims = reader.unpack("<I")
        if n_dims > _MAX_DIMS:
            raise ValueError(f"tensor with {n_dims} dimensions")
        dims = [reader.unpack("<Q") for _ in range(n_dims)]
        kind, offset = reader.unpack("<I"), reader.unpack("<Q")
        end = max(end, offset + max(1, _tensor_bytes(dims, kind)))
    data_start = -(-reader.pos // alignment) * alignment
    return data_start + end if tensors else reader.pos


_checked: set[tuple[str, int, int]] = set()
"""Files already found whole, by (path, size, mtime): the governor may reload the model often."""


def check_gguf_file(path: Path, what: str = "model") -> None:
    """``ModelError`` (one line) unless ``path`` is a complete, well-formed GGUF file."""
    if not path.is_file():
        raise ModelError(f"LLM {what} not found: {path} (run `kiosk models fetch`)")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _checked:
        return
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            if size < 24:
                raise _Truncated
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                needed = required_size(data)
    except _Truncated:
        raise ModelError(f"LLM {what} {path} is truncated (its header runs past the end of "
                         f"the file): restore or re-create it") from None
    except (ValueError, struct.error, OverflowError) as error:
        raise ModelError(f"LLM {what} {path} is not a valid GGUF file ({error})") from None
    except OSError as error:
        raise ModelError(f"LLM {what} {path} cannot be read: {error.strerror}") from None
    if needed > size:
        raise ModelError(f"LLM {what} {path} is truncated ({size} bytes, its tensors need "
                         f"{needed}): restore or re-create it")
    _checked.add(key)
