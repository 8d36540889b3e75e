"""`kiosk run`: builds the models and stages, then runs the voice loop until told to stop.

Structured like a service: models load before READY=1 is sent (systemd `Type=notify`); the
watchdog is pinged from the event loop itself, so a hung loop gets the process restarted; the
status socket answers while models work in threads; SIGTERM/SIGINT cancel the task group (the
reply in progress is cut, the output is closed, exit code 0); SIGHUP re-reads the config and
applies the dialog settings, keeping the old ones when the new file is invalid. A microphone
that vanishes is logged and reopened with back-off; one bad turn never ends the process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np

from kiosk.audio.sinks import SpeakerSink, WavSink
from kiosk.audio.sources import MicSource, WavSource
from kiosk.config import Config, load_config
from kiosk.diag import rundir, sdnotify
from kiosk.diag.status import (
    StatusBoard,
    StatusServer,
    StatusServerError,
    raise_fd_limit,
    socket_path,
)
from kiosk.dialog.engine import DialogEngine
from kiosk.errors import AudioError, KioskError, one_line
from kiosk.governor import (
    FOOTPRINT_FACTOR,
    Governor,
    ModelSlot,
    limit_malloc_arenas,
    llm_estimate_mb,
    manifest_mb,
)
from kiosk.messages import ASR_RATE_HZ
from kiosk.pipeline import Sink, TurnRecord, VoiceLoop, campus_hotwords
from kiosk.speech.asr import Transcriber
from kiosk.speech.tts import Speaker
from kiosk.speech.turn import SmartTurn
from kiosk.speech.vad import SileroVad

log = logging.getLogger(__name__)


_WARM_NOISE = np.random.default_rng(0).normal(0, 0.01, 2 * ASR_RATE_HZ).astype(np.float32)
_WARM_SENTENCE = "Hanyang Plaza, building 105, is on your left as you come out of Aeji Gate."
"""Warm-up inputs of a real turn's size: the first inference allocates work buffers (language
detection, a sentence-long synthesis), and the governor's measurement must include them."""


