"""The memory governor: which models are resident, so the whole process stays inside a budget.

On the Jetson Orin Nano the CPU and GPU share 8 GB, of which about 6.5 GB is the kiosk's; a
process that overruns it is killed by the OOM killer mid-sentence. So every model load goes
through ``Governor.acquire(name)``: a loaded model is only marked used (LRU); a missing one is
loaded after the least-recently-used idle models are unloaded until ``RSS + its size`` fits
``governor.budget_mb``. A model that cannot fit even alone raises ``BudgetError`` at once.

Sizes: before a model's first load its size is an estimate (the manifest's file size times a
measured per-role factor, see ``FOOTPRINT_FACTOR``; for the LLM the GGUF size plus the KV cache
computed from the GGUF header); after the first load it is the measured RSS growth over the load
and one warm-up inference (models allocate work buffers on first use). On CUDA the weights live
in device memory, which RSS does not show, so a GPU model is also counted with its estimate as
``device_mb`` (on the Jetson that memory is the same DRAM).

"In use" matters: while the LLM streams an answer in one thread, TTS may want room in another;
unloading the LLM under its own generation would crash llama.cpp. ``hold(name)`` pins a model for
the duration of a call (``while_held`` wraps a method with it); a pinned model is never chosen,
and a load that needs its memory waits until it is released.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import resource
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import psutil

from kiosk.errors import BudgetError

log = logging.getLogger(__name__)

MB = 2**20
FOOTPRINT_FACTOR: dict[str, float] = {"vad": 11.0, "asr": 2.0, "tts": 3.1}
"""RSS growth ÷ model file size, per role, measured on the 2-core x86 dev VM (CPU, int8 Whisper
base, Piper joe-medium): in a fresh process with the libraries imported, the model was loaded
and run once on the warm-up inputs of ``kiosk.daemon`` (2 s of noise with language detection;
one 75-character sentence), and RSS after ``gc.collect()`` minus RSS before was divided by the
manifest size: ASR 278 MB / 143 MB = 1.94, TTS 169-185 MB / 60 MB = 2.8-3.1 (onnxruntime's
arena), VAD 25 MB / 2.2 MB. Rounded up. Only used until the model's first load replaces the
estimate with its own measurement. (The LLM is estimated from its GGUF header instead, see
``llm_estimate_mb``.)"""
LLM_COMPUTE_MB = 55.0
WORK_HEADROOM_MB = 150.0
"""Room kept for the buffers inference allocates while it runs (Piper's grow with sentence
length past the size measured at warm-up): the tight-budget test went 68-90 MB over the
budget when a model was loaded into the last free megabytes."""
"""llama.cpp's compute buffers and logits on top of weights + KV cache, measured the same way
(Gemma 3 270M Q4_K_M, n_ctx 2048, 2 tokens generated): 332 MB RSS growth − 241 MB GGUF − 36 MB
KV cache = 55 MB."""
PIN_WAIT_S = 60.0
"""How long a load waits for in-use models to be released before it loads over budget (with a
warning) rather than failing the visitor's turn; in the voice loop the LLM finishes within
``llm.timeout_s`` so this is never reached."""


def rss_mb() -> float:
    """Resident set size of this process now, in MiB."""
    return psutil.Process().memory_info().rss / MB


def max_rss_mb() -> float:
    """The kernel's high-water mark of this process's RSS (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS.

    Dropping a CTranslate2 or onnxruntime model frees it into glibc's malloc arenas, which keep
    most of it (measured: Whisper base 293 → 198 MB after unload, 126 MB after ``malloc_trim``);
    without the trim the budget would count memory the next model could not reuse anyway.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


MALLOC_ARENAS = 2
"""glibc malloc arenas for the whole process (its default is 8 per core).

Every thread that allocates gets an arena of its own, up to that limit; the voice loop's worker
threads and CTranslate2's and onnxruntime's threads then leave freed model memory scattered over
arenas that ``malloc_trim`` cannot shrink. Measured on the dev VM, a tight budget swapping
ASR → LLM → TTS twice: with the default the RSS left after unloading everything grew 169 → 300
MB and the second LLM load went over budget; with 2 arenas it stayed at 158-171 MB and the
peak stayed under the budget, with no measurable change in ASR or TTS speed."""
_M_ARENA_MAX = -8  # mallopt parameter number from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (call early: arenas that already exist stay). True if set;
    False on a libc without mallopt (musl) or when $MALLOC_ARENA_MAX already decides."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def path_mb(path: Path) -> float:
    """Size of a model file, or of every file in a model folder, in MiB (0 if missing)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / MB
    return path.stat().st_size / MB if path.is_file() else 0.0


_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q",
                 11: "q", 12: "d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_header(path: Path, wanted: Callable[[str], bool]) -> dict[str, Any]:
    """The scalar key/values of a GGUF file's header that ``wanted(key)`` selects.

    Read directly (a few KB) so the LLM's KV cache can be estimated before loading it; arrays
    (the tokenizer's 262k strings) are skipped, not decoded.
    """
    found: dict[str, Any] = {}
    with path.open("rb") as f:

        def read(fmt: str) -> Any:
            size = struct.calcsize("<" + fmt)
            return struct.unpack("<" + fmt, f.read(size))[0]

        def string() -> str:
            return f.read(read("Q")).decode("utf-8", "replace")

        def skip(kind: int) -> None:
            if kind == _GGUF_STRING:
                f.seek(read("Q"), 1)
            elif kind == _GGUF_ARRAY:
                item, count = read("I"), read("Q")
                if item in _GGUF_SCALARS:
                    f.seek(struct.calcsize("<" + _GGUF_SCALARS[item]) * count, 1)
                else:
                    for _ in range(count):
                        skip(item)
            else:
                f.seek(struct.calcsize("<" + _GGUF_SCALARS[kind]), 1)

        if f.read(4) != b"GGUF":
            return found
        _version, _tensors, n_kv = read("I"), read("Q"), read("Q")
        for _ in range(n_kv):
            key, kind = string(), read("I")
            if wanted(key) and kind in _GGUF_SCALARS:
                found[key] = read(_GGUF_SCALARS[kind])
            elif wanted(key) and kind == _GGUF_STRING:
                found[key] = string()
            else:
                skip(kind)
    return found


def kv_cache_mb(gguf: Path, n_ctx: int) -> float:
    """f16 K+V cache for ``n_ctx`` tokens over every layer (an upper bound: sliding-window
    layers may get a smaller cache). 0 when the header lacks the keys."""
    suffixes = ("block_count", "attention.head_count_kv", "attention.head_count",
                "attention.key_length", "attention.value_length", "embedding_length")
    try:
        meta = gguf_header(gguf, lambda k: k.endswith(suffixes))
    except (OSError, struct.error, KeyError):
        return 0.0

    def value(suffix: str) -> int:
        return next((int(v) for k, v in meta.items() if k.endswith("." + suffix)), 0)

    heads = value("attention.head_count") or 1
    head_dim = value("attention.key_length") or value("embedding_length") // heads
    kv_heads = value("attention.head_count_kv") or heads
    v_dim = value("attention.value_length") or head_dim
    return value("block_count") * n_ctx * kv_heads * (head_dim + v_dim) * 2 / MB


@dataclass
class ModelSlot:
    """One loadable model as the governor sees it."""

    name: str
    """Key used by ``acquire`` ("asr", "llm", "tts", "vad")."""
    label: str
    """What the operator sees (file name)."""
    load: Callable[[], None]
    unload: Callable[[], None] | None
    """None: cannot be unloaded (VAD: tiny, always resident)."""
    is_loaded: Callable[[], bool]
    estimate_mb: float
    device: bool = False
    """Runs on CUDA: its weights are counted as ``device_mb`` (RSS does not show them)."""
    warm: Callable[[], object] | None = None
    """A tiny inference run after the first load, so the measurement includes work buffers
    (its result, a transcript or the first tokens, is thrown away)."""
    info: Callable[[], dict[str, Any]] | None = None
    """Extra fields for the status board (e.g. which path speaks Korean)."""
    floor_mb: float = 0.0
    """Lower bound of the measured footprint: the LLM's GGUF + KV cache, whose mmap'd pages
    the kernel may drop from RSS under pressure (they still come back when touched)."""
    measured_mb: float | None = None
    loads: int = 0
    unloads: int = 0
    last_load_ms: float | None = None
    last_warm_ms: float | None = None
    last_unload_ms: float | None = None
    total_load_ms: float = 0.0
    total_unload_ms: float = 0.0
    last_used: float = 0.0
    pins: int = 0
    evicting: bool = False

    @property
    def size_mb(self) -> float:
        """Measured footprint once known, else the estimate."""
        return self.measured_mb if self.measured_mb is not None else self.estimate_mb

    @property
    def device_mb(self) -> float:
        return self.estimate_mb if self.device else 0.0

    @property
    def rss_need_mb(self) -> float:
        """How much RSS a load of this model is expected to add (a GPU model: host-side part
        unknown until measured, its weights are in ``device_mb``)."""
        if self.measured_mb is not None:
            return self.measured_mb
        return 0.0 if self.device else self.estimate_mb


P = ParamSpec("P")
R = TypeVar("R")


class Governor:
    """Loads and unloads registered models so the process stays within ``budget_mb``.

    Thread-safe: ``acquire``/``hold`` are called from worker threads. Loads and unloads are
    serialised (one at a time, so an RSS delta belongs to one model); a model that is already
    loaded is served without waiting for a load elsewhere.
    """

    def __init__(self, budget_mb: float, rss: Callable[[], float] = rss_mb) -> None:
        self.budget_mb = float(budget_mb)
        self._rss = rss
        self._slots: dict[str, ModelSlot] = {}
        self._cond = threading.Condition()
        self._swap = threading.Lock()
        self.base_mb = rss()
        """RSS with no governed model loaded: what every budget check starts from."""
        self._peak_mb = self.base_mb
        self._clock = 0

    # -- registry ----------------------------------------------------------------------------
    def register(self, slot: ModelSlot) -> None:
        """Add a model. One that cannot be unloaded (the VAD) is already part of ``base_mb``
        and never counted again; it is listed for the status board only."""
        self._slots[slot.name] = slot

    def slot(self, name: str) -> ModelSlot:
        if name not in self._slots:
            raise KeyError(f"unknown model {name!r}; registered: {', '.join(self._slots)}")
        return self._slots[name]

    # -- use ---------------------------------------------------------------------------------
    def acquire(self, name: str) -> None:
        """Make sure ``name`` is loaded (unloading idle models for room) and mark it used."""
        with self._hold(name, pin=False):
            pass

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """``acquire`` and keep ``name`` pinned (never unloaded) until the block ends."""
        with self._hold(name, pin=True):
            yield

    def while_held(self, name: str, method: Callable[P, R]) -> Callable[P, R]:
        """``method`` wrapped so each call holds ``name`` for its duration."""

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.hold(name):
                return method(*args, **kwargs)

        call.__doc__ = method.__doc__
        return call

    def stream_held(self, name: str, method: Callable[P, Iterator[R]]) -> Callable[P, Iterator[R]]:
        """A generator ``method`` wrapped so ``name`` stays held until iteration ends or the
        generator is closed (the LLM streams tokens long after the call returned)."""

        def stream(*args: P.args, **kwargs: P.kwargs) -> Iterator[R]:
            with self.hold(name):
                yield from method(*args, **kwargs)

        stream.__doc__ = method.__doc__
        return stream

    @contextlib.contextmanager
    def _hold(self, name: str, pin: bool) -> Iterator[None]:
        slot = self.slot(name)
        if not self._take_if_loaded(slot, pin):
            with self._swap:
                if not self._take_if_loaded(slot, pin):
                    self._make_room(slot)
                    self._load(slot)
                    with self._cond:
                        self._touch(slot, pin)
        try:
            yield
        finally:
            if pin:
                with self._cond:
                    slot.pins -= 1
                    self._cond.notify_all()

    def _take_if_loaded(self, slot: ModelSlot, pin: bool) -> bool:
        with self._cond:
            if slot.evicting or not slot.is_loaded():
                return False
            self._touch(slot, pin)
        self.used_mb()  # keeps the peak current (one /proc read)
        return True

    def _touch(self, slot: ModelSlot, pin: bool) -> None:
        self._clock += 1
        slot.last_used = self._clock
        if pin:
            slot.pins += 1

    # -- room --------------------------------------------------------------------------------
    def fits_together(self, *names: str) -> bool:
        """Whether these models can be resident and working at the same time in the budget
        (with `WORK_HEADROOM_MB` for the buffers inference allocates while it runs)."""
        need = sum(self.slot(n).rss_need_mb + self.slot(n).device_mb for n in names)
        return self.base_mb + need + WORK_HEADROOM_MB <= self.budget_mb

    def check(self, name: str) -> None:
        """``BudgetError`` when ``name`` cannot fit even with every other model unloaded."""
        slot = self.slot(name)
        need = slot.rss_need_mb + slot.device_mb
        if self.base_mb + need > self.budget_mb:
            raise BudgetError(
                f"model {name} ({slot.label}, ~{need:.0f} MB) cannot fit the memory budget of "
                f"{self.budget_mb:.0f} MB (the process needs {self.base_mb:.0f} MB without "
                f"models; raise governor.budget_mb or use a smaller model)")

    def used_mb(self) -> float:
        """What the budget is compared with: process RSS, or the base plus the footprint of
        every loaded model if that is more, plus device memory of GPU models.

        RSS alone is not enough: right after ``malloc_trim`` an idle model's work buffers are
        gone from RSS, but its next inference takes them again (Whisper base: ~100 MB), so a
        load that fits "now" would overrun the budget on the next turn. The footprints were
        measured with those buffers in use.
        """
        loaded = [s for s in self._slots.values() if s.is_loaded()]
        rss = self._rss()
        self._peak_mb = max(self._peak_mb, rss + sum(s.device_mb for s in loaded))
        accounted = self.base_mb + sum(s.size_mb for s in loaded if s.unload is not None)
        return max(rss, accounted) + sum(s.device_mb for s in loaded)

    @property
    def peak_mb(self) -> float:
        """Highest memory use seen: the governor's own readings (at every acquire, load and
        unload, GPU memory included) or the kernel's RSS high-water mark, whichever is more."""
        return max(self._peak_mb, max_rss_mb())

    def _make_room(self, slot: ModelSlot) -> None:
        """Unload idle models, least recently used first, until ``slot`` fits."""
        self.check(slot.name)
        need = slot.rss_need_mb + slot.device_mb
        waited_since: float | None = None
        while True:
            release_memory()
            used = self.used_mb()
            if used + need + WORK_HEADROOM_MB <= self.budget_mb:
                return
            with self._cond:
                idle = sorted((s for s in self._slots.values() if s is not slot and s.unload
                               and not s.pins and s.is_loaded()), key=lambda s: s.last_used)
                busy = [s.name for s in self._slots.values()
                        if s is not slot and s.pins and s.is_loaded()]
                if idle:  # free idle models until there is room to work, not just to load
                    idle[0].evicting = True
                elif used + need <= self.budget_mb:
                    return  # it fits; nothing idle is left to free for headroom
                elif busy:
                    waited_since = waited_since or time.monotonic()
                    left = PIN_WAIT_S - (time.monotonic() - waited_since)
                    if left > 0:
                        log.info("event=governor_wait model=%s for=%s used_mb=%.0f need_mb=%.0f",
                                 slot.name, ",".join(busy), used, need)
                        self._cond.wait(timeout=left)
                        continue
            if idle:
                self._unload(idle[0], reason=f"room_for_{slot.name}")
                continue
            log.warning("event=governor_over_budget model=%s used_mb=%.0f need_mb=%.0f "
                        "budget_mb=%.0f busy=%s", slot.name, used, need, self.budget_mb,
                        ",".join(busy) or "-")
            return

    # -- load / unload -----------------------------------------------------------------------
    def _load(self, slot: ModelSlot) -> None:
        before = self._rss()
        started = time.perf_counter()
        slot.load()
        slot.last_load_ms = (time.perf_counter() - started) * 1000
        slot.total_load_ms += slot.last_load_ms
        first = slot.loads == 0
        if first and slot.warm is not None:
            warm_started = time.perf_counter()
            slot.warm()
            slot.last_warm_ms = (time.perf_counter() - warm_started) * 1000
        slot.loads += 1
        gc.collect()
        after = self._rss()
        grown = max(0.0, after - before)
        if first:
            slot.measured_mb = max(grown, 0.0 if slot.device else slot.floor_mb)
        self.used_mb()
        log.info("event=governor_load model=%s load_ms=%.0f warm_ms=%.0f rss_delta_mb=%.0f "
                 "size_mb=%.0f rss_mb=%.0f budget_mb=%.0f", slot.name, slot.last_load_ms,
                 (slot.last_warm_ms or 0) if first else 0, grown, slot.size_mb, after,
                 self.budget_mb)

    def _unload(self, slot: ModelSlot, reason: str) -> None:
        assert slot.unload is not None
        before = self._rss()
        started = time.perf_counter()
        try:
            slot.unload()
        finally:
            release_memory()
            with self._cond:
                slot.evicting = False
        slot.last_unload_ms = (time.perf_counter() - started) * 1000
        slot.total_unload_ms += slot.last_unload_ms
        slot.unloads += 1
        after = self._rss()
        log.info("event=governor_unload model=%s reason=%s unload_ms=%.0f freed_mb=%.0f "
                 "rss_mb=%.0f", slot.name, reason, slot.last_unload_ms, before - after, after)

    def unload(self, name: str) -> bool:
        """Unload ``name`` now if it is loaded and idle (bench, tests); True if it was."""
        slot = self.slot(name)
        with self._swap:
            with self._cond:
                if slot.unload is None or slot.pins or not slot.is_loaded():
                    return False
                slot.evicting = True
            self._unload(slot, reason="asked")
        return True

    def preload(self, names: list[str]) -> list[str]:
        """Load ``names`` in order while each fits next to the ones before; never unloads.

        With a budget to spare this is everything (and since nothing is then ever over budget,
        nothing is ever unloaded); with a tight one the rest is loaded on demand."""
        loaded: list[str] = []
        for name in names:
            slot = self.slot(name)
            self.check(name)
            with self._swap:
                if not slot.is_loaded():
                    release_memory()
                    if self.used_mb() + slot.rss_need_mb + slot.device_mb > self.budget_mb:
                        log.info("event=governor_preload_skip model=%s need_mb=%.0f "
                                 "used_mb=%.0f budget_mb=%.0f", name, slot.size_mb,
                                 self.used_mb(), self.budget_mb)
                        continue
                    self._load(slot)
                with self._cond:
                    self._touch(slot, pin=False)
            loaded.append(name)
        return loaded

    # -- reporting ---------------------------------------------------------------------------
    def snapshot(self) -> list[dict[str, Any]]:
        """One dict per model for `kiosk status` (never waits for a load in progress)."""
        rows = []
        for slot in list(self._slots.values()):
            row: dict[str, Any] = {
                "name": slot.label, "role": slot.name, "loaded": slot.is_loaded(),
                "size_mb": round(slot.size_mb, 1), "measured": slot.measured_mb is not None,
                "in_use": slot.pins > 0, "loads": slot.loads, "unloads": slot.unloads,
                "last_load_ms": _round(slot.last_load_ms),
                "last_unload_ms": _round(slot.last_unload_ms),
            }
            if slot.device:
                row["device_mb"] = round(slot.device_mb, 1)
            if slot.info is not None:
                row.update(slot.info())
            rows.append(row)
        return rows

    def state(self) -> dict[str, Any]:
        """Budget, base, current and peak memory plus the per-model rows."""
        used = self.used_mb()
        return {"budget_mb": round(self.budget_mb), "base_mb": round(self.base_mb, 1),
                "used_mb": round(used, 1), "peak_mb": round(self.peak_mb, 1),
                "models": self.snapshot()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class RssSampler:
    """Samples this process's RSS in a background thread (peak during a run, for tests/bench).

    ``ru_maxrss`` only ever grows over the whole process life; this gives the peak of one
    stretch of work, which is what a budget check on one turn needs.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, process.memory_info().rss / MB)
            self.samples += 1
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def manifest_mb(path: Path, models_dir: Path) -> float:
    """Size of a configured model file or folder from the model manifest, in MiB.

    The manifest's sizes are what `kiosk models fetch` guarantees, so an estimate can be made
    before (or without) the files; a path the manifest does not list (a LoRA adapter, a custom
    voice) is measured on disk instead.
    """
    from kiosk.errors import ModelError
    from kiosk.modelstore import load_manifest

    try:
        relative = path.resolve().relative_to(models_dir.resolve()).as_posix()
        files = [f for m in load_manifest().models for f in m.files]
    except (ValueError, ModelError):
        return path_mb(path)
    sizes = [f.size for f in files if f.path == relative or f.path.startswith(relative + "/")]
    return sum(sizes) / MB if sizes else path_mb(path)


def llm_estimate_mb(gguf: Path, lora: Path | None, n_ctx: int, models_dir: Path) -> tuple[float,
                                                                                          float]:
    """(estimate, floor) for the LLM: weights (+ adapter) + KV cache (+ compute buffers).

    The floor (weights + KV) is what the model needs even when RSS shows less: on CPU the GGUF
    is mmap'd, and clean file pages the kernel dropped still come back on the next token.
    """
    weights = manifest_mb(gguf, models_dir) + (path_mb(lora) if lora else 0.0)
    floor = weights + kv_cache_mb(gguf, n_ctx)
    return floor + LLM_COMPUTE_MB, floor
