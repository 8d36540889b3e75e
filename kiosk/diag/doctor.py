"""`kiosk doctor`: is this machine able to run the kiosk, and does the chain actually work?

Each check is a small function returning one ``Check``; a check that raises becomes a FAIL with
the error's first line (never a traceback), so one broken part does not hide the others. The
daemon runs ``run_checks(config, quick=True)`` at boot and logs one line per check.

FAIL means the kiosk cannot work as configured; WARN means it works but worse than it should
(no audio device on a dev machine, a fallback Korean voice, little free memory).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import psutil

from kiosk.config import Config, load_config
from kiosk.diag.wer import cer, wer
from kiosk.errors import AudioError, ConfigError, one_line
from kiosk.messages import ASR_RATE_HZ, Lang

log = logging.getLogger(__name__)

Status = Literal["OK", "WARN", "FAIL"]
ROUND_TRIP_TEXT: dict[Lang, str] = {
    "en": "The library is open until ten o'clock. Turn left at the main gate.",
    # A kiosk answer, with a building code and a walk time: what Korean visitors hear most.
    # (Whisper base stops after a greeting: "안녕하세요. …" came back as "안녕하세요." alone.)
    "ko": "백남학술정보관은 501번 건물이고, 애지문에서 걸어서 약 7분 걸려요.",
}
EN_MAX_WER = 0.30
KO_OK_CER = 0.30
"""Korean is only reported (WARN above this): the romanised fallback voice is known to be
poorly understood, and a missing Korean voice is already a WARN of its own."""
DIALOG_QUESTION = "Where is Hanyang Plaza?"
DIALOG_EXPECT = ("105", "Hanyang Plaza")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        """``OK   name: detail`` — status padded so the names line up."""
        return f"{self.status:<4} {self.name}: {self.detail}"

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def exit_code(checks: list[Check]) -> int:
    """0 when nothing FAILed (WARN is fine), else 1."""
    return min(1, sum(c.status == "FAIL" for c in checks))


# --- checks ---------------------------------------------------------------------------------


def check_config(config: Config) -> Check:
    where = config.source or "(built-in defaults, no config file)"
    return Check("config", "OK", f"{where} valid")


def _configured_models(config: Config) -> list[Path]:
    """Model files the config names: these must exist whatever the manifest says."""
    from kiosk.speech import kokoro

    names = [config.vad.model, config.asr.model, config.tts.voices["en"]]
    korean = config.tts.voices.get("ko", "")
    if kokoro.is_kokoro(korean):
        names += [f"{kokoro.MODEL_DIR}/{p.name}" for p in kokoro.model_files(Path("."))]
    elif korean:
        names.append(korean)
    if config.llm.enabled:
        names.append(config.llm.model)
        if config.llm.lora:
            names.append(config.llm.lora)
    return [config.model_path(n) for n in names]


def check_models(config: Config, hash_check: bool = True) -> Check:
    from kiosk import modelstore

    models_dir = config.resolve(config.paths.models_dir)
    if not models_dir.is_dir():
        return Check("models", "FAIL",
                     f"models directory {models_dir} not found (run `kiosk models fetch`)")
    manifest = modelstore.load_manifest()
    names = [m.name for m in manifest.models if m.default]
    statuses = modelstore.verify(models_dir, manifest, names, hash_check)
    problems = [s.describe() for s in statuses if not s.ok]
    problems += [f"{p}: missing (named in config)" for p in _configured_models(config)
                 if not p.exists()]
    problems += _gguf_problems(config)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Check("models", "FAIL", f"{problems[0]}{more}; run `kiosk models fetch`")
    size_mb = sum(s.expected_size for s in statuses) / 1e6
    how = "sizes and sha256 match" if hash_check else "sizes match (sha256 not checked: --quick)"
    return Check("models", "OK", f"{len(names)} models, {len(statuses)} files, "
                                 f"{size_mb:.0f} MB in {models_dir}: {how}")


def _gguf_problems(config: Config) -> list[str]:
    """The LLM files in the form llama.cpp needs: a truncated one (an adapter the manifest
    does not name) would crash the daemon instead of failing with a message."""
    from kiosk.dialog.ggufcheck import check_gguf_file
    from kiosk.errors import ModelError

    if not config.llm.enabled:
        return []
    files = [("model", config.model_path(config.llm.model))]
    if config.llm.lora:
        lora = config.resolve(config.llm.lora)
        files.append(("adapter", lora if lora.exists() else config.model_path(config.llm.lora)))
    problems = []
    for what, path in files:
        if not path.exists():
            continue  # already reported as missing
        try:
            check_gguf_file(path, what)
        except ModelError as error:
            problems.append(str(error))
    return problems


def check_kb(config: Config) -> Check:
    from kiosk.campus.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    buildings = sum(p.kind == "building" for p in kb.places)
    return Check("campus KB", "OK", f"{kb.source}: {buildings} buildings, "
                                    f"{len(kb.places) - buildings} landmarks")


def check_memory(config: Config) -> Check:
    available_mb = psutil.virtual_memory().available / 2**20
    budget_mb = config.governor.budget_mb
    detail = f"{available_mb:.0f} MB available, budget {budget_mb} MB"
    if available_mb < budget_mb:
        return Check("memory", "WARN", f"{detail}: not every model may stay loaded "
                                       "(free memory or lower governor.budget_mb)")
    return Check("memory", "OK", detail)


def _device_label(sd: Any, kind: str) -> str:
    try:
        return str(sd.query_devices(kind=kind)["name"])
    except Exception:  # no default device of this kind
        return "none"


def check_audio(config: Config) -> Check:
    from kiosk.audio.sources import require_sounddevice

    try:
        sd = require_sounddevice()
        devices = list(sd.query_devices())
    except (AudioError, OSError) as error:
        return Check("audio", "FAIL", f"{one_line(error)} (PortAudio missing? install "
                                      "libportaudio2)")
    problems = []
    for kind, wanted in (("input", config.audio.input_device),
                         ("output", config.audio.output_device)):
        if wanted is None:
            continue
        try:
            sd.query_devices(wanted, kind)
        except Exception:  # ValueError (no such device) or PortAudioError
            problems.append(f"configured audio.{kind}_device {wanted!r} not found")
    if problems:
        return Check("audio", "FAIL", "; ".join(problems) + f" ({len(devices)} devices present)")
    inputs = sum(d["max_input_channels"] > 0 for d in devices)
    outputs = sum(d["max_output_channels"] > 0 for d in devices)
    if not inputs or not outputs:
        return Check("audio", "WARN", f"no audio device ({inputs} input, {outputs} output): "
                                      "the kiosk cannot listen or speak here")
    return Check("audio", "OK", f"input {_device_label(sd, 'input')!r} ({inputs} present), "
                                f"output {_device_label(sd, 'output')!r} ({outputs} present)")


def check_echo(config: Config) -> Check:
    """The echo canceller the voice loop will run: AEC3 behind Speex, AEC3 alone (no
    libspeexdsp: a visitor talking over a loud reply is heard less well) or the gate."""
    import numpy as np

    from kiosk.audio.canceller import build_canceller

    pipe = config.pipeline
    if pipe.echo_mode == "gate":
        return Check("echo", "OK", "gate: the microphone is ignored while the kiosk speaks "
                                   "(no barge-in)")
    try:
        canceller, problem = build_canceller(pipe.echo_linear_ms, pipe.echo_max_lag_ms,
                                             pipe.echo_tail_ms)
    except AudioError as error:
        return Check("echo", "FAIL", one_line(error))
    canceller.played(np.full(1600, 0.1, np.float32), 0)
    canceller.clean(np.zeros(512, np.float32), 0)   # both libraries run once
    if problem:
        return Check("echo", "WARN", f"AEC3 alone: {problem}")
    linear = f"behind Speex's {pipe.echo_linear_ms} ms filter" if pipe.echo_linear_ms else "alone"
    return Check("echo", "OK", f"WebRTC AEC3 {linear}; barge-in after {pipe.barge_in_ms} ms "
                               f"of speech in {pipe.barge_in_window_ms} ms" if pipe.barge_in
                 else f"WebRTC AEC3 {linear}; barge-in off")


PROBE_S = 0.05
PROBE_TIMEOUT_S = 10.0
"""Opening a device answers in milliseconds; a sound server that hangs must not hang us."""


def _probe(config: Config, sd: Any) -> list[str]:
    """Open the configured microphone and speaker for a moment: a device can be listed and
    still not work (its sound server stopped, another program holding it)."""
    import numpy as np

    from kiosk.audio.sources import device_name

    audio = config.audio
    problems = []
    try:
        with sd.InputStream(device=audio.input_device, samplerate=audio.input_rate_hz,
                            channels=1, dtype="float32") as stream:
            stream.read(int(audio.input_rate_hz * PROBE_S))
    except Exception as error:  # PortAudioError, ValueError: what an operator must read
        problems.append(f"cannot listen: microphone {device_name(audio.input_device)}: "
                        f"{one_line(error)}")
    try:
        with sd.OutputStream(device=audio.output_device, samplerate=22050, channels=1,
                             dtype="float32") as stream:
            stream.write(np.zeros(int(22050 * PROBE_S), np.float32))
    except Exception as error:
        problems.append(f"cannot speak: speaker {device_name(audio.output_device)}: "
                        f"{one_line(error)}")
    return problems


def check_audio_io(config: Config) -> Check:
    """The configured devices really open, record and play (silence, 50 ms each)."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as FutureTimeout

    from kiosk.audio.sources import require_sounddevice

    sd = require_sounddevice()
    devices = list(sd.query_devices())
    configured = config.audio.input_device is not None or config.audio.output_device is not None
    if not devices and not configured:
        return Check("audio open", "WARN", "no audio device to open (dev machine?)")
    pool = ThreadPoolExecutor(1, thread_name_prefix="doctor-audio")
    try:
        problems = pool.submit(_probe, config, sd).result(PROBE_TIMEOUT_S)
    except FutureTimeout:
        problems = [f"the audio devices did not answer within {PROBE_TIMEOUT_S:g} s"]
    finally:
        pool.shutdown(wait=False)
    if problems:
        return Check("audio open", "FAIL", "; ".join(problems))
    return Check("audio open", "OK", "microphone recorded and speaker played 50 ms of silence")


