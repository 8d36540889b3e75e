"""Stand-ins for the models and devices, so the voice loop's error paths run without models and
without timing: the fakes wait on events, never on the clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from kiosk.campus.query import Act, Query
from kiosk.config import Config
from kiosk.dialog.engine import Reply
from kiosk.errors import AudioError
from kiosk.messages import ASR_RATE_HZ, SpeechAudio, Transcript
from kiosk.pipeline import VoiceLoop

SPEECH_BLOCKS = 40  # 1.3 s of "speech", then silence
BLOCK = 512


class LoudIsSpeech:
    """VAD stand-in: a frame is speech when it is loud."""

    def prob(self, frame: np.ndarray) -> float:
        return 0.95 if float(np.abs(frame).mean()) > 0.1 else 0.01

    def reset(self) -> None:
        pass


async def one_question(then_wait: asyncio.Event | None = None) -> AsyncIterator[np.ndarray]:
    """Speech, silence, then (with ``then_wait``) nothing more until the event is set.

    The "speech" is a loud 220 Hz tone: the echo canceller runs on every block and its
    high-pass filter takes a constant level out."""
    t = np.arange(SPEECH_BLOCKS * BLOCK) / ASR_RATE_HZ
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    for i in range(SPEECH_BLOCKS):
        yield tone[i * BLOCK:(i + 1) * BLOCK]
    for _ in range(60):
        yield np.zeros(BLOCK, np.float32)
    if then_wait is not None:
        await then_wait.wait()


class FakeAsr:
    def transcribe(self, audio: np.ndarray, **_kw: Any) -> Transcript:
        return Transcript("Where is Hanyang Plaza?", "en", len(audio) / ASR_RATE_HZ, 1.0, 0.0)


class FakeTts:
    def synthesize(self, text: str, lang: str, pace: float = 1.0) -> SpeechAudio:
        return SpeechAudio(np.full(16000, 0.1, np.float32), 16000, text, lang)  # type: ignore[arg-type]

    def active_korean_voice(self) -> str:
        return "english-answer"


class _Sessions:
    def __init__(self) -> None:
        self.truncated: list[str] = []

    def get(self, _session: str) -> _Sessions:
        return self

    def truncate_last(self, spoken: str) -> None:
        self.truncated.append(spoken)


class FakeEngine:
    """Says two sentences; or, with ``block``, waits for the loop's cancel event."""

    def __init__(self, block: bool = False) -> None:
        self.block = block
        self.started = threading.Event()
        self.saw_cancel: bool | None = None
        self.sessions = _Sessions()

    def understood(self, text: str, session: str) -> Query:
        return Query(text, "en", "en", Act.QUESTION)  # a question: never an aside

    def answer(self, text: str, session: str, on_sentence: Callable[[str], None] | None = None,
               cancel: threading.Event | None = None, *_args: Any, **_kwargs: Any) -> Reply:
        self.started.set()
        if self.block:
            assert cancel is not None
            self.saw_cancel = cancel.wait(60)  # a hang guard, not a timing
        sentences = ["Hanyang Plaza is building 105.", "It is on your left."]
        for sentence in sentences:
            if on_sentence:
                on_sentence(sentence)
        return Reply(" ".join(sentences), "en", ("105",), "template", "location")


class DeadSpeaker:
    """A sink whose device is gone: every play fails (a wrong output_device, sound server down)."""

    def __init__(self) -> None:
        self.stopped = False

    async def play(self, speech: SpeechAudio) -> float:
        raise AudioError("audio error: cannot open speaker 'nope': no such device")

    def stop(self) -> None:
        self.stopped = True


class GoodSpeaker:
    async def play(self, speech: SpeechAudio) -> float:
        return speech.duration_s

    def stop(self) -> None:
        pass


def voice_loop(config: Config, source: AsyncIterator[np.ndarray], sink: Any, engine: FakeEngine,
               **kwargs: Any) -> VoiceLoop:
    return VoiceLoop(config, source, sink, scorer=LoudIsSpeech(), transcriber=FakeAsr(),  # type: ignore[arg-type]
                     speaker=FakeTts(), engine=engine, **kwargs)  # type: ignore[arg-type]
