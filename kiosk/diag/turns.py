"""End of turn, measured: do finished questions end quickly, and do hesitations stay whole?

Each question is spoken twice by a voice of its language: once whole, and once with a pause
of 0.4-0.8 s put into it at the quietest moment near a word boundary in its middle (how a
visitor searches for a name: "How do I get to … the Paiknam Library?"). Both clips go through
the real Silero segmenter three ways: silence alone (``vad.end_silence_ms``), Smart Turn
alone at ``vad.turn_pause_ms`` (as Pipecat uses it), and the kiosk's `TurnTaker` (Smart Turn
and the words Whisper heard so far). Counted per policy:

* **false cut-off**: a hesitation clip that became two utterances (two answers, both wrong);
* **missed end**: a whole question judged unfinished, so it waited the long limit;
* **end delay**: from the last voiced sample to the moment the utterance was handed on: what
  the visitor waits before anything at all can start.

A synthetic voice's prosody is not a visitor's: these figures say how the policy behaves on
clean TTS speech, not how a person in front of the kiosk will be judged.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.config import Config, VadConfig
from kiosk.messages import ASR_RATE_HZ, Transcript, Utterance
from kiosk.speech.turn import AudioOnly, CompletionModel, TurnJudge, TurnTaker
from kiosk.speech.vad import FRAME_SAMPLES, FrameScorer, UtteranceSegmenter

QUESTION_SET = Path(__file__).resolve().parents[1] / "dialog" / "data" / \
    "understanding_questions.jsonl"
KIOSK_POLICY = "turn_taker"
_LEAD_S = 0.3
_TAIL_S = 2.5  # longer than any limit, so every policy gets to decide
_VOICED = 0.02  # |sample| above this counts as voiced when finding where speech ends


@dataclass(frozen=True)
class Clip:
    text: str
    lang: str
    voice: str
    audio: np.ndarray
    speech_end_s: float
    hesitation_s: float  # 0 for a whole question


@dataclass(frozen=True)
class Outcome:
    clip: Clip
    policy: str
    utterances: int
    ended_by: str
    end_delay_ms: float


def pick_questions(path: Path, per_lang: int, seed: int = 7) -> list[tuple[str, str]]:
    """``per_lang`` standalone questions of each language from a question set, of 4+ words
    (a pause needs a middle), in a fixed random order."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    out: list[tuple[str, str]] = []
    for lang in ("en", "ko"):
        texts = [r["text"] for r in rows if r["lang"] == lang and r["act"] == "question"
                 and r.get("session") is None and len(r["text"].split()) >= (4 if lang == "en"
                                                                              else 3)]
        random.Random(seed).shuffle(texts)
        out.extend((lang, t) for t in texts[:per_lang])
    return out


def voiced_span(audio: np.ndarray) -> tuple[int, int]:
    """(first voiced sample, one past the last), (0, 0) for silence."""
    voiced = np.flatnonzero(np.abs(audio) > _VOICED)
    return (int(voiced[0]), int(voiced[-1]) + 1) if len(voiced) else (0, 0)


def speech_end_s(audio: np.ndarray) -> float:
    """Seconds from the clip's start to just after its last voiced sample."""
    return voiced_span(audio)[1] / ASR_RATE_HZ


def middle_boundary(text: str) -> int:
    """Characters before the word boundary closest to the middle of ``text``."""
    words = text.split()
    boundaries = [len(" ".join(words[:i])) for i in range(1, len(words))]
    return min(boundaries, key=lambda b: abs(b - len(text) / 2))


def with_hesitation(speech: np.ndarray, head_s: float, pause_s: float) -> np.ndarray:
    """``speech`` with ``pause_s`` of silence where its first ``head_s`` seconds of voice end
    (the head spoken alone, less its final lengthening), at the quietest 10 ms within 0.1 s
    of there: between two words, not inside one."""
    first = voiced_span(speech)[0]
    guess = first + int(head_s * 0.95 * ASR_RATE_HZ)
    hop, reach = 160, int(0.1 * ASR_RATE_HZ)
    lo, hi = max(first + hop, guess - reach), min(len(speech) - hop, guess + reach)
    energy = [float(np.mean(speech[i:i + hop] ** 2)) for i in range(lo, hi, hop)]
    cut = lo + hop * int(np.argmin(energy)) if energy else guess
    return np.concatenate([speech[:cut], np.zeros(int(pause_s * ASR_RATE_HZ), np.float32),
                           speech[cut:]])


def _voiced_s(audio: np.ndarray) -> float:
    first, end = voiced_span(audio)
    return (end - first) / ASR_RATE_HZ


def make_clips(speak: Callable[[str, str], np.ndarray], questions: list[tuple[str, str]],
               voices: dict[str, list[str]], seed: int = 7) -> Iterator[Clip]:
    """A whole clip and a hesitation clip per question, voices taken in turn per language."""
    rng = random.Random(seed)
    for i, (lang, text) in enumerate(questions):
        voice = voices[lang][i % len(voices[lang])]
        speech = speak(text, voice)
        head = speak(text[:middle_boundary(text)], voice)
        silence = np.zeros(int(_LEAD_S * ASR_RATE_HZ), np.float32)
        tail = np.zeros(int(_TAIL_S * ASR_RATE_HZ), np.float32)
        whole = np.concatenate([silence, speech, tail])
        yield Clip(text, lang, voice, whole, _LEAD_S + speech_end_s(speech), 0.0)
        pause = round(rng.uniform(0.4, 0.8), 2)
        hesitant = with_hesitation(speech, _voiced_s(head), pause)
        yield Clip(text, lang, voice, np.concatenate([silence, hesitant, tail]),
                   _LEAD_S + speech_end_s(hesitant), pause)