def check_daemon(config: Config) -> Check:
    """What the running daemon says it can do: the doctor and `kiosk status` must agree."""
    from kiosk.diag.status import StatusUnavailable, query_status, socket_path
    from kiosk.diag.summary import HEALTH_WORD, healthy

    path = socket_path(config)
    try:
        snap = query_status(path, timeout_s=3.0)
    except StatusUnavailable as error:
        if "not running" in str(error):
            return Check("daemon", "OK", f"not running (no socket at {path})")
        return Check("daemon", "WARN", one_line(error))
    if healthy(snap):
        return Check("daemon", "OK", f"pid {snap.get('pid')} {snap.get('state')}, can listen "
                                     "and speak")
    down = [f"{HEALTH_WORD.get(part, part)}: {entry.get('detail')}"
            for part, entry in sorted((snap.get("health") or {}).items())
            if isinstance(entry, dict) and not entry.get("ok", True)]
    return Check("daemon", "FAIL", f"pid {snap.get('pid')} " + "; ".join(down))


def check_korean_voice(config: Config) -> Check:
    from kiosk.speech.tts import Speaker

    active = Speaker(config).active_korean_voice()
    if active.startswith("kokoro:"):
        return Check("korean voice", "OK", f"Kokoro-82M voice {active.removeprefix('kokoro:')} "
                                           "with the kiosk's Korean pronunciation rules")
    if active.startswith("piper:"):
        return Check("korean voice", "OK", f"Piper voice {active.removeprefix('piper:')}")
    plain = {
        "english-answer": "FALLBACK active: no Korean voice installed, Korean questions are "
                          "answered aloud with the English version of the answer (install a "
                          "Korean Piper voice: tts.voices.ko)",
        "english-romanized": "FALLBACK active: no Korean voice installed, Korean answers are "
                             "read as romanised Hangul by the English voice (hard to understand)",
        "espeak-ng": "FALLBACK active: no Korean Piper voice, Korean answers use espeak-ng "
                     "(robotic)",
        "none": "no Korean voice: Korean answers are shown as text only (tts.ko_fallback=none)",
    }
    return Check("korean voice", "WARN", plain.get(active, f"fallback {active} active"))


