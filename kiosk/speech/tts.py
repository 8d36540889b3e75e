"""Text → speech: Piper voices (ONNX VITS) and Kokoro for Korean, one voice per language,
loaded lazily.

``tts.voices.ko = "kokoro:jm_kumo"`` (the default) speaks Korean with Kokoro-82M and the
kiosk's own Korean pronunciation rules (kiosk/speech/kokoro.py, docs/korean-voice.md); a path
to a Piper ``.onnx`` voice plugs in a Piper Korean voice instead.

Output is ``SpeechAudio``: float32 mono in [-1, 1] at the voice's rate (22050 Hz for the medium
voices), one chunk per sentence joined with ``tts.sentence_silence_ms`` of silence. Callers that
want to start speaking before a long answer is fully synthesised split it into sentences
(``kiosk.dialog.sentences``) and call ``synthesize`` per sentence.

Korean without a Korean voice (``tts.voices.ko = ""``) follows ``tts.ko_fallback``:
"english" means the caller speaks the *English version of the answer* instead (the voice loop
does this; it is the only fallback Whisper understands: WER 27% vs CER 126-165% for the others,
see README) — handed Korean text anyway, this class reads it romanised; "romanized" reads the
romanised Hangul with the English voice ("한양플라자" → "hanyangpeullaja"); "espeak" uses the
``espeak-ng`` binary's Korean voice when installed (else romanised); "none" returns empty audio.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.audio.wavio import read_wav
from kiosk.config import Config
from kiosk.errors import AudioError, ModelError, one_line
from kiosk.messages import Lang, SpeechAudio
from kiosk.speech import kokoro
from kiosk.speech.english_text import speakable_english
from kiosk.speech.romanize import romanize

log = logging.getLogger(__name__)

_ESPEAK_TIMEOUT_S = 15.0


class Speaker:
    """Piper voices per language; blocking synthesis (run it in a worker thread)."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._cfg = config.tts
        self._voices: dict[Lang, Any] = {}  # lang → piper.PiperVoice or kokoro.KokoroVoice
        self._espeak = shutil.which("espeak-ng") if self._cfg.ko_fallback == "espeak" else None
        if self._cfg.ko_fallback == "espeak" and not self._espeak:
            log.warning("event=tts_fallback wanted=espeak using=english reason=espeak-ng_not_found")

    @property
    def loaded(self) -> bool:
        return bool(self._voices)

    def load(self, lang: Lang | None = None) -> None:
        """Load the voice for ``lang`` (None: every configured voice); ``ModelError`` if bad."""
        langs: list[Lang] = [lang] if lang else ["en", "ko"]
        for code in langs:
            name = self._cfg.voices.get(code)
            if code not in self._voices and name:
                self._voices[code] = (self._load_kokoro(name) if kokoro.is_kokoro(name)
                                      else self._load_voice(code, name))

    def voice_files(self) -> list[Path]:
        """The model files of every configured voice (the governor budgets from their sizes)."""
        files: list[Path] = []
        for name in self._cfg.voices.values():
            if kokoro.is_kokoro(name):
                files.append(kokoro.model_files(
                    self._config.resolve(self._config.paths.models_dir))[0])
            elif name:
                files.append(self._config.model_path(name))
        return files

    def warm(self, english: str) -> None:
        """Run every loaded voice once; Kokoro on its longest clause, so its memory arena has
        grown to its full size before the first visitor (it stays flat from then on).
        Calls the class's own ``synthesize``: the governor wraps the instance's, and warming
        runs inside its load."""
        Speaker.synthesize(self, english, "en")
        if self.active_korean_voice().startswith(kokoro.PREFIX):
            Speaker.synthesize(self, kokoro.WARM_TEXT, "ko")

    def unload(self) -> None:
        """Drop every loaded voice (they are reloaded on the next ``synthesize``)."""
        if self._voices:
            self._voices.clear()
            gc.collect()
            log.info("event=tts_unloaded")

    def active_korean_voice(self) -> str:
        """Which path speaks Korean answers: "kokoro:<voice>", "piper:<file>",
        "english-answer" (the English version of the answer is spoken), "espeak-ng",
        "english-romanized" or "none"."""
        name = self._cfg.voices.get("ko", "")
        if kokoro.is_kokoro(name):
            return f"{kokoro.PREFIX}{kokoro.voice_name(name)}"
        if name:
            return f"piper:{Path(self._cfg.voices['ko']).name}"
        if self._cfg.ko_fallback == "espeak" and self._espeak:
            return "espeak-ng"
        if self._cfg.ko_fallback == "none":
            return "none"
        if self._cfg.ko_fallback == "english":
            return "english-answer"
        return "english-romanized"

    def synthesize(self, text: str, lang: Lang, pace: float = 1.0) -> SpeechAudio:
        """Speak ``text`` in ``lang`` → float32 mono ``SpeechAudio`` (empty for empty text);
        ``pace`` > 1 speaks slower ("slower please")."""
        started = time.perf_counter()
        route = "en" if lang == "en" else self.active_korean_voice()
        if route == "english-answer":  # only reached when handed Korean text directly
            route = "english-romanized"
        if not text.strip() or route == "none":
            samples, rate_hz = np.zeros(0, np.float32), self._rate_hz("en")
        elif route == "espeak-ng":
            samples, rate_hz = self._espeak_ko(text)
        elif route.startswith(kokoro.PREFIX):
            self.load("ko")
            samples, rate_hz = self._voices["ko"].synthesize(text), kokoro.RATE_HZ
        elif route.startswith("piper:"):
            samples, rate_hz = self._piper(text, "ko", pace)
        else:  # English voice; Hangul in the text (Korean answer, or a name) is romanised
            samples, rate_hz = self._piper(speakable_english(romanize(text)), "en", pace)
        elapsed_ms = (time.perf_counter() - started) * 1000
        audio_s = len(samples) / rate_hz
        log.info(
            "event=tts lang=%s voice=%s chars=%d audio_s=%.2f tts_ms=%.0f rtf=%.3f",
            lang, route, len(text), audio_s, elapsed_ms,
            elapsed_ms / 1000 / audio_s if audio_s else 0.0,
        )
        return SpeechAudio(samples=samples, rate_hz=rate_hz, text=text, lang=lang)

    def _rate_hz(self, lang: Lang) -> int:
        self.load(lang)
        return int(self._voices[lang].config.sample_rate)

    def _piper(self, text: str, lang: Lang, pace: float = 1.0) -> tuple[np.ndarray, int]:
        from piper import SynthesisConfig

        self.load(lang)
        voice = self._voices[lang]
        syn = SynthesisConfig(
            length_scale=voice.config.length_scale * self._cfg.length_scale * pace)
        rate_hz = int(voice.config.sample_rate)
        gap = np.zeros(int(rate_hz * self._cfg.sentence_silence_ms / 1000), np.float32)
        parts: list[np.ndarray] = []
        for chunk in voice.synthesize(text, syn):
            if parts and len(gap):
                parts.append(gap)
            parts.append(chunk.audio_float_array.astype(np.float32, copy=False))
        samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return samples, rate_hz

    def _espeak_ko(self, text: str) -> tuple[np.ndarray, int]:
        assert self._espeak is not None
        try:
            return espeak(text, "ko", self._espeak)
        except (OSError, subprocess.SubprocessError, AudioError) as error:
            log.warning("event=tts_fallback wanted=espeak using=english error=%s", error)
        return self._piper(romanize(text), "en")

    def _load_kokoro(self, name: str) -> kokoro.KokoroVoice:
        return kokoro.KokoroVoice(self._config.resolve(self._config.paths.models_dir), name,
                                  threads=self._cfg.threads,
                                  speed=1.0 / self._cfg.length_scale,
                                  sentence_silence_ms=self._cfg.sentence_silence_ms)

    def _load_voice(self, lang: Lang, name: str) -> Any:
        from piper import PiperVoice
        from piper.config import PiperConfig

        model = self._config.model_path(name)
        config_json = Path(f"{model}.json")
        for needed in (model, config_json):
            if not needed.is_file():
                raise ModelError(
                    f"model error: TTS voice for '{lang}' not found: {needed} "
                    f"(set tts.voices.{lang} or run `kiosk models fetch`)"
                )
        started = time.perf_counter()
        try:
            settings = PiperConfig.from_dict(json.loads(config_json.read_text(encoding="utf-8")))
            voice = PiperVoice(config=settings, session=_voice_session(model))
        except Exception as error:  # onnxruntime / json / KeyError from a bad voice file
            raise ModelError(f"model error: cannot load TTS voice {model}: "
                             f"{one_line(error)}") from None
        log.info(
            "event=tts_loaded lang=%s voice=%s rate_hz=%d load_ms=%.0f",
            lang, model.name, voice.config.sample_rate, (time.perf_counter() - started) * 1000,
        )
        return voice


def espeak(text: str, voice: str, binary: str = "espeak-ng",
           words_per_minute: int | None = None) -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng's ``voice`` → (float32 samples, rate). Raises OSError,
    subprocess.SubprocessError or AudioError when espeak-ng fails."""
    speed = ["-s", str(words_per_minute)] if words_per_minute else []
    with tempfile.TemporaryDirectory(prefix="kiosk-espeak-") as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run([binary, "-v", voice, *speed, "-w", str(wav), "--", text],
                       check=True, capture_output=True, timeout=_ESPEAK_TIMEOUT_S)
        return read_wav(wav)


def _voice_session(model: Path) -> Any:
    """The voice's onnxruntime session, without onnxruntime's per-shape memory caches.

    Why: every sentence is a new input length. With the defaults (the CPU arena and memory
    patterns, which is what ``PiperVoice.load`` uses) the session keeps buffers for each new
    length and never returns them, so a long-running kiosk's RSS creeps up turn after turn.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), sess_options=options,
                                providers=["CPUExecutionProvider"])