class Models:
    """The four model holders of one process and the memory governor that decides which of
    them are resident.

    Every load goes through ``self.governor``: the voice loop calls ``governor.acquire`` before
    each stage, and the holders' use methods (``transcribe``, ``synthesize``, ``stream``) are
    wrapped so that a model is pinned while it works and one that was unloaded to make room
    comes back through the budget check instead of loading itself behind the governor's back.
    """

    PRELOAD_ORDER = ("asr", "llm", "tts")
    """Order of the first turn: with a budget for only some, the first needed is resident."""

    def __init__(self, config: Config) -> None:
        limit_malloc_arenas()  # before the model threads exist: unloads must give memory back
        self.config = config
        self.stopping = threading.Event()
        self.engine = DialogEngine(config)
        if config.llm.enabled:  # a truncated GGUF crashes llama.cpp: refuse it before any load
            self.engine.llm.verify()
        self.vad = SileroVad(config.model_path(config.vad.model))
        self.turn = (SmartTurn(config.model_path(config.vad.turn_model))
                     if config.vad.turn_model else None)
        if self.turn is not None:
            self.turn.warm()  # before the governor measures its base (see SmartTurn.warm)
        self.asr = Transcriber(config)
        self.tts = Speaker(config)
        self.hotwords = campus_hotwords(self.engine) if config.asr.hotwords_from_kb else None
        self.governor = Governor(config.governor.budget_mb)
        self._govern()

    def _govern(self) -> None:
        """Register each model with its size estimate and route its use through the governor."""
        cfg, gov = self.config, self.governor
        models_dir = cfg.resolve(cfg.paths.models_dir)
        vad_path = cfg.model_path(cfg.vad.model)
        # The listening models (Silero and Smart Turn) stay resident: one slot, both sizes.
        listening = [vad_path, *([cfg.model_path(cfg.vad.turn_model)] if self.turn else [])]
        gov.register(ModelSlot("vad", ",".join(p.name for p in listening), load=lambda: None,
                               unload=None, is_loaded=lambda: True,
                               estimate_mb=sum(manifest_mb(p, models_dir) for p in listening)
                               * FOOTPRINT_FACTOR["vad"]))

        asr_path = cfg.model_path(cfg.asr.model)
        transcribe = self.asr.transcribe
        gov.register(ModelSlot(
            "asr", asr_path.name, self.asr.load, self.asr.unload, lambda: self.asr.loaded,
            estimate_mb=manifest_mb(asr_path, models_dir) * FOOTPRINT_FACTOR["asr"],
            device=_asr_on_gpu(cfg.asr.device),
            warm=lambda: transcribe(_WARM_NOISE)))
        self.asr.transcribe = gov.while_held("asr", transcribe)  # type: ignore[method-assign]

        voices = self.tts.voice_files()
        synthesize = self.tts.synthesize
        gov.register(ModelSlot(
            "tts", ",".join(v.name for v in voices), self.tts.load, self.tts.unload,
            lambda: self.tts.loaded,
            estimate_mb=sum(manifest_mb(v, models_dir) for v in voices) * FOOTPRINT_FACTOR["tts"],
            warm=lambda: self.tts.warm(_WARM_SENTENCE),
            info=lambda: {"korean": self.tts.active_korean_voice()}))
        self.tts.synthesize = gov.while_held("tts", synthesize)  # type: ignore[method-assign]

        llm = self.engine.llm
        lora = None
        if cfg.llm.lora:
            lora = cfg.resolve(cfg.llm.lora)
            lora = lora if lora.exists() else cfg.model_path(cfg.llm.lora)
        estimate, floor = llm_estimate_mb(cfg.model_path(cfg.llm.model), lora, cfg.llm.n_ctx,
                                          models_dir)
        stream = llm.stream
        gov.register(ModelSlot(
            "llm", llm.name, llm.load, llm.unload, lambda: llm.loaded, estimate_mb=estimate,
            floor_mb=floor, device=cfg.llm.n_gpu_layers != 0,
            warm=lambda: list(stream("Hello", [], max_tokens=2))))
        llm.stream = gov.stream_held("llm", stream)  # type: ignore[method-assign]

    def preload(self) -> None:
        """Load what the budget allows now (blocking), so the first visitor does not wait.

        A model that cannot fit the budget even alone stops start-up here (``BudgetError``)
        rather than failing a visitor's turn later; ``governor.preload = false`` loads lazily.
        """
        names = [n for n in self.PRELOAD_ORDER if n != "llm" or self.config.llm.enabled]
        for name in names:
            self.governor.check(name)
        loaded: list[str] = []
        for name in names if self.config.governor.preload else []:
            if self.stopping.is_set():  # SIGTERM while loading: do not load the rest
                log.info("event=preload_stopped before=%s", name)
                return
            loaded += self.governor.preload([name])
        log.info("event=models_ready loaded=%s korean_voice=%s llm=%s used_mb=%.0f "
                 "budget_mb=%.0f", ",".join(loaded) or "-", self.tts.active_korean_voice(),
                 self.engine.llm.name if self.config.llm.enabled else "off",
                 self.governor.used_mb(), self.governor.budget_mb)

    def loop(self, source: AsyncIterator[np.ndarray], sink: Sink,
             on_turn: Callable[[TurnRecord], None] | None = None,
             on_state: Callable[[str], None] | None = None,
             streaming: bool = True,
             on_error: Callable[[str, str], None] | None = None,
             on_health: Callable[[str, bool, str], None] | None = None) -> VoiceLoop:
        if streaming and self.config.llm.enabled and not self.governor.fits_together(
                "llm", "tts"):
            # Streaming speaks while the model still writes: both must be resident. A budget
            # that holds only one at a time gets one stage after another (and swaps) instead.
            log.info("event=streaming_off reason=budget budget_mb=%.0f",
                     self.governor.budget_mb)
            streaming = False
        return VoiceLoop(self.config, source, sink, scorer=self.vad, transcriber=self.asr,
                         speaker=self.tts, engine=self.engine, hotwords=self.hotwords,
                         on_turn=on_turn, on_state=on_state, acquire=self.governor.acquire,
                         streaming=streaming, on_error=on_error, on_health=on_health,
                         turn_model=self.turn)


