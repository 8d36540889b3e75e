"""End of turn by meaning: Pipecat's Smart Turn v3.2 (int8 ONNX, BSD-2) judges whether the
visitor has finished, so a short pause can end a finished question and a hesitation does not.

Why: silence alone cannot tell "How do I get to … the Paiknam Library?" (a 0.7 s pause in the
middle) from a question that is over. With a fixed 600 ms silence the first was cut in two
and both halves answered wrongly (issue 14), and every finished question still waited the
full 600 ms. Smart Turn looks at the last 8 s of audio (a Whisper-tiny encoder over 80 × 800
log-mel features, 23 languages including Korean) and returns the probability that the turn
is complete; `kiosk.speech.vad.UtteranceSegmenter` asks it after a short pause.

Measured on synthetic voices (`kiosk eval --turns`), the model alone cut 62% of questions
with a pause inserted in the middle (a TTS clause boundary sounds final to it) while silence
alone cut 40%. So the kiosk decides with two witnesses (`TurnTaker`): at the short pause the
utterance is transcribed at once (the transcript is kept: it *is* the turn's ASR when the
visitor says no more), and words that cannot end a question ("How do I get to", "the",
"백남학술정보관이", "…까지") keep listening up to ``vad.incomplete_silence_ms`` whatever the
audio sounds like; a complete-looking question ends at the pause when Smart Turn agrees, and
after the usual ``end_silence_ms`` when it does not. The early end is used only for the
languages in ``vad.turn_early_langs`` (Korean by default): on the English synthetic set it
cut more hesitations than silence alone did (65% against 35% of 20), on the Korean one fewer
(20% against 50%); see docs/turn-taking.md.

Features: ``faster_whisper``'s numpy log-mel extractor (already a dependency) with
``padding=0`` matches the Hugging Face ``WhisperFeatureExtractor(chunk_length=8)`` the model
was trained with to 2e-7, after the waveform is normalised to zero mean and unit variance as
that extractor's ``do_normalize`` does. onnxruntime only; torch is never imported.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np

from kiosk.errors import ModelError, one_line
from kiosk.messages import ASR_RATE_HZ, Transcript

log = logging.getLogger(__name__)

WINDOW_S = 8
"""The model's context: the last 8 s, left-padded with zeros when shorter."""
_WINDOW_SAMPLES = WINDOW_S * ASR_RATE_HZ
_VARIANCE_EPS = 1e-7


class CompletionModel(Protocol):
    """Anything that says how likely 16 kHz speech ends a finished turn (Smart Turn, a fake)."""

    def complete_probability(self, audio: np.ndarray) -> float: ...


class Ending(StrEnum):
    """What a short pause means: the turn ends now, after the usual silence, or only after
    the long one (the visitor is still looking for a word)."""

    NOW = "now"
    SILENCE = "silence"
    LATER = "later"


@dataclass(frozen=True)
class TurnVerdict:
    ending: Ending
    heard: Transcript | None = None  # the utterance's transcript so far, when one was made


class TurnJudge(Protocol):
    """Asked by the segmenter at a short pause, with the utterance so far."""

    def judge(self, audio: np.ndarray) -> TurnVerdict: ...


