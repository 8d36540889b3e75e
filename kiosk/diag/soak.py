"""`kiosk bench --soak N`: many turns through one voice loop, watching memory and failures.

A kiosk runs for weeks; a leak of 1 MB a turn or one crash in a thousand turns is what ends
it. The soak drives N scripted turns through ONE `VoiceLoop` with the real models (as the
daemon does): spoken English fixtures go through VAD and Whisper, text questions (Korean and
English) ride on a fixture's audio with the transcript replaced (there is no Korean spoken
fixture). The source is paced by the loop itself (the next question is "spoken" only when the
previous turn ended), so nothing queues up. The visitor changes every few turns (the session is
reset) so history grows and is dropped as in real use.

Reported: RSS after the warm-up turns vs at the end (medians over one script cycle; growth,
target ≤ 5 %) and its trend per 100 turns, failed turns (no answer, no audio, or not the
expected building; target 0) and turns per minute.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.audio.canceller import Canceller
from kiosk.audio.sources import WavSource
from kiosk.config import Config
from kiosk.diag.bench import DATA_DIR, NullSink
from kiosk.governor import max_rss_mb, rss_mb
from kiosk.messages import ASR_RATE_HZ, Lang, Transcript
from kiosk.pipeline import TurnRecord, VoiceLoop

log = logging.getLogger(__name__)

PROGRESS_EVERY = 50
VISITOR_TURNS = 4
"""A new visitor (fresh session) every this many turns."""
TURN_TIMEOUT_S = 120.0
"""A turn that has not finished by then counts as failed and the soak goes on."""
GAP_S = 0.8
"""Silence after each question, longer than `vad.end_silence_ms`, so every utterance closes."""


@dataclass(frozen=True)
class ScriptItem:
    wav: str
    text: str | None
    lang: Lang
    place: str
    """Building code the answer must be about (retrieval is deterministic on these inputs)."""


SPOKEN_WHERE = "where_is_hanyang_plaza.wav"
SPOKEN_HOW_LONG = "how_long_to_paiknam_library.wav"
CARRIER = SPOKEN_WHERE
SCRIPT = (
    ScriptItem(SPOKEN_WHERE, None, "en", "105"),
    ScriptItem(CARRIER, "경영관 어딨어?", "ko", "706"),
    ScriptItem(CARRIER, "is the olympic gym far from here", "en", "306"),
    ScriptItem(CARRIER, "퓨전테크센터 걸어서 몇분?", "ko", "208"),
    ScriptItem(CARRIER, "What's the building number for the Student Union?", "en", "107"),
    ScriptItem(CARRIER, "IT/BT관 어떻게 가요?", "ko", "305"),
    ScriptItem(CARRIER, "Can you tell me the way to the museum?", "en", "109"),
    ScriptItem(CARRIER, "국제관 가는 방법 알려줘", "ko", "108"),
    ScriptItem(SPOKEN_HOW_LONG, None, "en", "501"),
    ScriptItem(CARRIER, "저기요 한양플라자 어디로 가면 돼요?", "ko", "105"),
    ScriptItem(CARRIER, "where is the business school", "en", "706"),
    ScriptItem(CARRIER, "학생회관 몇번 건물이에요?", "ko", "107"),
    ScriptItem(CARRIER, "how many minutes to HIT", "en", "701"),
    ScriptItem(CARRIER, "올림픽 체육관 여기서 멀어요?", "ko", "306"),
    ScriptItem(CARRIER, "what kind of building is History Hall", "en", "101"),
    ScriptItem(CARRIER, "백남학술정보관 가려면 얼마나 걸려요", "ko", "501"),
)
"""Spoken and text questions (text from the held-out evaluation set), alternating languages,
cycled. 2 of 16 go through Whisper (the slowest stage here) to keep 500 turns near 20 minutes
on the 2-core dev VM. Sixteen distinct questions, because the voice loop drops a transcript
made of words the kiosk said in the last 30 s (wall clock) as its own echo: the soak runs
turns back to back, so a shorter cycle would repeat a question inside that window."""


class ScriptedTranscriber:
    """Real Whisper for spoken items; the scripted text for text items.

    It also notes when the voice loop will drop the transcript without a turn (nothing heard,
    or the echo check's "these are the kiosk's own words"), so the soak counts that question
    as failed at once instead of waiting for a turn that never comes.
    """

    def __init__(self, asr: Any) -> None:
        self._asr = asr
        self.current: ScriptItem = SCRIPT[0]
        self.echo: Canceller | None = None
        self.lost: list[str] = []

    def transcribe(self, audio: np.ndarray, language: Lang | None = None,
                   hotwords: str | None = None) -> Transcript:
        item = self.current
        if item.text is None:
            transcript = self._asr.transcribe(audio, language=language, hotwords=hotwords)
        else:
            transcript = Transcript(item.text, item.lang, len(audio) / ASR_RATE_HZ, 0.0, 0.0)
        if not transcript.text:
            self.lost.append("nothing heard")
        elif self.echo is not None and self.echo.is_own_words(transcript.text):
            self.lost.append(f"dropped as the kiosk's own words: {transcript.text[:60]!r}")
        return transcript


class Soak:
    """Feeds the script into one voice loop, one question at a time."""

    def __init__(self, models: Any, turns: int, progress: Callable[[str], None]) -> None:
        self.models = models
        self.turns = turns
        self.progress = progress
        self.transcriber = ScriptedTranscriber(models.asr)
        self.sink = NullSink()
        self.done = asyncio.Event()
        self.records: list[tuple[ScriptItem, TurnRecord]] = []
        self.failures: list[str] = []
        self.unanswered = 0
        """Questions that never became a turn (nothing heard, or no answer in time)."""
        self.rss_samples: list[float] = []
        """RSS after each turn, from the end of the warm-up on."""
        self.warmup = max(1, min(50, turns // 10))
        self._audio = {item.wav: WavSource(DATA_DIR / item.wav).samples for item in SCRIPT}
        self._gap = np.zeros(int(GAP_S * ASR_RATE_HZ), np.float32)
        self._started = time.perf_counter()

    def on_turn(self, record: TurnRecord) -> None:
        item = self.transcriber.current
        self.records.append((item, record))
        problem = ("no answer" if not record.answer else
                   "no audio" if "ttfa" not in record.timings_ms else
                   f"places {record.places} not {item.place}" if item.place not in record.places
                   else "")
        if problem:
            self._fail(f"turn {len(self.records)} {item.lang} {item.text or item.wav}: "
                       f"{problem} (heard {record.transcript[:80]!r}, {record.source})")
        self.done.set()

    async def blocks(self) -> AsyncIterator[np.ndarray]:
        block = self.models.config.audio.block_ms * ASR_RATE_HZ // 1000
        session = self.models.config.pipeline.session_id
        for index, item in zip(range(self.turns), itertools.cycle(SCRIPT), strict=False):
            if index % VISITOR_TURNS == 0:
                self.models.engine.sessions.reset(session)
            self.transcriber.current = item
            self.done.clear()
            lost_before = len(self.transcriber.lost)
            played_before = self.sink.seconds
            audio = np.concatenate([self._audio[item.wav], self._gap])
            for offset in range(0, len(audio), block):
                yield audio[offset:offset + block]
            await self._wait_for_turn(index, lost_before)
            # The visitor listens to the reply before asking again: the sink plays instantly,
            # but on the microphone's clock the reply lasts its length, and the echo canceller
            # expects it there; a question "spoken" over it would be cancelled as echo.
            listen_s = self.sink.seconds - played_before + GAP_S
            silence = np.zeros(int(listen_s * ASR_RATE_HZ), np.float32)
            for offset in range(0, len(silence), block):
                yield silence[offset:offset + block]
            self._checkpoint(index + 1)

    async def _wait_for_turn(self, index: int, lost_before: int) -> None:
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while not self.done.is_set():
            if len(self.transcriber.lost) > lost_before:
                self._fail(f"turn {index + 1} {self.transcriber.current.lang}: "
                           f"{self.transcriber.lost[-1]}")
                self.unanswered += 1
                return
            if time.monotonic() > deadline:
                self._fail(f"turn {index + 1}: no answer within {TURN_TIMEOUT_S:g} s")
                self.unanswered += 1
                return
            await asyncio.sleep(0.02)

    def _fail(self, line: str) -> None:
        self.failures.append(line)
        self.progress(f"soak failed: {line}")

    def _checkpoint(self, finished: int) -> None:
        if finished >= self.warmup:
            self.rss_samples.append(rss_mb())
        if finished % PROGRESS_EVERY == 0 or finished == self.turns:
            minutes = (time.perf_counter() - self._started) / 60
            self.progress(f"soak {finished}/{self.turns} rss_mb={rss_mb():.0f} "
                          f"failed={len(self.failures)} turns_per_min={finished / minutes:.1f}")

    async def run(self) -> None:
        loop = VoiceLoop(self.models.config, self.blocks(), self.sink, scorer=self.models.vad,
                         transcriber=self.transcriber,
                         speaker=self.models.tts, engine=self.models.engine,
                         hotwords=self.models.hotwords, on_turn=self.on_turn,
                         acquire=self.models.governor.acquire)
        self.transcriber.echo = loop.echo
        await loop.run()


def rss_trend(samples: list[float], window: int) -> dict[str, float | None]:
    """Memory growth from per-turn RSS samples taken after the warm-up.

    One sample swings by tens of MB from turn to turn (allocator arenas, the LLM's buffers), so
    the start and the end are each the median over one script cycle (`window` turns), and the
    least-squares slope over all samples says whether memory keeps climbing (a leak) or
    settles (a plateau).
    """
    window = min(window, len(samples) // 2)
    if window < 1:
        return {"rss_warm_mb": None, "rss_end_mb": None, "growth": None,
                "rss_slope_mb_per_100_turns": None,
                "rss_slope_second_half_mb_per_100_turns": None}
    warm = statistics.median(samples[:window])
    end = statistics.median(samples[-window:])
    later = samples[len(samples) // 2:]
    return {"rss_warm_mb": round(warm, 1), "rss_end_mb": round(end, 1),
            "growth": round(end / warm - 1, 4),
            "rss_slope_mb_per_100_turns": round(_slope(samples) * 100, 2),
            "rss_slope_second_half_mb_per_100_turns": round(_slope(later) * 100, 2)}


def _slope(samples: list[float]) -> float:
    """Least-squares MB per turn."""
    if len(samples) < 2:
        return 0.0
    turns = np.arange(len(samples), dtype=np.float64)
    return float(np.polyfit(turns, np.asarray(samples, dtype=np.float64), 1)[0])


def run_soak(config: Config, turns: int, progress: Callable[[str], None] | None = None
             ) -> dict[str, Any]:
    """N scripted turns; the figures `kiosk bench --soak N` prints."""
    from kiosk.daemon import Models

    say = progress or (lambda line: log.info("event=soak %s", line))
    models = Models(config)
    models.preload()
    soak = Soak(models, turns, say)
    started = time.perf_counter()
    error = ""
    try:
        asyncio.run(soak.run())
    except Exception as failure:  # report a crashed loop as a result, not a traceback
        error = f"{type(failure).__name__}: {failure}"
        log.error("event=soak_crashed error=%s", error)
    elapsed = time.perf_counter() - started
    memory = rss_trend(soak.rss_samples, len(SCRIPT))
    not_run = max(0, turns - len(soak.records) - soak.unanswered)  # after a crash
    failed = len(soak.failures) + not_run
    return {
        "turns": turns, "completed": len(soak.records), "failed": failed,
        "failures": soak.failures[:20], "crash": error or None,
        "warmup_turns": soak.warmup, **memory,
        "peak_rss_mb": round(max_rss_mb(), 1),
        "turns_per_min": round(len(soak.records) / (elapsed / 60), 1) if elapsed else None,
        "elapsed_s": round(elapsed, 1),
        "sources": dict(Counter(r.source for _, r in soak.records)),
        "governor": models.governor.state(),
    }


def format_soak(result: dict[str, Any]) -> str:
    growth = result["growth"]
    return "\n".join([
        f"soak: {result['completed']}/{result['turns']} turns in {result['elapsed_s']:.0f} s "
        f"({result['turns_per_min']} turns/min), failed {result['failed']} (target 0)"
        + (f", CRASHED: {result['crash']}" if result["crash"] else ""),
        f"rss after {result['warmup_turns']} warm-up turns {result['rss_warm_mb']} MB, at the end "
        f"{result['rss_end_mb']} MB (medians over one script cycle): growth "
        + (f"{growth * 100:.1f} % (target ≤ 5 %)" if growth is not None else "n/a")
        + f", trend {result['rss_slope_mb_per_100_turns']} MB per 100 turns "
        f"({result['rss_slope_second_half_mb_per_100_turns']} in the second half)"
        + f", peak {result['peak_rss_mb']} MB",
        "sources: " + ", ".join(f"{k} {v}" for k, v in sorted(result["sources"].items())),
        *[f"  failed: {line}" for line in result["failures"][:10]],
    ])