class SpeechRig:
    """The TTS voice and Whisper, loaded once for both round trips and dropped afterwards."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._speaker: Any = None
        self._transcriber: Any = None

    @property
    def speaker(self) -> Any:
        if self._speaker is None:
            from kiosk.speech.tts import Speaker

            self._speaker = Speaker(self._config)
        return self._speaker

    @property
    def transcriber(self) -> Any:
        if self._transcriber is None:
            from kiosk.speech.asr import Transcriber

            self._transcriber = Transcriber(self._config)
        return self._transcriber

    def close(self) -> None:
        for part in (self._speaker, self._transcriber):
            if part is not None:
                part.unload()


def check_round_trip(config: Config, lang: Lang, rig: SpeechRig) -> Check:
    """Synthesise a known sentence, transcribe it, score what came back."""
    from kiosk.audio.wavio import resample

    name = f"round trip {lang}"
    if lang == "ko" and rig.speaker.active_korean_voice() == "english-answer":
        return _english_answer_round_trip(config, rig)
    text = ROUND_TRIP_TEXT[lang]
    started = time.perf_counter()
    speech = rig.speaker.synthesize(text, lang)
    if not len(speech.samples):
        return Check(name, "WARN", "no speech produced (tts.ko_fallback = none): skipped")
    audio = resample(speech.samples, speech.rate_hz, ASR_RATE_HZ)
    heard = rig.transcriber.transcribe(audio, language=lang).text
    ms = (time.perf_counter() - started) * 1000
    word_rate = wer(text, heard)
    shown = f"WER {word_rate:.0%}"
    if lang == "ko":
        voice = rig.speaker.active_korean_voice()
        from kiosk.speech.korean_text import normalise  # digits and letters as said

        char_rate = cer(normalise(text), normalise(heard))
        detail = f"{shown}, CER {char_rate:.0%} (voice {voice}, {ms:.0f} ms), heard {heard!r}"
        return Check(name, "OK" if char_rate < KO_OK_CER else "WARN", detail)
    detail = f"{shown} (limit {EN_MAX_WER:.0%}, {ms:.0f} ms), heard {heard!r}"
    return Check(name, "OK" if word_rate < EN_MAX_WER else "FAIL", detail)


def _english_answer_round_trip(config: Config, rig: SpeechRig) -> Check:
    """With no Korean voice a Korean visitor hears the English answer: test exactly that."""
    from kiosk.audio.wavio import resample
    from kiosk.campus import answers
    from kiosk.campus.knowledge import KnowledgeBase
    from kiosk.campus.retrieval import Intent

    kb = KnowledgeBase.load()
    place = kb.by_code(DIALOG_EXPECT[0])
    if place is None:
        return Check("round trip ko", "FAIL", f"building {DIALOG_EXPECT[0]} not in the KB")
    text = answers.compose(place, Intent.LOCATION, "en", kb)
    started = time.perf_counter()
    speech = rig.speaker.synthesize(text, "en")
    heard = rig.transcriber.transcribe(resample(speech.samples, speech.rate_hz, ASR_RATE_HZ),
                                       language="en").text
    word_rate = wer(text, heard)
    ms = (time.perf_counter() - started) * 1000
    detail = (f"WER {word_rate:.0%} of the English answer a Korean visitor hears (voice "
              f"english-answer, limit {EN_MAX_WER:.0%}, {ms:.0f} ms), heard {heard!r}")
    return Check("round trip ko", "OK" if word_rate < EN_MAX_WER else "WARN", detail)


def check_dialog(config: Config) -> Check:
    from kiosk.dialog.engine import DialogEngine

    started = time.perf_counter()
    reply = DialogEngine(config).answer(DIALOG_QUESTION, "doctor")
    ms = (time.perf_counter() - started) * 1000
    answer = " ".join(reply.answer.split())
    shown = answer if len(answer) <= 90 else answer[:89] + "…"
    why = f" ({reply.guard})" if reply.guard else ""
    detail = f"source {reply.source}{why}, {ms:.0f} ms: {shown!r}"
    if not any(word in reply.answer for word in DIALOG_EXPECT):
        return Check("dialog", "FAIL", f"{DIALOG_QUESTION!r} not answered with Hanyang Plaza "
                                       f"(105): {detail}")
    if config.llm.enabled and reply.guard == "llm-error":
        return Check("dialog", "WARN", f"language model failed, template answer given: {detail}")
    return Check("dialog", "OK", detail)


# --- running --------------------------------------------------------------------------------


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # a broken part is a FAIL line, never a traceback
        result = Check(name, "FAIL", one_line(error))
    log.info("event=doctor check=%s status=%s ms=%.0f detail=%s", result.name, result.status,
             (time.perf_counter() - started) * 1000, result.detail)
    return result


def run_checks(config: Config, quick: bool = False,
               on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Every check in order; ``quick`` skips the model round trips and the dialog test.

    ``on_check`` sees each result as soon as it is known (the CLI prints as it goes).
    """
    plan: list[tuple[str, Callable[[], Check]]] = [
        ("config", lambda: check_config(config)),
        ("models", lambda: check_models(config, hash_check=not quick)),
        ("campus KB", lambda: check_kb(config)),
        ("memory", lambda: check_memory(config)),
        ("audio", lambda: check_audio(config)),
        ("audio open", lambda: check_audio_io(config)),
        ("echo", lambda: check_echo(config)),
        ("daemon", lambda: check_daemon(config)),
        ("korean voice", lambda: check_korean_voice(config)),
    ]
    rig: SpeechRig | None = None
    if not quick:
        rig = speech = SpeechRig(config)
        langs: tuple[Lang, ...] = ("en", "ko")
        plan += [(f"round trip {lang}", partial(check_round_trip, config, lang, speech))
                 for lang in langs]
        plan.append(("dialog", lambda: check_dialog(config)))
    results: list[Check] = []
    try:
        for name, check in plan:
            results.append(_guarded(name, check))
            if on_check:
                on_check(results[-1])
    finally:
        if rig:
            rig.close()
    return results


def diagnose(config_path: str | Path | None, quick: bool = False,
             on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Like ``run_checks`` but loads the config itself, so a broken file is a FAIL line."""
    try:
        config = load_config(config_path)
    except ConfigError as error:
        failed = Check("config", "FAIL", one_line(error))
        log.info("event=doctor check=config status=FAIL detail=%s", failed.detail)
        if on_check:
            on_check(failed)
        return [failed]
    return run_checks(config, quick, on_check)