def _asr_on_gpu(device: str) -> bool:
    """Whether CTranslate2 will put Whisper on CUDA ("auto" does when a GPU is visible)."""
    if device != "auto":
        return device == "cuda"
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except (ImportError, RuntimeError):
        return False


async def mic_blocks(mic: MicSource, board: StatusBoard) -> AsyncIterator[np.ndarray]:
    """Microphone blocks forever; a missing or vanished device is (re)opened with back-off.

    While it is away the board says the kiosk cannot listen (it said "listening")."""
    try:
        mic.open()
        board.set_health("input", True, "microphone open")
    except AudioError as error:
        log.error("event=mic_unavailable error=%s", error)
        board.record_error("audio", str(error))
        board.set_health("input", False, one_line(error))
        await mic.reopen()
        board.set_health("input", True, "microphone reopened")
    try:
        while True:
            try:
                async for block in mic:
                    yield block
            except AudioError as error:
                log.error("event=mic_lost error=%s", error)
                board.record_error("audio", str(error))
                board.set_health("input", False, one_line(error))
                await mic.reopen(on_failure=lambda e: board.set_health("input", False,
                                                                      one_line(e)))
                board.set_health("input", True, "microphone reopened")
    finally:
        mic.close()


async def run_files(models: Models, input_wav: Path, output_wav: Path, realtime: bool = False,
                    on_turn: Callable[[TurnRecord], None] | None = None,
                    source: WavSource | None = None) -> list[TurnRecord]:
    """The whole pipeline on a WAV file: every utterance in it answered into `output_wav`.

    ``source``: the input already read (callers check it before loading the models)."""
    if source is None:
        source = WavSource(input_wav, models.config.audio.block_ms, realtime=realtime)
    await asyncio.to_thread(models.preload)
    sink = WavSink(output_wav, realtime=realtime)
    loop = models.loop(aiter(source), sink, on_turn)
    try:
        await loop.run()
    finally:
        sink.close()
    return list(loop.turns)


class NothingHeard(KioskError):
    """`kiosk run --input-wav` on a file in which no question was heard (exit 1)."""


