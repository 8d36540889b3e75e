"""The language model: a GGUF Gemma run by llama-cpp-python, optionally with a LoRA adapter.

One object owns one `Llama`; `load()`/`unload()` let the memory governor swap it, and the first
`stream()` loads it lazily. Generation is greedy by default (facts must not vary from run to run)
with a repetition penalty and stop sequences, so an answer neither repeats itself nor runs on
into a made-up next question.

Why `cpu_repack` exists: llama.cpp repacks weights into "extra buffer types" for the CPU's
fastest kernels. On x86 machines that report AMX tiles (these build VMs do) the AMX matmul
crashes in `llama_decode` (SIGSEGV, seen with llama-cpp-python 0.3.36), so repacking is off
by default; it is irrelevant on the Jetson, where layers run on CUDA.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from kiosk.config import Config, LlmConfig
from kiosk.dialog.compute import ComputeThread
from kiosk.dialog.ggufcheck import check_gguf_file
from kiosk.errors import ModelError
from kiosk.modelstore import verify_model_file

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

YIELD_POLL_S = 0.005


@contextlib.contextmanager
def _model_params(use_extra_bufts: bool) -> Iterator[None]:
    """Set llama.cpp's `use_extra_bufts` model parameter for the `Llama` built inside.

    `Llama.__init__` takes its model parameters from `llama_model_default_params()` and offers no
    argument for this field, so the default is wrapped for the duration of one load only.
    """
    import llama_cpp
    import llama_cpp.llama as llama_module

    original = llama_cpp.llama_model_default_params

    def params():  # type: ignore[no-untyped-def]
        value = original()
        value.use_extra_bufts = use_extra_bufts
        return value

    llama_module.llama_cpp.llama_model_default_params = params
    try:
        yield
    finally:
        llama_module.llama_cpp.llama_model_default_params = original


_LLAMA_LEVELS = {0: logging.CRITICAL, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR,
                 4: logging.DEBUG}
_llama_log = logging.getLogger("kiosk.llama")
_llama_callback = None  # kept: ctypes frees a callback nobody references


class _PendingLog(TypedDict):
    """The llama.cpp message being assembled: its text so far and its logging level."""

    text: str
    level: int


_llama_pending: _PendingLog = {"text": "", "level": logging.DEBUG}


def route_llama_logs() -> None:
    """llama.cpp's own log lines into our logging, one line per message: debug, and info for
    what it calls errors (seen with -v). A real failure reaches us as an exception anyway.

    Why: llama-cpp-python's callback printed lines straight to stderr whatever the log level
    (`llama_kv_cache_iswa: using full-size SWA cache ...` on every command), so a "one-line
    error" was two lines and the journal got text that was no event."""
    global _llama_callback
    if _llama_callback is not None:
        return
    import ctypes

    import llama_cpp
    import llama_cpp._logger  # installs its callback first; ours replaces it

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        if level != 5:  # 5 = continuation of the previous message
            _llama_pending["level"] = _LLAMA_LEVELS.get(level, logging.DEBUG)
        _llama_pending["text"] += text.decode("utf-8", errors="replace")
        if _llama_pending["text"].endswith("\n"):
            line = " ".join(_llama_pending["text"].split())
            _llama_pending["text"] = ""
            if line:
                severe = _llama_pending["level"] >= logging.ERROR
                _llama_log.log(logging.INFO if severe else logging.DEBUG,
                               "event=llama_log text=%s", line[:500])

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _llama_callback = callback


def check_gguf(path: Path, what: str = "model", models_dir: Path | None = None) -> None:
    """Fail early, in one line, on a missing, truncated or corrupt GGUF file (llama.cpp would
    read past the end of a truncated one and crash the process), and on one whose size or
    sha256 differs from the manifest."""
    check_gguf_file(path, what)
    if models_dir is not None:
        verify_model_file(path, models_dir)


