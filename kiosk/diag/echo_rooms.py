"""Full duplex in simulated halls, over many replies: `kiosk bench`'s `echo.rooms`.

For every simulated hall (kiosk/audio/rooms.py: RT60 0.2/0.5/0.8 s, microphone 0.1/0.4 m from
the loudspeaker) and for two cancellers, the voice loop's (WebRTC AEC3 behind Speex,
kiosk/audio/canceller.py) and the old single tap (kiosk/diag/single_tap.py) for comparison, the
kiosk's own replies (the dialog's answers, in its own voices) are played through the hall's
loudspeaker model and impulse response over a quiet street (traffic and babble, -55 dBFS). The
microphone stream goes block by block through the canceller and the voice loop's own onset
tracker and utterance segmenter (Silero, `config.vad`), as `VoiceLoop._hear` feeds them:

- **Single talk**: `replies` replies one after another, 1-2 s apart, ±3 dB. A run of
  `pipeline.barge_in_ms` of speech while a reply plays is a self-interruption (counted once per
  reply). An utterance the segmenter closes whose transcript the own-words check does not drop
  is a self-triggered turn: the kiosk would answer itself.
- **Double talk**: the same number of replies, each with a visitor asking a campus question
  (5 dB below the loudspeaker at the source, 1 m away) 1-3 s into it. The barge-in time runs
  from the visitor's first voiced frame at the microphone to the end of the block in which the
  run completes (so the canceller's 18 ms delay counts); a reply not stopped before the question
  ends is a missed barge-in. The reply then stops, as the voice loop stops it, and only its
  reverberant tail still rings. The first utterance overlapping the question is transcribed and
  answered by the dialog's rules: `answered_during_reply` is the share whose answer is about
  the place asked. `answered_without_echo` is the same questions, transcribed from the hall
  with no reply playing: what ASR and understanding manage anyway.
- **ERLE**: echo power in over residual power out after each reply's first second, over up to
  10 replies without the street (it would count as residual), the canceller alone.

In all three the echo reaches the microphone `latency_ms` (60 by default) after the sample
where the reply is registered as played: a sound card's output buffer, which the canceller has
to measure and line its reference up with (kiosk/audio/echo_delay.py).

Visitors: English questions in Piper's voice while the kiosk answers in Korean (Kokoro jm_kumo),
Korean ones in Kokoro jf_alpha and jf_gongitsune while it answers in English (Piper). Seeded:
the same `seed` gives the same replies, gaps, levels, offsets and noise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.audio import rooms
from kiosk.audio.canceller import Canceller, voice_loop_canceller
from kiosk.audio.own_words import OwnWords
from kiosk.audio.wavio import resample
from kiosk.config import Config
from kiosk.diag.echo_bench import voiced_frames
from kiosk.diag.single_tap import EchoCanceller
from kiosk.diag.turns import quantile
from kiosk.messages import ASR_RATE_HZ, Lang, Utterance
from kiosk.pipeline import BargeInRule, OnsetTracker
from kiosk.speech.vad import UtteranceSegmenter

log = logging.getLogger(__name__)

BLOCK = 512                 # the voice loop's 32 ms microphone block
REPLY_PEAK = 0.5            # the loudest reply sample, before the loudspeaker model
MIC_GAIN = 2.0
VISITOR_DB = -5.0           # the visitor's voice relative to the loudspeaker's, at the source
NOISE_RMS = 0.0018          # traffic and babble together: -55 dBFS
BARGE_IN_TARGET_MS = 300.0
ERLE_REPLIES = 10           # replies per hall for ERLE (the canceller alone: cheap)
LATENCY_MS = 60.0           # output latency: real sound cards add 20-200 ms

# What the kiosk says (its answers to these, in its own voices) ...
REPLY_QUESTIONS: dict[Lang, tuple[str, ...]] = {
    "en": ("Where is Hanyang Plaza?", "How do I get to Paiknam Library?",
           "What is next to the Main Building?", "How many floors does the Business School have?",
           "Where is the Olympic Gymnasium?", "How long is the walk to the Museum?"),
    "ko": ("한양플라자 어디에 있어요?", "백남학술정보관은 어떻게 가요?", "본관 옆에는 뭐가 있어요?",
           "경영관은 몇 층이에요?", "올림픽체육관 어디예요?", "박물관까지 걸어서 얼마나 걸려요?"),
}
# ... and what visitors ask over it, with the place the answer must be about.
VISITOR_QUESTIONS: dict[Lang, tuple[tuple[str, str], ...]] = {
    "en": (("How long does it take to walk to Paiknam Library?", "501"),
           ("Where is the Student Union Building?", "107"),
           ("Excuse me, how do I get to the Museum?", "109"),
           ("What's the building number of the Business School?", "706"),
           ("How many floors does the Fusion Technology Center have?", "208"),
           ("Where can I find the Olympic Gymnasium?", "306")),
    "ko": (("백남학술정보관까지 걸어서 얼마나 걸려요?", "501"),
           ("학생회관 어디에 있어요?", "107"),
           ("박물관 가려면 어떻게 가요?", "109"),
           ("경영관 건물 번호가 뭐예요?", "706"),
           ("퓨전테크센터 몇 층이에요?", "208"),
           ("올림픽체육관 어디예요?", "306")),
}
VISITOR_VOICES: dict[Lang, tuple[str, ...]] = {
    "en": ("",), "ko": ("kokoro:jf_alpha", "kokoro:jf_gongitsune")}


@dataclass(frozen=True)
class Spoken:
    text: str
    lang: Lang
    samples: np.ndarray      # 16 kHz float32
    place: str = ""          # for a visitor's question: the place the answer must be about


@dataclass
class Material:
    """The replies and the visitors' questions, synthesised once for every room."""

    replies: list[Spoken]
    questions: dict[Lang, list[Spoken]]


