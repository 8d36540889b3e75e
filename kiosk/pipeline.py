"""The voice loop: audio in → VAD → ASR → dialog → TTS → audio out, in one asyncio process.

Two tasks share the loop:
- `_listen` reads microphone (or WAV) blocks, removes the kiosk's own voice (echo canceller or
  gate), runs the VAD segmenter in a worker thread, queues finished utterances, and stops the
  current reply when the visitor talks over it (barge-in);
- `_respond` takes utterances one by one: ASR in a thread, then a turn in which the dialog
  engine (a thread) hands each checked sentence to TTS (a thread) while the previous sentence
  plays, so the first audio goes out before the answer is complete.
Blocking model calls never run on the loop itself, so the status socket and the watchdog stay
responsive. A turn cut by barge-in keeps only what was actually spoken in the history.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from kiosk.audio.canceller import Canceller, voice_loop_canceller
from kiosk.audio.wavio import resample
from kiosk.campus import retrieval
from kiosk.campus.query import Act, Query
from kiosk.campus.retrieval import detect_language
from kiosk.config import Config
from kiosk.dialog.engine import DialogEngine, Reply
from kiosk.errors import AudioError, KioskError, one_line
from kiosk.governor import release_memory
from kiosk.messages import ASR_RATE_HZ, SpeechAudio, Transcript, Utterance
from kiosk.speech.tts import Speaker
from kiosk.speech.turn import CompletionModel, TurnTaker
from kiosk.speech.vad import FRAME_S, FrameScorer, UtteranceSegmenter

log = logging.getLogger(__name__)
MAX_KEPT_TURNS = 1000
"""Turns kept in memory for callers (file runs, tests); a daemon runs for months."""


class Sink(Protocol):
    async def play(self, speech: SpeechAudio) -> float: ...

    def stop(self) -> None: ...


class SpeechToText(Protocol):
    """What the loop asks of ASR: the `Transcriber`, or a stand-in that knows the words (the
    benchmark's Korean text path, the soak test)."""

    def transcribe(self, audio: np.ndarray, *, hotwords: str | None = None) -> Transcript: ...


@dataclass
class TurnRecord:
    """One visitor turn as it happened, for logs, status and `kiosk ask --audio`."""

    transcript: str
    lang: str
    utterance_start_s: float
    utterance_end_s: float
    cut: bool
    answer: str = ""
    spoken: str = ""
    source: str = ""
    places: tuple[str, ...] = ()
    interrupted: bool = False
    resumed: bool = False  # cut by a nod or a noise, then spoken on to its end (`_go_on`)
    timings_ms: dict[str, float] = field(default_factory=dict)
    ended_by: str = "silence"  # what closed the utterance (see `Utterance.ended_by`)

    def as_json(self) -> dict[str, object]:
        return {"transcript": self.transcript, "lang": self.lang, "answer": self.answer,
                "spoken": self.spoken, "source": self.source, "places": list(self.places),
                "interrupted": self.interrupted, "resumed": self.resumed, "cut": self.cut,
                "ended_by": self.ended_by,
                "utterance_s": [round(self.utterance_start_s, 2), round(self.utterance_end_s, 2)],
                "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}}


ASIDE_ACTS = frozenset({Act.ACKNOWLEDGE, Act.OFF_TOPIC, Act.NOTHING})
ASIDE_MAX_WORDS = 2


def is_aside(query: Query) -> bool:
    """Whether what was heard over a reply is no turn: a nod ("네, 네", "uh huh"), a filler, or
    a word or two the recogniser made of a noise or of the reply's own residual ("Hydra",
    "생활", "대학": self-triggered turns in the simulated hall) that asks about nothing and is
    not said as a question. The reply goes on instead. A question, even one about a place the
    kiosk does not know ("Where is Starbucks?", "스타벅스 어디예요"), "stop", "thanks" or "say
    that again" is a turn as ever."""
    if query.act in ASIDE_ACTS:
        return True
    return (query.act is Act.QUESTION and not query.asks and "?" not in query.text
            and len(query.text.split()) <= ASIDE_MAX_WORDS
            and not retrieval.intents_in(query.text))


@dataclass
class Spoken:
    """How far a reply got: the sentences heard whole, and those not heard (the one barge-in
    cut, then the rest) that the reply can go on with."""

    heard: list[str] = field(default_factory=list)
    unheard: list[str] = field(default_factory=list)


@dataclass
class CutReply:
    """A reply cut by barge-in, kept until the next turn in case the barge-in was an aside."""

    record: TurnRecord
    spoken: Spoken


class OnsetTracker:
    """Wraps the VAD scorer to know how long the current run of speech frames is, and the
    last few frames' speech probabilities (for the barge-in rule)."""

    def __init__(self, scorer: FrameScorer, threshold: float, keep: int = 32) -> None:
        self._scorer = scorer
        self._threshold = threshold
        self.run_frames = 0
        self.recent: deque[float] = deque(maxlen=keep)

    def prob(self, frame: np.ndarray) -> float:
        p = self._scorer.prob(frame)
        self.run_frames = self.run_frames + 1 if p >= self._threshold else 0
        self.recent.append(p)
        return p

    def reset(self) -> None:
        self._scorer.reset()
        self.run_frames = 0
        self.recent.clear()


class BargeInRule:
    """A visitor talks over the reply when `speech_ms` of the last `window_ms` scored at least
    `threshold` as speech, on what the echo canceller left.

    Why not a run of consecutive speech frames (the rule until now, 160 ms at 0.5): AEC3's
    suppressor ducks a visitor under a loud echo, so Silero's score dips for a frame or two
    inside their first words and the run starts again. Chosen in the simulated halls on one
    set of replies and visitors and checked on another (docs/echo.md): 4 of 7 frames at 0.4
    stopped the reply within 300 ms of the visitor's first word in 56 % of tries (the run: 27 %)
    and interrupted the kiosk's own voice in 1 reply of 180 (the run: none).
    """

    def __init__(self, speech_ms: int, window_ms: int, threshold: float) -> None:
        self._need = max(1, round(speech_ms / 1000 / FRAME_S))
        self._window = max(self._need, round(window_ms / 1000 / FRAME_S))
        self._threshold = threshold

    def heard(self, onset: OnsetTracker) -> bool:
        last = list(onset.recent)[-self._window:]
        return sum(p >= self._threshold for p in last) >= self._need


class VoiceLoop:
    """Runs until the source ends (WAV) or the task is cancelled (daemon shutdown)."""

    def __init__(self, config: Config, source: AsyncIterable[np.ndarray], sink: Sink, *,
                 scorer: FrameScorer, transcriber: SpeechToText, speaker: Speaker,
                 engine: DialogEngine, hotwords: str | None = None,
                 on_turn: Callable[[TurnRecord], None] | None = None,
                 on_state: Callable[[str], None] | None = None,
                 acquire: Callable[[str], None] | None = None,
                 streaming: bool = True,
                 on_error: Callable[[str, str], None] | None = None,
                 on_health: Callable[[str, bool, str], None] | None = None,
                 turn_model: CompletionModel | None = None) -> None:
        """`acquire(model)` runs in the worker thread before "asr", "llm" or "tts" is used (the
        memory governor loads it there); `streaming=False` waits for the whole answer and its
        whole audio before playing (the one-stage-after-another baseline for the benchmark);
        `turn_model` (Smart Turn) lets a short pause end a finished question
        (`kiosk.speech.turn.TurnTaker`)."""
        self._config = config
        self._source = source
        self._sink = sink
        self._onset = OnsetTracker(scorer, config.vad.start_threshold)
        judge = None if turn_model is None else TurnTaker(
            turn_model, self._transcribe_audio, config.vad.turn_threshold,
            config.vad.turn_early_langs)
        self._segmenter = UtteranceSegmenter(self._onset, config.vad, judge)
        self._barge_rule = BargeInRule(config.pipeline.barge_in_ms,
                                       config.pipeline.barge_in_window_ms,
                                       config.pipeline.barge_in_threshold)
        self._asr = transcriber
        self._tts = speaker
        self._engine = engine
        self._hotwords = hotwords
        self._on_turn = on_turn or (lambda record: None)
        self._on_state = on_state or (lambda state: None)
        self._acquire = acquire or (lambda model: None)
        self._on_error = on_error or (lambda kind, message: None)
        self._on_health = on_health or (lambda part, ok, detail: None)
        self._streaming = streaming
        pipe = config.pipeline
        # The gate never cleans a block: it keeps the canceller for its timeline and its
        # own-words check only, without Speex's filter.
        self.echo: Canceller = voice_loop_canceller(
            pipe.echo_linear_ms if pipe.echo_mode == "cancel" else 0, pipe.echo_max_lag_ms,
            pipe.echo_tail_ms)
        self._cleans = pipe.echo_mode == "cancel"
        self._reply_heard_until = -1  # mic sample up to which a reply could last be heard
        self._utterances: asyncio.Queue[tuple[Utterance, float] | None] = asyncio.Queue()
        self._mic_samples = 0
        self._speaking = False
        self._turn: asyncio.Task[object] | None = None
        self._cut: CutReply | None = None  # the last reply, when barge-in cut it
        self._cancel_answer = threading.Event()
        self._synthesising = threading.Event()  # set while a sentence is being synthesised
        self._pace = 1.0  # length-scale factor of the reply being spoken ("slower please")
        self.turns: deque[TurnRecord] = deque(maxlen=MAX_KEPT_TURNS)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen(), name="listen")
            group.create_task(self._respond(), name="respond")

    # -- listening ---------------------------------------------------------------------------
    async def _listen(self) -> None:
        try:
            async for block in self._source:
                await self._hear(block)
            for utterance in self._segmenter.flush():
                self._utterances.put_nowait((utterance, time.perf_counter()))
        finally:
            self._utterances.put_nowait(None)

    async def _hear(self, block: np.ndarray) -> None:
        position = self._mic_samples
        self._mic_samples += len(block)
        if self._speaking or self.echo.active(position):  # a reply can be heard
            self._reply_heard_until = self._mic_samples
            if not self._cleans:  # the gate
                block = np.zeros_like(block)
        if self._cleans:
            # Every block, reply or not: the canceller's output is a fixed `delay_samples`
            # behind the microphone, and a stream that switched between cleaned and raw
            # would skip or repeat those samples at each switch.
            block = self.echo.clean(block, position)
        utterances = await asyncio.to_thread(lambda: list(self._segmenter.feed(block)))
        now = time.perf_counter()
        for utterance in utterances:
            self._utterances.put_nowait((utterance, now))
        if (self._speaking and self._config.pipeline.barge_in
                and self._barge_rule.heard(self._onset)):
            self._barge_in(position)

    def _barge_in(self, position: int) -> None:
        if self._turn is None or self._turn.done() or self._cancel_answer.is_set():
            return
        log.info("event=barge_in audio_s=%.2f", position / ASR_RATE_HZ)
        self._cancel_answer.set()
        self._sink.stop()

    # -- responding --------------------------------------------------------------------------
    async def _respond(self) -> None:
        while (item := await self._utterances.get()) is not None:
            utterance, heard_at = item
            transcript = utterance.heard  # the turn's ASR, when it was done early at a pause
            if transcript is None:
                try:
                    transcript = await asyncio.to_thread(self._transcribe, utterance)
                except KioskError as error:
                    log.error("event=asr_error error=%s", error)
                    self._on_error("asr", str(error))
                    continue
            late_s = self.echo.delay_samples / ASR_RATE_HZ if self._cleans else 0.0
            began = int((utterance.start_s - late_s) * ASR_RATE_HZ)
            over_reply = began < self._reply_heard_until
            if not transcript.text:  # a noise Whisper wrote nothing for
                if over_reply:
                    await self._go_on()
                continue
            if self.echo.is_own_words(transcript.text, during_reply=over_reply):
                log.info("event=echo_dropped chars=%d", len(transcript.text))
                await self._go_on()
                continue
            if over_reply and is_aside(heard := self._engine.understood(
                    transcript.text, self._config.pipeline.session_id)):
                log.info("event=aside_dropped act=%s chars=%d", heard.act, len(transcript.text))
                await self._go_on()
                continue
            self._cut = None  # a new turn: the cut reply stays cut
            record = TurnRecord(transcript.text, transcript.lang, utterance.start_s - late_s,
                                utterance.end_s - late_s, utterance.cut,
                                ended_by=utterance.ended_by)
            record.timings_ms["asr"] = transcript.asr_ms
            await self._run_turn(self._answer(record, heard_at))
            # Hand the turn's freed heap back to the OS (11 ms): months of turns of every
            # size otherwise leave glibc's arenas fragmented and the RSS creeping up.
            await asyncio.to_thread(release_memory)
            self.turns.append(record)
            try:
                self._on_turn(record)
            except Exception as error:  # a reporting hook (stdout on a full disk) is not a turn
                log.error("event=turn_report_error error=%s", one_line(error))

    async def _run_turn(self, turn: Coroutine[object, object, object]) -> object:
        """Run one reply as the current turn (barge-in can stop it); its errors are logged,
        never raised: one bad turn never ends the loop."""
        self._turn = asyncio.create_task(turn)
        try:
            return await self._turn
        except* Exception as errors:
            for failure in _leaves(errors):
                log.error("event=turn_error error=%s", one_line(failure))
                self._on_error(type(failure).__name__, str(failure))
        finally:
            self._speaking = False
            self._on_state("listening")
        return None

    async def _go_on(self) -> None:
        """Go on with the reply an aside cut, from the start of the sentence it cut (the
        visitor hears the rest of the answer, as from a person who paused at an "uh huh");
        the history then keeps every sentence heard."""
        cut, self._cut = self._cut, None
        if cut is None:
            return
        log.info("event=reply_resumed sentences=%d", len(cut.spoken.unheard))
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        for sentence in (*cut.spoken.unheard, None):
            sentences.put_nowait(sentence)
        self._cancel_answer.clear()
        rest = TurnRecord("", cut.record.lang, 0.0, 0.0, False)
        spoken = await self._run_turn(self._speak(sentences, rest, time.perf_counter()))
        if not isinstance(spoken, Spoken):  # the turn failed, logged: the reply stays cut
            return
        record = cut.record
        record.resumed, record.interrupted = True, rest.interrupted
        record.spoken = " ".join(s for s in (*cut.spoken.heard, rest.spoken) if s)
        self._engine.sessions.get(self._config.pipeline.session_id).truncate_last(
            record.spoken)
        if rest.interrupted and spoken.unheard:
            self._cut = CutReply(record, Spoken([*cut.spoken.heard, *spoken.heard],
                                                spoken.unheard))

    def _transcribe(self, utterance: Utterance) -> Transcript:
        self._on_state("thinking")
        return self._transcribe_audio(utterance.audio)

    def _transcribe_audio(self, audio: np.ndarray) -> Transcript:
        """Whisper on ``audio`` through the governor; called as is at a short pause, in the
        segmenter's thread (the words so far, for the turn judge, and the turn's transcript
        if the visitor says no more)."""
        self._acquire("asr")
        return self._asr.transcribe(audio, hotwords=self._hotwords)

    def _reply(self, text: str, on_sentence: Callable[[str], None],
               on_english: Callable[[str], None] | None) -> Reply:
        if self._config.llm.enabled:
            self._acquire("llm")
        self._pace = 1.0
        return self._engine.answer(text, self._config.pipeline.session_id, on_sentence,
                                   self._cancel_answer, on_english, self._synthesising,
                                   on_pace=self._set_pace)

    def _set_pace(self, pace: float) -> None:
        self._pace = pace

    def _synthesise(self, sentence: str) -> SpeechAudio:
        """Speech for one sentence; the model pauses meanwhile (the words to be heard first)."""
        self._acquire("tts")
        self._synthesising.set()
        try:
            return self._tts.synthesize(sentence, detect_language(sentence), pace=self._pace)
        finally:
            self._synthesising.clear()

    async def _answer(self, record: TurnRecord, heard_at: float) -> None:
        """Generate, synthesise and play one reply, sentence by sentence."""
        loop = asyncio.get_running_loop()
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        held: list[str] = []
        self._cancel_answer.clear()
        session = self._config.pipeline.session_id
        # No Korean voice: a Korean answer is spoken in its English version (see tts.py).
        english_for_korean = self._tts.active_korean_voice() == "english-answer"

        def speak(sentence: str) -> None:
            if self._streaming:
                loop.call_soon_threadsafe(sentences.put_nowait, sentence)
            else:
                held.append(sentence)

        def on_sentence(sentence: str) -> None:
            if not (english_for_korean and detect_language(sentence) == "ko"):
                speak(sentence)

        async def generate() -> Reply:
            try:
                return await asyncio.to_thread(self._reply, record.transcript, on_sentence,
                                               speak if english_for_korean else None)
            finally:
                for sentence in held:
                    sentences.put_nowait(sentence)
                loop.call_soon_threadsafe(sentences.put_nowait, None)

        try:
            async with asyncio.TaskGroup() as group:
                reply_task = group.create_task(generate())
                speak_task = group.create_task(self._speak(sentences, record, heard_at))
        except asyncio.CancelledError:
            # Shutdown: stop the model after its current token. Cancelling the task does not
            # stop the worker thread, and the process waited for it (SIGTERM took 7.3 s,
            # bounded only by llm.timeout_s, which equals systemd's TimeoutStopSec).
            self._cancel_answer.set()
            self._sink.stop()
            raise
        reply = reply_task.result()
        record.answer, record.source, record.places = reply.answer, reply.source, reply.places
        record.timings_ms.update({f"dialog_{k}": v for k, v in reply.timings_ms.items()})
        record.timings_ms["turn"] = (time.perf_counter() - heard_at) * 1000
        if record.interrupted:
            self._engine.sessions.get(session).truncate_last(record.spoken)
            spoken = speak_task.result()
            self._cut = CutReply(record, spoken) if spoken.unheard else None

    async def _speak(self, sentences: asyncio.Queue[str | None], record: TurnRecord,
                     heard_at: float) -> Spoken:
        """Synthesise the next sentence while the current one plays; what was heard."""
        audio: asyncio.Queue[SpeechAudio | None] = asyncio.Queue(
            maxsize=2 if self._streaming else 0)
        all_synthesised = asyncio.Event()
        unsynthesised: list[str] = []  # checked sentences skipped after barge-in
        result = Spoken()

        async def synthesise() -> None:
            try:
                while (sentence := await sentences.get()) is not None:
                    if self._cancel_answer.is_set():
                        unsynthesised.append(sentence)
                        continue
                    started = time.perf_counter()
                    speech = await asyncio.to_thread(self._synthesise, sentence)
                    record.timings_ms.setdefault("tts_first", (time.perf_counter() - started)
                                                 * 1000)
                    await audio.put(speech)
            finally:
                await audio.put(None)
                all_synthesised.set()

        async def play() -> None:
            spoken: list[str] = []
            if not self._streaming:
                await all_synthesised.wait()
            while (speech := await audio.get()) is not None:
                if self._cancel_answer.is_set():
                    result.unheard.append(speech.text)
                    continue
                record.timings_ms.setdefault("ttfa", (time.perf_counter() - heard_at) * 1000)
                self.echo.played(resample(speech.samples, speech.rate_hz, ASR_RATE_HZ),
                                 self._mic_samples)
                self.echo.said(speech.text)
                self._speaking = True
                self._on_state("speaking")
                try:
                    played_s = await self._sink.play(speech)
                except AudioError as error:
                    # The visitor heard (at most) part of this and nothing after it: counted,
                    # reported as "cannot speak", and the turn is cut to what was played.
                    log.error("event=playback_error error=%s", one_line(error))
                    self._on_error("playback", str(error))
                    self._on_health("output", False, one_line(error))
                    self._cancel_answer.set()
                    played_s = float(getattr(self._sink, "played_s", 0.0) or 0.0)
                else:
                    self._on_health("output", True, "")
                if self._cancel_answer.is_set():  # barge-in: keep draining, play no more
                    self.echo.stopped(self._mic_samples)
                    record.interrupted = True
                    spoken.append(_heard_part(speech.text, played_s, speech.duration_s))
                    result.unheard.append(speech.text)
                    continue
                spoken.append(speech.text)
                result.heard.append(speech.text)
            record.spoken = " ".join(s for s in spoken if s)

        async with asyncio.TaskGroup() as group:
            group.create_task(synthesise())
            group.create_task(play())
        result.unheard.extend(unsynthesised)
        return result


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The real errors inside nested task-group exception groups."""
    found: list[BaseException] = []
    for error in group.exceptions:
        found.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return found


def _heard_part(text: str, played_s: float, duration_s: float) -> str:
    """The words of `text` that were spoken in `played_s` of `duration_s`."""
    words = text.split()
    if duration_s <= 0:
        return ""
    return " ".join(words[: int(len(words) * min(1.0, played_s / duration_s))])


def campus_hotwords(engine: DialogEngine) -> str:
    """Place names that Whisper should prefer, Korean then English; the transcriber keeps
    those of the language it hears, kept short (``asr.prompt_for``)."""
    names = [p.name(lang) for lang in ("ko", "en") for p in engine.kb.places]
    return ", ".join(dict.fromkeys(names))