class _Startup:
    """Signals that arrive before the models are ready: handlers are installed first, so a
    SIGTERM while loading is a logged clean exit (it killed the process silently, exit -15)
    and a SIGHUP is applied once loading ends (it killed it with exit 129)."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.models: Models | None = None
        self.reload_pending = False
        self.stopping = threading.Event()

    def install(self, loop: asyncio.AbstractEventLoop, main: asyncio.Task) -> None:  # type: ignore[type-arg]
        def stop(signum: int) -> None:
            log.info("event=signal name=%s", signal.Signals(signum).name)
            self.stopping.set()
            main.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        loop.add_signal_handler(signal.SIGHUP, self.hangup)

    def hangup(self) -> None:
        if self.models is None:
            log.info("event=reload_deferred reason=models_loading")
            self.reload_pending = True
            return
        _reload(self.models, self.config_path)

    def ready(self, models: Models) -> None:
        self.models = models
        if self.reload_pending:
            self.reload_pending = False
            _reload(models, self.config_path)


async def serve(config: Config, config_path: Path | None, input_wav: Path | None = None,
                output_wav: Path | None = None, realtime: bool = False,
                on_turn: Callable[[TurnRecord], None] | None = None) -> int:
    """Run the daemon until SIGTERM/SIGINT (or the end of the input WAV)."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    startup = _Startup(config_path)
    startup.install(loop, main)
    board = StatusBoard.from_config(config)
    sink: Sink | None = None
    try:
        # Inputs and paths first: a bad WAV or runtime directory is refused in milliseconds,
        # not after every model has loaded.
        refused = rundir.ensure_private(socket_path(config).parent)
        if refused:
            raise StatusServerError(f"refusing runtime directory: {refused} (remove it or "
                                    "set paths.runtime_dir)")
        if input_wav is not None:
            wav = WavSource(input_wav, config.audio.block_ms, realtime=realtime)
            sink = WavSink(output_wav or input_wav.with_suffix(".answers.wav"),
                           realtime=realtime)
            sink.check_writable()
            source: AsyncIterator[np.ndarray] = aiter(wav)
        else:
            speaker = SpeakerSink(config.audio)
            unusable = speaker.probe()
            if unusable:
                board.set_health("output", False, unusable)
            sink = speaker
            source = mic_blocks(MicSource(config.audio), board)
        models = Models(config)
        models.stopping = startup.stopping
        await asyncio.to_thread(models.preload)
        startup.ready(models)
        return await _serve_ready(config, models, board, source, sink, on_turn,
                                  lambda: _reload(models, config_path),
                                  wav if input_wav is not None else None)
    except asyncio.CancelledError:
        log.info("event=shutdown reason=signal during=%s",
                 "starting" if startup.models is None else "running")
        return 0
    finally:
        board.set_state("stopping")
        sdnotify.stopping()
        if isinstance(sink, WavSink):
            sink.close()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)


async def _serve_ready(config: Config, models: Models, board: StatusBoard,
                       source: AsyncIterator[np.ndarray], sink: Sink,
                       on_turn: Callable[[TurnRecord], None] | None,
                       reload_config: Callable[[], bool],
                       source_file: WavSource | None = None) -> int:
    """The status socket, the watchdog and the voice loop, once the models are ready."""
    board.set_models(models.governor.snapshot)
    board.set_audio(lambda: {"input": str(getattr(source, "label", None)
                                          or config.audio.input_device or "default"),
                             "output": str(getattr(sink, "label", None)
                                           or config.audio.output_device or "default")})

    def record(turn: TurnRecord) -> None:
        board.record_turn(turn.timings_ms, turn.source, turn.lang)
        if on_turn:
            on_turn(turn)

    raise_fd_limit()
    server = StatusServer(board, socket_path(config))

    async def reset_session(_request: dict) -> dict:
        models.engine.sessions.reset(config.pipeline.session_id)
        return {"ok": True}

    async def reload(_request: dict) -> dict:
        return {"ok": reload_config()}

    server.register("reset-session", reset_session)
    server.register("reload", reload)
    voice = models.loop(source, sink, record, board.set_state,  # type: ignore[arg-type]
                        on_error=board.record_error,
                        on_health=board.set_health)  # type: ignore[arg-type]
    board.on_health(sdnotify.status)  # `systemctl status kiosk` says what the kiosk can do
    async with server, asyncio.TaskGroup() as group:
        watchdog = group.create_task(sdnotify.watchdog_loop(), name="watchdog")
        listening = group.create_task(voice.run(), name="voice")
        listening.add_done_callback(lambda _: watchdog.cancel())
        board.set_state("listening")
        sdnotify.ready()
    if isinstance(source_file, WavSource) and not voice.turns:
        # the same answer as `kiosk ask --audio`: a file with no question is a failed run
        raise NothingHeard(f"no question was heard in {source_file.path}")
    return 0


def _reload(models: Models, config_path: Path | None) -> bool:
    """Re-read the config; apply the dialog settings (history, timeouts, generation)."""
    try:
        fresh = load_config(config_path)
    except KioskError as error:
        log.error("event=reload_failed error=%s", error)
        return False
    models.engine.apply_settings(fresh)
    log.info("event=reloaded path=%s applied=dialog,llm-generation (models, audio and paths "
             "need a restart)", fresh.source)
    return True
