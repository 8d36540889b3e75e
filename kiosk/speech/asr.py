"""Speech → text with faster-whisper (CTranslate2 Whisper) from a local model folder.

Input is one VAD utterance (float32 mono 16 kHz). The encoder runs once per clip, over a window
of ``asr.window_s`` seconds (Whisper's native 30 s by default; shorter is faster on a CPU).
Language is detected from that encoding with Whisper's own language probabilities but restricted
to ``asr.languages`` (a Korean visitor must never be transcribed as Japanese), then the same
encoding is decoded in that language. Whisper's own VAD is
off (we already segmented), no text is carried between calls (each visitor utterance stands
alone) and timestamps are off (we need the words, not where they are; it is also faster).

Whisper invents text on noise ("Thank you.", "시청해주셔서 감사합니다", "MBC 뉴스") and, given
hotwords, recites them on silence; such text with a high no-speech probability, and text with no
letters at all, comes back as "".
"""

from __future__ import annotations

import gc
import logging
import math
import re
import time
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.config import Config
from kiosk.errors import ModelError, one_line
from kiosk.messages import ASR_RATE_HZ, Lang, Transcript

log = logging.getLogger(__name__)

_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
# Lower-cased, punctuation-free phrases Whisper produces on silence/noise (YouTube captions).
_HALLUCINATIONS = frozenset(
    {
        "thank you", "thank you very much", "thanks for watching", "thank you for watching",
        "please subscribe", "bye", "you", "the", "subtitles by the amaraorg community",
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
_LANG_SURE = 0.9
"""Below this share of the allowed languages' probability, both languages are decoded."""
_PRIMARY_BONUS = 0.2
"""...and the first of ``asr.languages`` (Korean: most visitors) wins a near tie by this much
mean log-prob: accented Korean "백남 어디예요" scored -1.19 in Korean, -1.09 as English
gibberish."""


def _weighed(logprob: float, lang: str, languages: list[Lang]) -> float:
    return logprob + (_PRIMARY_BONUS if lang == languages[0] else 0.0)
_NO_SPEECH_DROP = 0.6
_LOW_LOGPROB = -1.0
"""Whisper's own rule: no-speech prob above 0.6 *and* mean log-prob below -1 means noise."""
_RECITED_S_PER_WORD = 1.5
_RECITED_MIN_AUDIO_S = 2.0
_MAX_COMPRESSION_RATIO = 2.4
"""Whisper's rule for a decoding stuck in a loop (text that gzip shrinks this much)."""
_WHISPER_WINDOW_S = 30
_FRAMES_PER_S = 100
_MIN_AUDIO_S = 0.1
_MAX_LENGTH = 448        # Whisper's decoder context, prompt included
_MAX_NEW_TOKENS = 160    # a 15 s utterance is far shorter


def looks_recited(text: str, prompt: str, audio_s: float) -> bool:
    """Text made only of prompt words, far too short for the audio's length.

    People say 2-4 words a second; a bare place name ("퓨전테크", "Hanyang Plaza") fills a
    second or so. Only prompt words at more than 1.5 s per word suggests Whisper copied its
    prompt. The caller only decodes again (without the prompt) on this, so a visitor who did
    say just a long name loses nothing but ~0.1 s. Two or more prompt names as a comma list
    are recited whatever the length: nobody asks in a list of names.
    """
    items = [_normalise(item) for item in text.split(",") if _normalise(item)]
    names = {_normalise(name) for name in prompt.split(",")}
    if len(items) >= 2 and all(item in names for item in items):
        return True  # "Aeji Gate, Hanyang Plaza, Paiknam Library,": the prompt's list itself
    words = _normalise(text).split()
    if not words or audio_s < _RECITED_MIN_AUDIO_S:
        return False
    prompt_words = set(_normalise(prompt).split())
    return set(words) <= prompt_words and audio_s / len(words) > _RECITED_S_PER_WORD


_PROMPT_CHARS = 600
"""Whisper keeps at most 223 prompt tokens; 600 characters of names stay within that."""
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def prompt_for(hotwords: str | None, lang: Lang) -> str | None:
    """The comma-separated campus names of ``lang`` only: Hangul names for Korean, the others
    for English.

    Why: with both languages in the prompt Whisper copied English names into Korean speech
    ("신소재공학관, Materials Science and Technology Building,") and the answer came back in
    English; plain Whisper wrote Hangul only. The language is detected before the prompt is
    used, so each language gets its own names.
    """
    if not hotwords:
        return None
    names = [n.strip() for n in hotwords.split(",") if n.strip()]
    kept = [n for n in names if bool(_HANGUL.search(n)) == (lang == "ko")]
    return ", ".join(kept)[:_PROMPT_CHARS] or None


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


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
            raise ModelError(f"model error: cannot load Whisper model {path}: "
                             f"{one_line(error)}") from None
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
        if audio_s < _MIN_AUDIO_S:
            return Transcript(text="", lang=language or self._cfg.languages[0], audio_s=audio_s,
                              asr_ms=0.0, no_speech_prob=1.0)
        encoded = self._encode(audio)
        lang, sure = (language, 1.0) if language else self._pick_language(encoded)
        prompt = prompt_for(hotwords, lang)
        text, no_speech, logprob = self._decode(encoded, lang, prompt)
        unsure = sure < _LANG_SURE
        if unsure:
            # Unsure which language: decode in the other one too and keep the likelier text.
            # (Accented Korean "백남 어디예요" was detected as English and came back as
            # "Fing-Nam-Odi-E-A-Y-O.", then answered in English.)
            for other in [code for code in self._cfg.languages if code != lang]:
                found = self._decode(encoded, other, prompt_for(hotwords, other))
                log.info("event=asr_language_unsure first=%s p=%.2f logprob=%.2f "
                         "other=%s logprob=%.2f", lang, sure, logprob, other, found[2])
                if _weighed(found[2], other, self._cfg.languages) > _weighed(
                        logprob, lang, self._cfg.languages):
                    lang, prompt, (text, no_speech, logprob) = (
                        other, prompt_for(hotwords, other), found)
        hotwords = prompt
        if hotwords and looks_recited(text, hotwords, audio_s):
            # A few campus names for seconds of speech: Whisper read its prompt instead of
            # listening (seen once in 2500 soak turns: an English question heard as "퓨전테크,").
            # Decode again without the prompt, in each allowed language, and keep the likeliest.
            log.info("event=asr_recited lang=%s chars=%d audio_s=%.2f", lang, len(text), audio_s)
            choices = [language] if language else self._cfg.languages
            lang, (text, no_speech, logprob) = max(
                ((code, self._decode(encoded, code, None)) for code in choices),
                key=lambda found: found[1][2])
            hotwords = None
        reason = self._reject_reason(text, no_speech, logprob, hotwords or "")
        if not reason and unsure and logprob <= _LOW_LOGPROB and \
                no_speech >= _HALLUCINATION_NO_SPEECH:
            reason = "unsure_noise"  # neither language fits and it may be no speech at all
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

    def window_s(self, audio_s: float) -> int:
        """Seconds of audio the encoder sees: `asr.window_s`, or longer for a longer clip."""
        return min(_WHISPER_WINDOW_S, max(self._cfg.window_s, math.ceil(audio_s + 0.5)))

    def _encode(self, audio: np.ndarray) -> Any:
        """Run Whisper's encoder once on the clip, zero-padded to its window.

        faster-whisper's `transcribe` encodes a clip twice when the language is not given
        (once to detect it, once to decode), always over 30 s; here one pass serves both.
        """
        assert self._model is not None
        from faster_whisper.audio import pad_or_trim

        features = self._model.feature_extractor(audio)
        frames = self.window_s(len(audio) / ASR_RATE_HZ) * _FRAMES_PER_S
        return self._model.encode(pad_or_trim(features, frames))

    def _pick_language(self, encoded: Any) -> tuple[Lang, float]:
        """Most probable language among ``asr.languages``, from the one encoder pass, and its
        share of their probability."""
        allowed = self._cfg.languages
        assert self._model is not None
        if len(allowed) == 1 or not self._model.model.is_multilingual:
            return allowed[0], 1.0
        probs = {token[2:-2]: p for token, p in self._model.model.detect_language(encoded)[0]}
        best = max(allowed, key=lambda code: probs.get(code, 0.0))
        share = probs.get(best, 0.0) / (sum(probs.get(code, 0.0) for code in allowed) or 1.0)
        log.debug(
            "event=asr_language best=%s %s",
            best, " ".join(f"p_{code}={probs.get(code, 0.0):.2f}" for code in allowed),
        )
        return best, share

    def _decode(self, encoded: Any, lang: Lang, hotwords: str | None) -> tuple[str, float, float]:
        """Greedy/beam decoding of one window → (text, no-speech prob, mean token log-prob)."""
        assert self._model is not None
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                              task="transcribe", language=lang)
        prompt = self._model.get_prompt(tokenizer, [], without_timestamps=True,
                                        hotwords=hotwords or None)
        result = self._model.model.generate(
            encoded, [prompt], beam_size=self._cfg.beam_size, patience=1, length_penalty=1,
            max_length=min(_MAX_LENGTH, len(prompt) + _MAX_NEW_TOKENS), return_scores=True,
            return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])))[0]
        tokens = result.sequences_ids[0]
        text = tokenizer.decode(tokens).strip()
        # scores are length-normalised sums; Whisper's mean divides by length + 1
        logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else -10.0
        if _compression_ratio(text) > _MAX_COMPRESSION_RATIO:  # "the the the ..." loops
            log.debug("event=asr_repetitive chars=%d", len(text))
            logprob = min(logprob, _LOW_LOGPROB - 1)
            return text, max(result.no_speech_prob, _NO_SPEECH_DROP + 0.01), logprob
        return text, result.no_speech_prob, logprob

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
