"""Speech → text with faster-whisper (CTranslate2 Whisper) from a local model folder.

Input is one VAD utterance (float32 mono 16 kHz). Language is detected with Whisper's own
language probabilities but restricted to ``asr.languages`` (a Korean visitor must never be
transcribed as Japanese), then the clip is transcribed in that language. Whisper's own VAD is
off (we already segmented), no text is carried between calls (each visitor utterance stands
alone) and timestamps are off (we need the words, not where they are; it is also faster).

Whisper invents text on noise ("Thank you.", "시청해주셔서 감사합니다", "MBC 뉴스") and, given
hotwords, recites them on silence; such text with a high no-speech probability, and text with no
letters at all, comes back as "".
"""

from __future__ import annotations

import gc
import logging
import re
import time
import unicodedata
from pathlib import Path

import numpy as np

from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.messages import ASR_RATE_HZ, Lang, Transcript

log = logging.getLogger(__name__)

_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
# Lower-cased, punctuation-free phrases Whisper produces on silence/noise (YouTube captions).
_HALLUCINATIONS = frozenset(
    {
        "thank you", "thank you very much", "thanks for watching", "thank you for watching",
        "please subscribe", "bye", "you", "subtitles by the amaraorg community",
        "시청해주셔서 감사합니다", "시청해 주셔서 감사합니다", "감사합니다", "구독과 좋아요",
        "mbc 뉴스", "mbc 뉴스 이덕영입니다", "kbs 뉴스", "sbs 뉴스", "다음 영상에서 만나요",
    }
)
_HALLUCINATION_NO_SPEECH = 0.3
"""A known noise phrase is dropped only above this no-speech probability: "thank you" may be
what the visitor really said."""
_PROMPT_ECHO_NO_SPEECH = 0.5
"""On silence Whisper tends to recite its prompt ("Aeji Gate, Hanyang Plaza, ..."): text made
only of prompt words with at least this no-speech probability is dropped."""
_NO_SPEECH_DROP = 0.6
_LOW_LOGPROB = -1.0
"""Whisper's own rule: no-speech prob above 0.6 *and* mean log-prob below -1 means noise."""


def _normalise(text: str) -> str:
    kept = "".join(c for c in text if not unicodedata.category(c).startswith(("P", "S")))
    return re.sub(r"\s+", " ", kept).strip().lower()


class Transcriber:
    """faster-whisper model, loaded lazily; blocking calls (run them in a worker thread)."""

    def __init__(self, config: Config) -> None:
        self._cfg = config.asr
        self._path = config.model_path(config.asr.model)
        self._model = None  # faster_whisper.WhisperModel once loaded

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model (≈0.4 s, ≈150 MB for base int8); ``ModelError`` if missing/corrupt."""
        if self._model is not None:
            return
        path = Path(self._path)
        missing = [name for name in _REQUIRED_FILES if not (path / name).is_file()]
        if not path.is_dir() or missing:
            what = "folder not found" if not path.is_dir() else f"missing {', '.join(missing)}"
            raise ModelError(
                f"model error: Whisper model {path}: {what} (run `kiosk models fetch`)"
            )
        from faster_whisper import WhisperModel

        started = time.perf_counter()
        try:
            self._model = WhisperModel(
                str(path),
                device=self._cfg.device,
                compute_type=self._cfg.compute_type,
                cpu_threads=self._cfg.threads,
                local_files_only=True,
            )
        except Exception as error:  # ctranslate2 raises RuntimeError/ValueError with details
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ModelError(f"model error: cannot load Whisper model {path}: {first}") from None
        log.info(
            "event=asr_loaded path=%s device=%s compute_type=%s load_ms=%.0f",
            path, self._cfg.device, self._cfg.compute_type,
            (time.perf_counter() - started) * 1000,
        )

    def unload(self) -> None:
        """Drop the model and free its memory (the governor calls this under pressure)."""
        if self._model is not None:
            self._model = None
            gc.collect()
            log.info("event=asr_unloaded")

    def transcribe(
        self, audio: np.ndarray, language: Lang | None = None, hotwords: str | None = None
    ) -> Transcript:
        """Transcribe float32 mono 16 kHz ``audio``.

        ``language``: force "ko"/"en"; None detects among ``asr.languages``. ``hotwords``:
        campus names (e.g. "애지문, Paiknam Library") fed to Whisper as a prompt so it prefers
        those spellings. Returns text "" for noise, silence and known hallucinations.
        """
        self.load()
        assert self._model is not None
        started = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        audio_s = len(audio) / ASR_RATE_HZ
        lang = language or self._pick_language(audio)
        segments, _info = self._model.transcribe(
            audio,
            language=lang,
            beam_size=self._cfg.beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
            hotwords=hotwords or None,
        )
        segments = list(segments)
        text = " ".join(s.text.strip() for s in segments).strip()
        no_speech = max((s.no_speech_prob for s in segments), default=1.0)
        logprob = min((s.avg_logprob for s in segments), default=-10.0)
        reason = self._reject_reason(text, no_speech, logprob, hotwords or "")
        asr_ms = (time.perf_counter() - started) * 1000
        log.info(
            "event=asr lang=%s audio_s=%.2f asr_ms=%.0f no_speech=%.2f logprob=%.2f chars=%d "
            "dropped=%s",
            lang, audio_s, asr_ms, no_speech, logprob, len(text), reason or "no",
        )
        return Transcript(
            text="" if reason else text,
            lang=lang,
            audio_s=audio_s,
            asr_ms=asr_ms,
            no_speech_prob=no_speech,
        )

    def _pick_language(self, audio: np.ndarray) -> Lang:
        """Most probable language among ``asr.languages`` (one extra encoder pass)."""
        allowed = self._cfg.languages
        if len(allowed) == 1 or len(audio) == 0:
            return allowed[0]
        assert self._model is not None
        _lang, _p, all_probs = self._model.detect_language(audio)
        probs = dict(all_probs)
        best = max(allowed, key=lambda code: probs.get(code, 0.0))
        log.debug(
            "event=asr_language best=%s %s",
            best, " ".join(f"p_{code}={probs.get(code, 0.0):.2f}" for code in allowed),
        )
        return best

    @staticmethod
    def _reject_reason(text: str, no_speech: float, logprob: float, prompt: str = "") -> str:
        """Why ``text`` is not speech ("" = keep it)."""
        plain = _normalise(text)
        if not plain:
            return "empty"
        if plain in _HALLUCINATIONS and no_speech >= _HALLUCINATION_NO_SPEECH:
            return "hallucination"
        prompt_words = set(_normalise(prompt).split())
        if no_speech >= _PROMPT_ECHO_NO_SPEECH and set(plain.split()) <= prompt_words:
            return "prompt_echo"
        if no_speech >= _NO_SPEECH_DROP and logprob <= _LOW_LOGPROB:
            return "no_speech"
        return ""
