"""Where spoken questions lead: visitor text → a voice → room noise → Whisper → the engine.

`kiosk eval` scores answers to typed questions; this scores what the microphone side does to
them, at a given signal-to-noise ratio. English questions are spoken by Piper's joe (the
kiosk's own voice) and espeak-ng's en-us (robotic, far from anything Whisper learnt on); Korean
ones by two Kokoro voices through the kiosk's Korean pronunciation rules: jm_kumo (the kiosk's
own Korean voice) and jf_alpha (a female voice it never answers with). A miss that refuses is
a lost visitor; a wrong place sends one astray, so both are counted apart; and an answer in
another language than the question's is counted too.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk.audio.wavio import resample
from kiosk.config import Config
from kiosk.dialog.engine import DialogEngine
from kiosk.dialog.evaluate import numbered_lines
from kiosk.errors import KioskError
from kiosk.messages import ASR_RATE_HZ
from kiosk.pipeline import campus_hotwords
from kiosk.speech import kokoro
from kiosk.speech.asr import Transcriber
from kiosk.speech.tts import Speaker, espeak

VISITOR_SET = Path(__file__).resolve().parent / "data" / "visitor_questions.jsonl"
Voice = Literal["piper", "espeak", "kokoro:jm_kumo", "kokoro:jf_alpha"]
KOREAN_VOICES: tuple[Voice, ...] = ("kokoro:jm_kumo", "kokoro:jf_alpha")


class VisitorQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    lang: Literal["ko", "en"]
    code: str | None
    kind: str
    session: str | None = None


@dataclass(frozen=True)
class SpokenOutcome:
    question: VisitorQuestion
    voice: str
    heard: str
    places: tuple[str, ...]
    answer_lang: str = ""

    @property
    def verdict(self) -> Literal["right", "refused", "wrong"]:
        """right: the place (or, for a refusal item, no place); refused: no place for a place
        question; wrong: another place than the one asked about (or any for a refusal item)."""
        if self.question.kind == "refuse":
            return "wrong" if self.places else "right"
        if not self.places:
            return "refused"
        return "right" if self.places[0] == self.question.code else "wrong"


def load_questions(path: Path, langs: tuple[str, ...] = ("en", "ko")) -> list[VisitorQuestion]:
    """Questions in ``langs`` with a known answer (a place, or a refusal); ambiguous ones are
    left out."""
    out = []
    for number, line in numbered_lines(path):
        try:
            question = VisitorQuestion.model_validate_json(line)
        except ValidationError as error:
            raise KioskError(f"{path}:{number}: not a visitor question: "
                             f"{error.errors()[0]['msg']}") from error
        if question.lang in langs and (question.code or question.kind == "refuse"):
            out.append(question)
    return out


def available_voices() -> list[Voice]:
    """English: Piper, and espeak-ng where installed; Korean: the Kokoro voices."""
    english: list[Voice] = ["piper", "espeak"] if shutil.which("espeak-ng") else ["piper"]
    return [*english, *KOREAN_VOICES]


def voice_lang(voice: str) -> str:
    return "ko" if kokoro.is_kokoro(voice) else "en"


class Voices:
    """The voices the questions are spoken with, each loaded once."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._speaker = Speaker(config)
        self._kokoro: dict[str, kokoro.KokoroVoice] = {}

    def speak(self, text: str, voice: str) -> np.ndarray:
        if voice == "piper":
            speech = self._speaker.synthesize(text, "en")
            return resample(speech.samples, speech.rate_hz, ASR_RATE_HZ)
        if voice == "espeak":
            samples, rate_hz = espeak(text, "en-us", words_per_minute=150)
            return resample(samples, rate_hz, ASR_RATE_HZ)
        if voice not in self._kokoro:
            self._kokoro[voice] = kokoro.KokoroVoice(
                self._config.resolve(self._config.paths.models_dir), voice,
                threads=self._config.tts.threads)
        return resample(self._kokoro[voice].synthesize(text), kokoro.RATE_HZ, ASR_RATE_HZ)


def _with_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    power = float(np.mean(audio ** 2)) or 1e-9
    noise = rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), len(audio))
    return (audio + noise).astype(np.float32)


def evaluate_spoken(config: Config, questions: list[VisitorQuestion], voices: list[Voice],
                    snr_db: float = 20.0, seed: int = 0) -> list[SpokenOutcome]:
    """Every question in every voice of its language, through Whisper (language detected,
    campus prompt, as in the kiosk) and the engine (KB answers only: the place is decided
    before the model would run)."""
    no_model = config.without_llm()
    engine = DialogEngine(no_model)
    hotwords = campus_hotwords(engine)
    speakers, asr = Voices(config), Transcriber(config)
    rng = np.random.default_rng(seed)
    outcomes = []
    for voice in voices:
        for number, question in enumerate(questions):
            if question.lang != voice_lang(voice):
                continue
            audio = _with_noise(speakers.speak(question.text, voice), snr_db, rng)
            heard = asr.transcribe(audio, hotwords=hotwords).text
            session = f"{voice}-{question.session or number}"
            reply = engine.answer(heard, session)
            outcomes.append(SpokenOutcome(question, voice, heard, reply.places, reply.lang))
    return outcomes


def summarise(outcomes: list[SpokenOutcome]) -> dict[str, dict[str, int]]:
    """Per voice: how many questions; how many right, refused and wrong; and how many were
    answered in the question's language."""
    summary: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        counts = summary.setdefault(outcome.voice, {"questions": 0, "right": 0, "refused": 0,
                                                    "wrong": 0, "same_language": 0})
        counts["questions"] += 1
        counts[outcome.verdict] += 1
        counts["same_language"] += outcome.answer_lang == outcome.question.lang
    return summary


def format_report(outcomes: list[SpokenOutcome], snr_db: float) -> str:
    lines = [f"spoken visitor questions (noise at {snr_db:g} dB SNR, Whisper, KB answers)"]
    for voice, counts in summarise(outcomes).items():
        n = counts["questions"]
        lines.append(f"{voice_lang(voice)} {voice:15} right {counts['right']}/{n} "
                     f"({100 * counts['right'] / n:.0f} %), no place {counts['refused']}, "
                     f"wrong place {counts['wrong']}, answered in the question's language "
                     f"{counts['same_language']}/{n}")
    for outcome in outcomes:
        if outcome.verdict != "right" or outcome.answer_lang != outcome.question.lang:
            lines.append(f"  {outcome.voice} {outcome.verdict}: {outcome.question.text!r} heard "
                         f"{outcome.heard!r} -> {','.join(outcome.places[:3]) or '-'} "
                         f"(asked about {outcome.question.code or 'nothing'}, answered in "
                         f"{outcome.answer_lang or '-'})")
    return "\n".join(lines)


def as_json(outcomes: list[SpokenOutcome]) -> str:
    return json.dumps(summarise(outcomes))
