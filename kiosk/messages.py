"""Immutable messages passed between the speech stages (mic → VAD → ASR → dialog → TTS → speaker).

Audio travels as float32 mono numpy arrays in [-1, 1]; every message carries its own rate or is
fixed at 16 kHz (the rate Silero VAD and Whisper both need), so no stage has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Lang = Literal["ko", "en"]

ASR_RATE_HZ = 16000
"""Rate of microphone blocks, utterances and everything fed to VAD/ASR."""


@dataclass(frozen=True, eq=False)
class Utterance:
    """One stretch of speech cut from the input stream by the VAD.

    ``audio``: float32 mono at 16 kHz, including the pre-roll before speech onset.
    ``start_s``/``end_s``: stream time of the first/last sample of ``audio`` (seconds since the
    segmenter started). ``cut``: True when speech went on past ``vad.max_utterance_s`` and was cut
    there; the rest of that speech follows as further utterances. ``ended_by``: what closed it
    ("silence", "turn_model" after a short pause judged finished, "long_silence" after one
    judged unfinished, "length_cap", "end_of_stream"). ``heard``: the transcript made when the
    turn was judged at a pause, when no speech came after it (the turn's ASR, done early).
    """

    audio: np.ndarray
    start_s: float
    end_s: float
    cut: bool = False
    ended_by: str = "silence"
    heard: Transcript | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / ASR_RATE_HZ


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard. ``text`` is "" when the audio held no usable speech (noise,
    hallucination); ``audio_s`` is the input length and ``asr_ms`` the wall time spent."""

    text: str
    lang: Lang
    audio_s: float
    asr_ms: float
    no_speech_prob: float


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    """Synthesised speech: float32 mono in [-1, 1] at ``rate_hz`` (Piper voices: 22050 Hz).

    Empty ``samples`` means "nothing to say aloud" (e.g. ``tts.ko_fallback = "none"``)."""

    samples: np.ndarray
    rate_hz: int
    text: str
    lang: Lang

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz if self.rate_hz else 0.0