@dataclass
class Figures:
    """One canceller in one hall (the bench's `echo.rooms` entry, less the room's fields)."""

    replies: int = 0
    self_triggered: int = 0
    self_interruptions: int = 0
    own_words_dropped: int = 0
    barge_in_tries: int = 0
    barge_in_ms: list[float] = field(default_factory=list)  # NaN: missed
    answered: int = 0
    erle_in: float = 0.0
    erle_out: float = 0.0
    cpu_s: float = 0.0
    audio_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        caught = [ms for ms in self.barge_in_ms if not np.isnan(ms)]
        within = sum(ms <= BARGE_IN_TARGET_MS for ms in caught)
        tries = max(self.barge_in_tries, 1)
        return {
            "replies": self.replies,
            "erle_db": round(10 * np.log10(self.erle_in / max(self.erle_out, 1e-20)), 1)
            if self.erle_in else None,
            "self_triggered": self.self_triggered,
            "self_interruptions": self.self_interruptions,
            "self_interruption_rate": round(self.self_interruptions / max(self.replies, 1), 3),
            "own_words_dropped": self.own_words_dropped,
            "barge_in_tries": self.barge_in_tries,
            "barge_in_missed": self.barge_in_tries - len(caught),
            "barge_in_ms_p50": _rounded(quantile(sorted(caught), 0.5)) if caught else None,
            "barge_in_ms_p95": _rounded(_p95_with_misses(self.barge_in_ms)),
            "barge_in_within_300ms": round(within / tries, 3),
            "answered_during_reply": round(self.answered / tries, 3),
            "cpu_ms_per_audio_s": round(1000 * self.cpu_s / max(self.audio_s, 1e-9), 1),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(value)


def _p95_with_misses(values: list[float]) -> float | None:
    """The 95th percentile where a miss counts as later than any catch (inf → None)."""
    if not values:
        return None
    ranked = sorted(np.inf if np.isnan(v) else v for v in values)
    value = ranked[min(len(ranked) - 1, int(np.ceil(0.95 * len(ranked))) - 1)]
    return None if np.isinf(value) else value


# -- material ---------------------------------------------------------------------------------
def make_material(models: Any, say: Callable[[str], None]) -> Material:
    """The kiosk's answers to REPLY_QUESTIONS in its own voices, and the visitors' questions."""
    from kiosk.speech.tts import Speaker

    engine = _rules_engine(models)
    replies = []
    for lang, questions in REPLY_QUESTIONS.items():
        for number, question in enumerate(questions):
            answer = engine.answer(question, f"echo-rooms-{lang}-{number}").answer
            models.governor.acquire("tts")
            spoken = models.tts.synthesize(answer, lang)
            replies.append(Spoken(answer, lang, _at_16k(spoken.samples, spoken.rate_hz)))
    say(f"echo rooms: {len(replies)} replies synthesised")
    asked: dict[Lang, list[Spoken]] = {"en": [], "ko": []}
    for lang, voices in VISITOR_VOICES.items():
        for number, (question, place) in enumerate(VISITOR_QUESTIONS[lang]):
            voice = voices[number % len(voices)]
            speaker = models.tts if not voice else Speaker(_with_voice(models.config, voice))
            spoken = speaker.synthesize(question, lang)
            asked[lang].append(Spoken(question, lang, _at_16k(spoken.samples, spoken.rate_hz),
                                      place))
    return Material(replies, asked)


def _with_voice(config: Config, voice: str) -> Config:
    voices = {**config.tts.voices, "ko": voice}
    return config.model_copy(update={"tts": config.tts.model_copy(update={"voices": voices})})


def _at_16k(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    return resample(samples, rate_hz, ASR_RATE_HZ).astype(np.float32)


# -- one hall ---------------------------------------------------------------------------------
class _Listener:
    """The voice loop's listening half for one run: canceller, onset tracker and segmenter."""

    def __init__(self, models: Any, system: System) -> None:
        config = models.config
        self.canceller = system.canceller(config)
        self.onset = OnsetTracker(models.vad, config.vad.start_threshold)
        self.onset.reset()
        self.segmenter = UtteranceSegmenter(self.onset, config.vad)
        self.rule = system.rule(config)
        self.position = 0
        self.cpu_s = 0.0

    def hear(self, block: np.ndarray) -> tuple[np.ndarray, list[Utterance], bool]:
        """(cleaned block, utterances closed, barge-in run reached) for the next block."""
        started = time.process_time()
        cleaned = self.canceller.clean(block, self.position)
        self.cpu_s += time.process_time() - started
        self.position += len(block)
        utterances = list(self.segmenter.feed(cleaned))
        return cleaned, utterances, self.rule.heard(self.onset)


def _noise(seconds: float, seed: int) -> np.ndarray:
    return (rooms.traffic(seconds, NOISE_RMS * 0.8, seed=seed)
            + rooms.babble(seconds, level=NOISE_RMS * 0.6, seed=seed))


def _latency(latency_ms: float) -> int:
    """The output latency in samples."""
    return round(latency_ms * ASR_RATE_HZ / 1000)


def _echo(reply: np.ndarray, sim: rooms.SimRoom, delay: int = 0) -> np.ndarray:
    """The whole of what the microphone hears of `reply`, reverberant tail included, from the
    sample it is registered at: `delay` samples of output latency come first."""
    heard = MIC_GAIN * np.convolve(rooms.loudspeaker(reply), sim.echo_path)
    return np.concatenate([np.zeros(delay, np.float32), heard.astype(np.float32)])


class _Timeline:
    """A microphone signal built as it is read: sound can be added at or after the read point.
    Blocks follow each other without gaps or overlaps from sample 0, as a microphone's do."""

    def __init__(self) -> None:
        self.samples = np.zeros(0, np.float32)
        self.read = 0   # the first sample of the next block

    def add(self, sound: np.ndarray, at: int) -> None:
        end = at + len(sound)
        if end > len(self.samples):
            self.samples = np.concatenate([self.samples,
                                           np.zeros(end - len(self.samples), np.float32)])
        self.samples[at:end] += sound

    def blocks(self, end: int) -> Iterator[tuple[int, np.ndarray]]:
        """Blocks from the read point until one reaches `end` (the last may run past it)."""
        while self.read < end:
            at = self.read
            self.add(np.zeros(0, np.float32), at + BLOCK)
            self.read = at + BLOCK
            yield at, self.samples[at:at + BLOCK]


def _levelled(reply: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    gain = REPLY_PEAK / max(float(np.abs(reply).max()), 1e-9) * 10 ** (rng.uniform(-3, 3) / 20)
    return (reply * gain).astype(np.float32)


def single_talk(models: Any, system: System, sim: rooms.SimRoom, material: Material,
                replies: int, seed: int, latency_ms: float = LATENCY_MS) -> Figures:
    """`replies` replies with nobody talking, over the street: self-interruptions and
    self-triggered turns."""
    delay = _latency(latency_ms)
    rng = np.random.default_rng(seed)
    listener = _Listener(models, system)
    canceller = listener.canceller
    figures = Figures(replies=replies)
    mic = _Timeline()
    previous = ""
    for number in range(replies):
        at = mic.read
        spoken = material.replies[int(rng.integers(len(material.replies)))]
        reply = _levelled(spoken.samples, rng)
        echo = _echo(reply, sim, delay)
        start = at + int(rng.uniform(1.0, 2.0) * ASR_RATE_HZ)   # the pause before it
        end = start + len(echo)
        mic.add(echo, start)
        mic.add(_noise((end - at) / ASR_RATE_HZ, seed * 1000 + number), at)
        own = _own_words(previous, spoken.text)
        previous = spoken.text
        interrupted = False
        for position, block in mic.blocks(end):
            if position <= start < position + BLOCK:  # as the voice loop: just before it plays
                canceller.played(reply, start)
            _, utterances, barge = listener.hear(block)
            if barge and start <= position < start + len(reply) and not interrupted:
                interrupted = True
                figures.self_interruptions += 1
                log.info("event=echo_self_interruption room=%s reply=%d at_s=%.2f", sim.name,
                         number, (position - start) / ASR_RATE_HZ)
            for utterance in utterances:
                _judge_own(models, own, utterance, figures, sim.name)
    figures.cpu_s, figures.audio_s = listener.cpu_s, listener.position / ASR_RATE_HZ
    return figures


def erle(canceller: Canceller, sim: rooms.SimRoom, material: Material, replies: int,
         seed: int, latency_ms: float = LATENCY_MS) -> tuple[float, float]:
    """(echo power in, residual power out) after each reply's first second, with no noise (the
    street would be counted as residual): the canceller alone, no VAD."""
    delay = _latency(latency_ms)
    rng = np.random.default_rng(seed + 2)
    position, power_in, power_out = 0, 0.0, 0.0
    for _ in range(replies):
        reply = _levelled(material.replies[int(rng.integers(len(material.replies)))].samples,
                          rng)
        echo = _echo(reply, sim, delay)
        canceller.played(reply, position)
        for at in range(0, len(echo) - BLOCK + 1, BLOCK):
            block = echo[at:at + BLOCK]
            cleaned = canceller.clean(block, position + at)
            if at >= ASR_RATE_HZ:
                power_in += float(np.dot(block, block))
                power_out += float(np.dot(cleaned, cleaned))
        position += len(echo) // BLOCK * BLOCK
    return power_in, power_out


def _own_words(previous: str, current: str) -> OwnWords:
    """What the voice loop's own-words check would remember now: this reply and the one before
    (its 15 s window is wall time, and these replies come faster than that)."""
    own = OwnWords(window_s=1e9)
    for text in (previous, current):
        if text:
            own.said(text)
    return own


def _judge_own(models: Any, own: OwnWords, utterance: Utterance, figures: Figures,
               room: str) -> None:
    """An utterance made of the kiosk's residual: dropped as its own words, or a turn."""
    text = _transcribe(models, utterance.audio)
    if not text:
        return
    if own.is_own_words(text, during_reply=True):
        figures.own_words_dropped += 1
        return
    figures.self_triggered += 1
    log.info("event=echo_self_triggered room=%s text=%r", room, text)


def _transcribe(models: Any, audio: np.ndarray) -> str:
    models.governor.acquire("asr")
    return str(models.asr.transcribe(audio, hotwords=models.hotwords).text).strip()


def _voiced_onset(signal: np.ndarray) -> int:
    """The first sample of the first 32 ms frame within 25 dB of the loudest (speech starts)."""
    return int(np.argmax(voiced_frames(signal))) * BLOCK if len(signal) >= BLOCK else 0


def double_talk(models: Any, system: System, sim: rooms.SimRoom, material: Material,
                tries: int, seed: int, latency_ms: float = LATENCY_MS) -> Figures:
    """`tries` replies, each talked over by a visitor: barge-in time and answers."""
    delay = _latency(latency_ms)
    rng = np.random.default_rng(seed + 1)
    engine = _rules_engine(models)
    listener = _Listener(models, system)
    canceller = listener.canceller
    figures = Figures(barge_in_tries=tries)
    mic = _Timeline()
    previous = ""
    for number in range(tries):
        at = mic.read
        spoken = material.replies[int(rng.integers(len(material.replies)))]
        visitor_lang: Lang = "ko" if spoken.lang == "en" else "en"
        pool = material.questions[visitor_lang]
        question = pool[int(rng.integers(len(pool)))]
        reply = _levelled(spoken.samples, rng)
        echo = _echo(reply, sim, delay)
        start = at + int(rng.uniform(1.0, 2.0) * ASR_RATE_HZ)   # the pause before it
        mic.add(echo, start)
        scale = rooms.rms(reply) * 10 ** (VISITOR_DB / 20) / max(rooms.rms(question.samples),
                                                                 1e-9)
        voice = MIC_GAIN * rooms.at_microphone(question.samples * scale, sim)
        asks_at = start + int(rng.uniform(1.0, min(3.0, len(reply) / ASR_RATE_HZ - 0.5))
                              * ASR_RATE_HZ)
        mic.add(voice, asks_at)
        onset = asks_at + _voiced_onset(voice)
        question_end = asks_at + len(voice)
        end = max(start + len(echo), question_end) + ASR_RATE_HZ * 3 // 2
        mic.add(_noise((end - at) / ASR_RATE_HZ, seed * 1000 + number), at)
        stopped_at: int | None = None
        heard: Utterance | None = None
        heard_at = 0
        own = _own_words(previous, spoken.text)
        previous = spoken.text
        for position, block in mic.blocks(end):
            if position <= start < position + BLOCK:
                canceller.played(reply, start)
            _, utterances, barge = listener.hear(block)
            playing = stopped_at is None and start <= position < start + len(reply)
            if barge and playing:
                stopped_at = position + BLOCK
                if stopped_at >= onset:
                    figures.barge_in_ms.append(1000 * (stopped_at - onset) / ASR_RATE_HZ)
                else:  # before the visitor spoke: the kiosk cut itself off
                    figures.self_interruptions += 1
                    log.info("event=echo_self_interruption room=%s try=%d at_s=%.2f "
                             "visitor_at_s=%.2f", sim.name, number,
                             (stopped_at - start) / ASR_RATE_HZ, (onset - start) / ASR_RATE_HZ)
                    figures.barge_in_ms.append(float("nan"))
                canceller.stopped(stopped_at)
                cut = stopped_at - start
                mic.add(-_echo_after(reply, cut, sim, delay), stopped_at)
            for utterance in utterances:
                late = canceller.delay_samples
                began = int(utterance.start_s * ASR_RATE_HZ) - late
                ended = int(utterance.end_s * ASR_RATE_HZ) - late
                if heard is None and began < question_end and ended > onset:
                    heard, heard_at = utterance, began
                else:
                    _judge_own(models, own, utterance, figures, sim.name)
        if stopped_at is None:
            figures.barge_in_ms.append(float("nan"))
        if heard is not None:
            text = _transcribe(models, heard.audio)
            if own.is_own_words(text, during_reply=True):  # the voice loop would drop it
                log.info("event=echo_visitor_dropped room=%s heard=%r", sim.name, text)
                text = ""
            reply_to = engine.answer(text, f"echo-rooms-{sim.name}-{number}") if text else None
            right = reply_to is not None and question.place in reply_to.places
            figures.answered += right
            log.info("event=echo_heard room=%s asked=%r heard=%r right=%s at_s=%.2f", sim.name,
                     question.text, text, right, (heard_at - start) / ASR_RATE_HZ)
    figures.cpu_s, figures.audio_s = listener.cpu_s, listener.position / ASR_RATE_HZ
    return figures


def _echo_after(reply: np.ndarray, cut: int, sim: rooms.SimRoom, delay: int) -> np.ndarray:
    """The echo of the part of `reply` after sample `cut` (never played once it is stopped;
    what was registered before it still comes out, `delay` later)."""
    rest = reply[max(0, cut):]
    return _echo(rest, sim, delay) if len(rest) else np.zeros(0, np.float32)


def _rules_engine(models: Any) -> Any:
    from kiosk.dialog.engine import DialogEngine

    return DialogEngine(models.config.without_llm(), kb=models.engine.kb, llm=models.engine.llm)


def answered_without_echo(models: Any, sim: rooms.SimRoom, material: Material) -> float:
    """The share of the visitors' questions answered about the right place when nothing plays."""
    engine = _rules_engine(models)
    questions = [q for pool in material.questions.values() for q in pool]
    right = 0
    for number, question in enumerate(questions):
        voice = MIC_GAIN * rooms.at_microphone(question.samples, sim)
        voice = voice * (0.1 / max(rooms.rms(voice), 1e-9))
        text = _transcribe(models, voice)
        reply = engine.answer(text, f"echo-rooms-clean-{sim.name}-{number}") if text else None
        right += reply is not None and question.place in reply.places
    return round(right / max(len(questions), 1), 3)


# -- every hall -------------------------------------------------------------------------------
@dataclass(frozen=True)
class System:
    """A canceller and the barge-in rule it runs with."""

    canceller: Callable[[Config], Canceller]
    rule: Callable[[Config], BargeInRule]


SYSTEMS: dict[str, System] = {
    # The voice loop's: AEC3 behind Speex, and pipeline.barge_in_* (k of w frames).
    "webrtc_aec3": System(
        lambda config: voice_loop_canceller(config.pipeline.echo_linear_ms,
                                            config.pipeline.echo_max_lag_ms,
                                            config.pipeline.echo_tail_ms),
        lambda config: BargeInRule(config.pipeline.barge_in_ms,
                                   config.pipeline.barge_in_window_ms,
                                   config.pipeline.barge_in_threshold)),
    # The one it replaced: the single tap, and 160 ms of consecutive speech at the VAD's start
    # threshold.
    "single_tap": System(
        lambda config: EchoCanceller(config.pipeline.echo_max_lag_ms, 0.6,
                                     config.pipeline.echo_tail_ms),
        lambda config: BargeInRule(160, 160, config.vad.start_threshold)),
}


def measure(models: Any, replies: int, say: Callable[[str], None],
            room_names: list[str] | None = None, seed: int = 7,
            latency_ms: float = LATENCY_MS) -> dict[str, Any]:
    """`echo` for the bench: one entry per hall, the voice loop's canceller's figures with the
    old single tap's beside them (`single_tap`), all with the echo `latency_ms` behind the
    registered reply (`output_latency_ms` says which)."""
    log.info("event=echo_rooms_start replies=%d latency_ms=%.0f seed=%d", replies, latency_ms,
             seed)
    started = time.perf_counter()
    material = make_material(models, say)
    entries = []
    for sim in rooms.rooms():
        if room_names and sim.name not in room_names:
            continue
        entry: dict[str, Any] = {"room": sim.name, "rt60_s": sim.rt60_s,
                                 "distance_m": sim.distance_m}
        for name, system in SYSTEMS.items():
            alone = single_talk(models, system, sim, material, replies, seed, latency_ms)
            alone.erle_in, alone.erle_out = erle(system.canceller(models.config), sim, material,
                                                 min(replies, ERLE_REPLIES), seed, latency_ms)
            talked_over = double_talk(models, system, sim, material, replies, seed, latency_ms)
            merged = alone.as_json()
            over = talked_over.as_json()
            merged.update({k: over[k] for k in (
                "barge_in_tries", "barge_in_missed", "barge_in_ms_p50", "barge_in_ms_p95",
                "barge_in_within_300ms", "answered_during_reply")})
            merged["self_triggered"] += talked_over.self_triggered
            merged["self_interruptions_before_visitor"] = talked_over.self_interruptions
            cpu = alone.cpu_s + talked_over.cpu_s
            merged["cpu_ms_per_audio_s"] = round(
                1000 * cpu / max(alone.audio_s + talked_over.audio_s, 1e-9), 1)
            if name == "webrtc_aec3":
                entry.update(merged)
            else:
                entry[name] = merged
        entry["answered_without_echo"] = answered_without_echo(models, sim, material)
        say(f"echo room {sim.name}: erle {entry['erle_db']} dB, self-interruptions "
            f"{entry['self_interruptions']}/{replies}, barge-in p95 {entry['barge_in_ms_p95']} ms, "
            f"answered {entry['answered_during_reply']:.0%} (single tap: "
            f"{entry['single_tap']['self_interruptions']}/{replies}, "
            f"{entry['single_tap']['barge_in_ms_p95']} ms, "
            f"{entry['single_tap']['answered_during_reply']:.0%})")
        entries.append(entry)
    return {"rooms": entries, "replies_per_room": replies, "output_latency_ms": latency_ms,
            "seed": seed, "canceller": "webrtc_aec3",
            "elapsed_s": round(time.perf_counter() - started, 1)}