class SmartTurn:
    """Smart Turn v3 ONNX model; one blocking call per question (tens of ms on one thread)."""

    def __init__(self, model_path: str | Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from faster_whisper.feature_extractor import FeatureExtractor

        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"model error: turn model not found: {path} "
                             "(run `kiosk models fetch`)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelError(f"model error: cannot load turn model {path}: "
                             f"{one_line(error)}") from None
        inputs = [i.name for i in self._session.get_inputs()]
        if inputs != ["input_features"]:
            raise ModelError(f"model error: {path} is not a Smart Turn v3 model "
                             f"(inputs {inputs})")
        self._features = FeatureExtractor(chunk_length=WINDOW_S)

    def warm(self) -> None:
        """One call on a full window of silence: onnxruntime grows its arena on the first
        run (about 34 MB here, after 25 MB for the model), and the kiosk budgets the
        listening models as resident from start-up, so that memory must exist by then."""
        self.complete_probability(np.zeros(_WINDOW_SAMPLES, np.float32))

    def complete_probability(self, audio: np.ndarray) -> float:
        """Probability 0..1 that float32 mono 16 kHz ``audio`` (the turn so far) is finished."""
        started = time.perf_counter()
        features = self._features(_model_window(audio), padding=0)[:, :_WINDOW_SAMPLES // 160]
        out = self._session.run(None, {"input_features": features[np.newaxis].astype(np.float32)})
        probability = float(np.asarray(out[0]).reshape(-1)[0])
        log.debug("event=turn_scored audio_s=%.2f p_complete=%.2f ms=%.0f",
                  len(audio) / ASR_RATE_HZ, probability, (time.perf_counter() - started) * 1000)
        return probability


def _model_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s, left-padded with zeros, normalised to zero mean and unit variance."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)[-_WINDOW_SAMPLES:]
    if len(x) < _WINDOW_SAMPLES:
        x = np.concatenate([np.zeros(_WINDOW_SAMPLES - len(x), np.float32), x])
    return ((x - x.mean()) / np.sqrt(x.var() + _VARIANCE_EPS)).astype(np.float32)


class AudioOnly:
    """Smart Turn alone, as Pipecat uses it: complete ends now, else wait the long limit (kept
    to measure against; the kiosk uses `TurnTaker`)."""

    def __init__(self, model: CompletionModel, threshold: float) -> None:
        self._model, self._threshold = model, threshold

    def judge(self, audio: np.ndarray) -> TurnVerdict:
        finished = self._model.complete_probability(audio) >= self._threshold
        return TurnVerdict(Ending.NOW if finished else Ending.LATER)


class TurnTaker:
    """Smart Turn and the words heard so far, as two witnesses (see the module docstring):
    both say finished, the turn ends now; both say unfinished (or the words dangle), it waits
    the long limit; they disagree, the usual silence decides."""

    def __init__(self, model: CompletionModel, transcribe: Callable[[np.ndarray], Transcript],
                 threshold: float, early_langs: Sequence[str] = ("ko",)) -> None:
        self._model, self._transcribe, self._threshold = model, transcribe, threshold
        self._early_langs = frozenset(early_langs)

    def judge(self, audio: np.ndarray) -> TurnVerdict:
        heard = self._transcribe(audio)
        if not heard.text:
            return TurnVerdict(Ending.SILENCE, heard)  # nothing usable: silence decides
        if unfinished_words(heard.text, heard.lang):
            log.info("event=turn_unfinished words_end=%r", heard.text[-24:])
            return TurnVerdict(Ending.LATER, heard)
        if heard.lang not in self._early_langs:
            return TurnVerdict(Ending.SILENCE, heard)  # no early end in this language
        sounds_finished = self._model.complete_probability(audio) >= self._threshold
        reads_finished = reads_as_a_question(heard.text, heard.lang)
        if sounds_finished and reads_finished:
            return TurnVerdict(Ending.NOW, heard)
        if not sounds_finished and not reads_finished:
            return TurnVerdict(Ending.LATER, heard)
        return TurnVerdict(Ending.SILENCE, heard)


# Words a question cannot end on: articles, prepositions, conjunctions, a dangling auxiliary
# or question word ("can you tell me where"), possessives and fillers.
_DANGLING_EN = frozenset("""
a an the to of from at in on for with near by between towards toward into onto about via
and or but because so if than as is are was were does do did can could would will should
where which what how when who whose my your its their our this that these those um uh er
erm hmm like
""".split())
# Korean: a case or topic particle with no predicate after it, a connective ending, a filler.
_DANGLING_KO = re.compile(
    r"(이|가|은|는|을|를|에|에서|에게|까지|부터|랑|이랑|하고|와|과|의|로|으로|보다|중에|처럼|"
    r"이고|인데|는데|려면|으면|다가|해서|가서|거든)$")
_FILLERS_KO = frozenset("음 어 그 저 저기 그니까 그러니까 아 으음 어어".split())
_WORD = re.compile(r"[\w']+")


def unfinished_words(text: str, lang: str) -> bool:
    """Whether ``text`` stops where no question can (a recogniser's "…" or "-" included).
    Whisper's own "?" or "." is no evidence: it punctuates fragments too ("How long to?")."""
    stripped = text.strip()
    if stripped.endswith(("...", "…", "-", "—")):
        return True
    words = _WORD.findall(stripped.lower())
    if not words:
        return False
    last = words[-1]
    if lang == "ko" or re.search(r"[가-힣]", last):
        return last in _FILLERS_KO or (len(last) > 1 and bool(_DANGLING_KO.search(last)))
    return last in _DANGLING_EN


# A whole question: English with a question word, an auxiliary or a request; Korean ending
# in a sentence-final ending (a bare noun, "역사관", may be a question or the start of one).
_QUESTION_EN = re.compile(
    r"\b(where|what|what's|where's|which|how|when|who|why|is|are|does|do|can|could|would|"
    r"will|should|please|tell me|show me|i need|i want|i'm looking|i am looking|thanks|"
    r"thank you|bye|hello|hi|again|slower|right)\b")
_FINAL_KO = re.compile(r"(요|까|니|나|죠|지|야|냐|래|어|아|해|돼|다|네|가|줘|봐|께|세요|군)$")


def reads_as_a_question(text: str, lang: str) -> bool:
    """Whether the words so far make a whole question (or a whole "thanks")."""
    words = _WORD.findall(text.lower())
    if not words:
        return False
    if lang == "ko" or re.search(r"[가-힣]", words[-1]):
        return bool(_FINAL_KO.search(words[-1]))
    return bool(_QUESTION_EN.search(" ".join(words)))