def segment(clip: Clip, scorer: FrameScorer, config: VadConfig,
            judge: TurnJudge | None) -> tuple[list[Utterance], float]:
    """The clip through a fresh segmenter frame by frame; the utterances and when the last
    one was handed on (stream seconds)."""
    segmenter = UtteranceSegmenter(scorer, config, judge)
    scorer.reset()
    found: list[Utterance] = []
    handed_s = 0.0
    frame = FRAME_SAMPLES
    for i in range(0, len(clip.audio) - frame + 1, frame):
        for utterance in segmenter.feed(clip.audio[i:i + frame]):
            found.append(utterance)
            handed_s = (i + frame) / ASR_RATE_HZ
    for utterance in segmenter.flush():
        found.append(utterance)
        handed_s = len(clip.audio) / ASR_RATE_HZ
    return found, handed_s


def run(clips: list[Clip], scorer: FrameScorer, config: VadConfig,
        policies: list[tuple[str, TurnJudge | None]]) -> list[Outcome]:
    out = []
    for clip in clips:
        for name, policy_judge in policies:
            found, handed_s = segment(clip, scorer, config, policy_judge)
            out.append(Outcome(clip, name, len(found), found[-1].ended_by if found else "none",
                               (handed_s - clip.speech_end_s) * 1000))
    return out


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per policy (and per language): false cut-offs, missed ends, end delay p50/p95."""
    summary: dict[str, dict[str, float]] = {}
    keys = sorted({(o.policy, lang) for o in outcomes for lang in ("all", o.clip.lang)})
    for policy, lang in keys:
        mine = [o for o in outcomes if o.policy == policy and lang in ("all", o.clip.lang)]
        hesitant = [o for o in mine if o.clip.hesitation_s]
        whole = [o for o in mine if not o.clip.hesitation_s and o.utterances == 1]
        delays = sorted(o.end_delay_ms for o in whole)
        summary[f"{policy} {lang}"] = {
            "hesitations": len(hesitant),
            "false_cutoff_pct": _pct(sum(o.utterances > 1 for o in hesitant), len(hesitant)),
            "whole": len([o for o in mine if not o.clip.hesitation_s]),
            "missed_end_pct": _pct(sum(o.ended_by == "long_silence" for o in whole),
                                   len(whole)),
            "not_one_utterance": sum(o.utterances != 1 for o in mine
                                     if not o.clip.hesitation_s),
            "end_delay_p50_ms": quantile(delays, 0.5),
            "end_delay_p95_ms": quantile(delays, 0.95),
        }
    return summary


def format_report(summary: dict[str, dict[str, float]], outcomes: list[Outcome]) -> str:
    lines = ["end of turn: whole questions and questions with a 0.4-0.8 s hesitation "
             "(synthetic voices)"]
    for key, s in summary.items():
        lines.append(
            f"  {key:16} false cut-offs {s['false_cutoff_pct']:5.1f}% of {s['hesitations']:.0f}"
            f"  missed ends {s['missed_end_pct']:5.1f}% of {s['whole']:.0f}"
            f"  end delay p50 {s['end_delay_p50_ms']:4.0f} ms p95 {s['end_delay_p95_ms']:4.0f} ms")
    wrong = [o for o in outcomes if o.policy == KIOSK_POLICY and (
        (o.clip.hesitation_s and o.utterances > 1) or o.ended_by == "long_silence")]
    for o in wrong:
        what = "cut in two" if o.clip.hesitation_s else "waited the long limit"
        lines.append(f"  {KIOSK_POLICY} {what}: [{o.clip.voice}] {o.clip.text!r}")
    return "\n".join(lines)


def evaluate(config: Config, per_lang: int, path: Path = QUESTION_SET) -> list[Outcome]:
    """Build the clips with the spoken-eval voices and run both policies on the real models."""
    from kiosk.dialog.spoken_eval import Voices, available_voices, voice_lang
    from kiosk.speech.asr import Transcriber
    from kiosk.speech.turn import SmartTurn
    from kiosk.speech.vad import SileroVad

    voices: dict[str, list[str]] = {"en": [], "ko": []}
    for voice in available_voices():
        voices[voice_lang(voice)].append(voice)
    speakers = Voices(config)
    clips = list(make_clips(speakers.speak, pick_questions(path, per_lang), voices))
    scorer = SileroVad(config.model_path(config.vad.model))
    model = SmartTurn(config.model_path(config.vad.turn_model or "smart-turn-v3.2-cpu.onnx"))
    asr = Transcriber(config)
    return run(clips, scorer, config.vad, policies(model, asr.transcribe, config.vad))


def policies(model: CompletionModel, transcribe: Callable[[np.ndarray], Transcript],
             config: VadConfig) -> list[tuple[str, TurnJudge | None]]:
    return [("silence", None), ("smart_turn", AudioOnly(model, config.turn_threshold)),
            ("turn_taker_all_langs", TurnTaker(model, transcribe,
                                               config.turn_threshold, ("en", "ko"))),
            (KIOSK_POLICY, TurnTaker(model, transcribe,
                                     config.turn_threshold, config.turn_early_langs))]


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values`` (nearest rank, whole ms); 0 when empty."""
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(q * len(values)))], 0)
