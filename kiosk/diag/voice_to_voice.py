"""Voice-to-voice: from the visitor's last word to the kiosk's first sound, on one audio clock.

TTFA starts when the segmenter hands an utterance on; the visitor has been waiting since the
last voiced sample of the question (the end-of-turn pause, then ASR, understanding, the first
sentence and its synthesis). This measures that whole wait: each spoken question goes through
the real voice loop in a simulated room (`kiosk.audio.room.Room`, paced in real time, no echo)
and the figure is the reply's playback start minus the question's last voiced sample, both in
audio seconds. Questions are spoken anew each run by the kiosk's own voices (Piper for
English, Kokoro jf_alpha for Korean: not the voice the kiosk answers with).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.audio.room import Room
from kiosk.diag.turns import quantile, speech_end_s
from kiosk.messages import ASR_RATE_HZ
from kiosk.pipeline import TurnRecord

log = logging.getLogger(__name__)

# Mixed kinds, both languages: one-fact answers (KB sentence first), model-phrased ones,
# two places, several asks, a refusal. Spoken, not typed: ASR is part of the wait.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("en", "Where is Hanyang Plaza?"),
    ("en", "How many minutes is it to Paiknam Library?"),
    ("en", "What is the building number of the Student Union?"),
    ("en", "How many floors does the Fusion Technology Center have?"),
    ("en", "What is next to the Main Building?"),
    ("en", "How do I get to the Olympic Gymnasium?"),
    ("en", "Which is closer, the museum or the library?"),
    ("en", "Where is Engineering Building 1, and how long is the walk?"),
    ("en", "What time does the library open?"),
    ("en", "Thank you!"),
    ("ko", "한양플라자 어디에 있어요?"),
    ("ko", "백남학술정보관까지 몇 분 걸려요?"),
    ("ko", "학생회관은 몇 번 건물이에요?"),
    ("ko", "퓨전테크센터는 몇 층이에요?"),
    ("ko", "본관 옆에는 뭐가 있어요?"),
    ("ko", "올림픽체육관은 어떻게 가요?"),
    ("ko", "박물관이랑 도서관 중에 어디가 더 가까워요?"),
    ("ko", "제1공학관 어디 있고 걸어서 몇 분이에요?"),
    ("ko", "도서관 몇 시에 열어요?"),
    ("ko", "고맙습니다!"),
)
_LEAD_S = 0.5


@dataclass(frozen=True)
class Measured:
    lang: str
    question: str
    heard: str
    source: str
    ended_by: str
    voice_to_voice_ms: float | None  # None: no reply was played
    timings_ms: dict[str, float]   # the turn's own stages (asr, ttfa, tts_first, ...)


def pick(count: int | None) -> tuple[tuple[str, str], ...]:
    """``count`` questions, half of each language (None: all of them)."""
    if count is None or count >= len(QUESTIONS):
        return QUESTIONS
    english = [q for q in QUESTIONS if q[0] == "en"]
    korean = [q for q in QUESTIONS if q[0] == "ko"]
    return tuple(english[:(count + 1) // 2] + korean[:count // 2])


def speak_questions(config: Any, questions: tuple[tuple[str, str], ...] = QUESTIONS
                    ) -> list[tuple[str, str, np.ndarray]]:
    """Each question as 16 kHz speech (English: Piper; Korean: Kokoro jf_alpha)."""
    from kiosk.dialog.spoken_eval import Voices

    voices = Voices(config)
    return [(lang, text, voices.speak(text, "piper" if lang == "en" else "kokoro:jf_alpha"))
            for lang, text in questions]


def measure_one(models: Any, lang: str, text: str, speech: np.ndarray) -> Measured:
    """One question in a quiet room; the session is reset so each is a first question."""
    models.engine.sessions.reset(models.config.pipeline.session_id)
    visitor = np.concatenate([np.zeros(int(_LEAD_S * ASR_RATE_HZ), np.float32), speech])
    room = Room(visitor, tail_s=2.0, echo_gain=0.0, stop_after_first_reply=True)
    loop = models.loop(room.blocks(), room)
    asyncio.run(loop.run())
    turn: TurnRecord | None = loop.turns[0] if loop.turns else None
    spoken_end_s = _LEAD_S + speech_end_s(speech)
    start_s = room.playbacks[0].start_s if room.playbacks else None
    return Measured(lang, text, turn.transcript if turn else "", turn.source if turn else "",
                    turn.ended_by if turn else "",
                    round((start_s - spoken_end_s) * 1000, 0) if start_s is not None else None,
                    {k: round(v, 1) for k, v in (turn.timings_ms if turn else {}).items()})


def measure(models: Any, runs: int, progress: Callable[[str], None],
            count: int | None = None) -> dict[str, Any]:
    """``count`` questions (all by default) ``runs`` times, spoken once: p50/p95 overall, per
    language and per answer source, and every row."""
    spoken = speak_questions(models.config, pick(count))
    rows: list[Measured] = []
    for run in range(runs):
        for lang, text, speech in spoken:
            row = measure_one(models, lang, text, speech)
            rows.append(row)
            progress(f"voice_to_voice run={run} lang={lang} source={row.source or '-'} "
                     f"ended_by={row.ended_by or '-'} ms={row.voice_to_voice_ms}")
    return {
        "questions": len(spoken), "runs": runs,
        "all": _spread(rows),
        "by_lang": {lang: _spread([r for r in rows if r.lang == lang]) for lang in ("en", "ko")},
        "by_source": {source: _spread([r for r in rows if r.source == source])
                      for source in sorted({r.source for r in rows if r.source})},
        "unanswered": sum(r.voice_to_voice_ms is None for r in rows),
        "rows": [r.__dict__ for r in rows],
    }


def _spread(rows: list[Measured]) -> dict[str, float | int | None]:
    values = sorted(r.voice_to_voice_ms for r in rows if r.voice_to_voice_ms is not None)
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {"n": len(values), "p50_ms": quantile(values, 0.5), "p95_ms": quantile(values, 0.95)}