def usable_cores() -> int:
    """CPU cores this process may run on.

    llama-cpp-python's own default is half of `os.cpu_count()` (it assumes two hyperthreads per
    core); on a 2-core machine without SMT that leaves one core idle and halves the token rate
    (measured 24 vs 46 tokens/s here).
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LanguageModel:
    """A lazily loaded llama.cpp model with a streaming completion call."""

    _load_lock = threading.Lock()

    def __init__(self, config: Config) -> None:
        self._config = config.llm
        self._path = config.model_path(config.llm.model)
        self._models_dir = config.resolve(config.paths.models_dir)
        lora = config.llm.lora
        self._lora: Path | None = None
        if lora:  # "" = none
            self._lora = config.resolve(lora)
            if not self._lora.exists():
                self._lora = config.model_path(lora)
        self._llama: Llama | None = None
        self.load_ms: float | None = None
        self.compute = ComputeThread("llm")

    def configure(self, llm: LlmConfig) -> None:
        """Adopt new generation settings (config reload); the loaded model stays as it is."""
        if (llm.model, llm.lora, llm.n_ctx, llm.n_gpu_layers) != (
                self._config.model, self._config.lora, self._config.n_ctx,
                self._config.n_gpu_layers):
            log.warning("event=llm_reload_partial reason=model_settings_need_restart")
        self._config = llm

    @property
    def lora_path(self) -> Path | None:
        """The LoRA adapter applied on top of the model, if any."""
        return self._lora

    @property
    def name(self) -> str:
        return self._path.name + (f"+{self._lora.name}" if self._lora else "")

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def verify(self) -> None:
        """The model and adapter files whole (``ModelError``, exit 4): called at start-up, so a
        corrupt file stops the command with one line instead of degrading every answer."""
        check_gguf(self._path, models_dir=self._models_dir)
        if self._lora is not None:
            check_gguf(self._lora, "adapter", self._models_dir)

    def load(self) -> None:
        self.compute.call(self._load)

    def _load(self) -> None:
        with self._load_lock:
            if self._llama is not None:
                return
            self.verify()
            from llama_cpp import Llama

            route_llama_logs()

            started = time.perf_counter()
            try:
                with _model_params(self._config.cpu_repack):
                    self._llama = Llama(
                        model_path=str(self._path),
                        lora_path=str(self._lora) if self._lora else None,
                        n_ctx=self._config.n_ctx,
                        n_gpu_layers=self._config.n_gpu_layers,
                        n_threads=self._config.n_threads or usable_cores(),
                        use_mmap=self._config.n_gpu_layers == 0,
                        seed=0,
                        verbose=False,
                    )
            except (ValueError, RuntimeError, OSError) as error:
                raise ModelError(f"LLM {self._path.name} failed to load: {error}") from None
            self.load_ms = (time.perf_counter() - started) * 1000
            log.info("event=model_load model=llm name=%s load_ms=%.0f", self.name, self.load_ms)

    def unload(self) -> None:
        self.compute.call(self._unload)

    def _unload(self) -> None:
        with self._load_lock:
            if self._llama is None:
                return
            self._llama.close()
            self._llama = None
            gc.collect()
            log.info("event=model_unload model=llm name=%s", self.name)

    def stream(self, prompt: str, stop: list[str], max_tokens: int | None = None,
               deadline_s: float | None = None,
               yield_to: threading.Event | None = None) -> Iterator[str]:
        """Yield text pieces of a greedy completion; stops at `stop`, max_tokens or deadline.

        The tokens are computed on the model's own thread (see `compute.py`), whoever calls.
        While `yield_to` is set the model waits between tokens: the voice loop sets it while
        it synthesises a sentence, so on a small CPU the words about to be heard get the
        cores, and the model catches up while they play.
        """
        self.load()
        yield from self.compute.iterate(
            lambda: self._generate(prompt, stop, max_tokens, deadline_s, yield_to))

    def _generate(self, prompt: str, stop: list[str], max_tokens: int | None,
                  deadline_s: float | None,
                  yield_to: threading.Event | None) -> Iterator[str]:
        deadline = time.monotonic() + (deadline_s or self._config.timeout_s)
        assert self._llama is not None
        pieces = self._llama(
            prompt,
            max_tokens=max_tokens or self._config.max_tokens,
            temperature=self._config.temperature,
            top_p=self._config.top_p,
            repeat_penalty=self._config.repeat_penalty,
            stop=stop,
            stream=True,
        )
        if not isinstance(pieces, Generator):  # stream=True gives one; narrows the union
            raise ModelError(f"LLM {self.name} returned no token stream")
        try:
            for piece in pieces:
                text = piece["choices"][0]["text"]
                if text:
                    yield text
                if time.monotonic() > deadline:
                    log.warning("event=llm_timeout timeout_s=%.1f",
                                deadline_s or self._config.timeout_s)
                    return
                while yield_to is not None and yield_to.is_set() and time.monotonic() < deadline:
                    time.sleep(YIELD_POLL_S)
        finally:
            pieces.close()
