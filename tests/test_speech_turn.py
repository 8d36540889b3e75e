"""End of turn by meaning: the segmenter asks a turn judge at a short pause; the words heard
so far and Smart Turn decide together; the real Smart Turn model tells a finished question
from a cut-off one."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.messages import ASR_RATE_HZ, Transcript
from kiosk.speech.turn import (
    Ending,
    SmartTurn,
    TurnTaker,
    TurnVerdict,
    reads_as_a_question,
    unfinished_words,
)
from kiosk.speech.vad import FRAME_S, FRAME_SAMPLES, UtteranceSegmenter
from tests.test_speech_vad import ScriptedScorer


class ScriptedJudge:
    """Fake judge: answers each call with the next verdict; remembers the audio lengths."""

    def __init__(self, *endings: Ending, fail: bool = False) -> None:
        self.endings, self.fail, self.calls = list(endings), fail, []

    def judge(self, audio: np.ndarray) -> TurnVerdict:
        self.calls.append(len(audio))
        if self.fail:
            raise RuntimeError("onnxruntime exploded")
        heard = Transcript(text="where is the library", lang="en", audio_s=1.0, asr_ms=1.0,
                      no_speech_prob=0.0)
        return TurnVerdict(self.endings.pop(0), heard)


def run(config: Config, probs: list[float], judge: ScriptedJudge | None):
    seg = UtteranceSegmenter(ScriptedScorer(probs), config.vad, judge)
    out = []
    for i in range(len(probs)):
        for utterance in seg.feed(np.zeros(FRAME_SAMPLES, np.float32)):
            out.append((i, utterance))
    return out


def frames(ms: float) -> int:
    return round(ms / 1000 / FRAME_S)


def test_a_finished_turn_ends_at_the_short_pause_with_its_transcript(config: Config) -> None:
    speech = [0.9] * frames(1000)
    done = run(config, speech + [0.0] * frames(2000), ScriptedJudge(Ending.NOW))
    assert len(done) == 1
    index, utterance = done[0]
    assert index - len(speech) + 1 == frames(config.vad.turn_pause_ms)
    assert utterance.ended_by == "turn_model"
    assert utterance.heard is not None and utterance.heard.text == "where is the library"


def test_an_unfinished_turn_survives_a_pause_longer_than_the_usual_silence(
        config: Config) -> None:
    pause = frames(config.vad.end_silence_ms + 300)
    probs = [0.9] * frames(800) + [0.0] * pause + [0.9] * frames(800) + [0.0] * frames(2500)
    judge = ScriptedJudge(Ending.LATER, Ending.NOW)
    done = run(config, probs, judge)
    assert len(done) == 1  # one question, not two halves
    assert done[0][1].ended_by == "turn_model"
    assert len(judge.calls) == 2 and judge.calls[1] > judge.calls[0]


def test_a_transcript_is_not_reused_once_the_visitor_went_on(config: Config) -> None:
    probs = [0.9] * frames(800) + [0.0] * frames(300) + [0.9] * frames(800) + [0.0] * frames(
        2500)
    judge = ScriptedJudge(Ending.LATER, Ending.SILENCE)
    done = run(config, probs, judge)
    assert len(done) == 1 and done[0][1].ended_by == "silence"
    assert done[0][1].heard is not None  # the second judgement's, made on the whole audio
    assert len(judge.calls) == 2


def test_unfinished_waits_only_up_to_the_long_limit(config: Config) -> None:
    speech = [0.9] * frames(800)
    done = run(config, speech + [0.0] * frames(3000), ScriptedJudge(Ending.LATER))
    assert len(done) == 1
    index, utterance = done[0]
    assert utterance.ended_by == "long_silence"
    assert index - len(speech) + 1 == frames(config.vad.incomplete_silence_ms)


def test_a_failing_judge_leaves_the_end_to_silence(config: Config) -> None:
    speech = [0.9] * frames(800)
    done = run(config, speech + [0.0] * frames(2000), ScriptedJudge(fail=True))
    assert len(done) == 1
    index, utterance = done[0]
    assert utterance.ended_by == "silence" and utterance.heard is None
    assert index - len(speech) + 1 == frames(config.vad.end_silence_ms)


def test_without_a_judge_silence_alone_ends_the_turn(config: Config) -> None:
    speech = [0.9] * frames(800)
    done = run(config, speech + [0.0] * frames(2000), None)
    assert [u.ended_by for _, u in done] == ["silence"]


@pytest.mark.parametrize(("text", "lang"), [
    ("How do I get to", "en"), ("Where is the", "en"), ("Is the Fusion Tech Center the one "
                                                        "with...", "en"),
    ("what's the building number of", "en"), ("백남학술정보관이", "ko"),
    ("제1공학관까지", "ko"), ("게스트하우스 예약하려면", "ko"), ("음", "ko"),
    ("박물관이랑 노천극장 중에", "ko"),
])
def test_words_that_cannot_end_a_question(text: str, lang: str) -> None:
    assert unfinished_words(text, lang)


@pytest.mark.parametrize(("text", "lang"), [
    ("Where is the library?", "en"), ("How many floors does the Main Building have", "en"),
    ("백남학술정보관 몇 번 건물이에요?", "ko"), ("학생회관 어디야", "ko"), ("thanks", "en"),
])
def test_whole_questions_read_as_finished(text: str, lang: str) -> None:
    assert not unfinished_words(text, lang) and reads_as_a_question(text, lang)


class FixedModel:
    def __init__(self, p: float) -> None:
        self.p = p

    def complete_probability(self, audio: np.ndarray) -> float:
        return self.p


def heard(text: str, lang: str = "en"):
    return lambda audio: Transcript(text=text, lang=lang, audio_s=1.0, asr_ms=1.0,
                      no_speech_prob=0.0)


@pytest.mark.parametrize(("p", "text", "lang", "ending"), [
    (0.9, "백남학술정보관 몇 번이에요?", "ko", Ending.NOW),      # both witnesses: finished
    (0.9, "백남학술정보관이", "ko", Ending.LATER),               # the words dangle
    (0.1, "역사관", "ko", Ending.LATER),                         # both: unfinished
    (0.1, "학생회관 어디야", "ko", Ending.SILENCE),             # they disagree
    (0.9, "where is the library", "en", Ending.SILENCE),        # no early end in English
    (0.9, "how do I get to", "en", Ending.LATER),
    (0.9, "", "en", Ending.SILENCE),                            # nothing heard
])
def test_the_two_witnesses(p: float, text: str, lang: str, ending: Ending) -> None:
    taker = TurnTaker(FixedModel(p), heard(text, lang), 0.5, early_langs=("ko",))
    verdict = taker.judge(np.zeros(ASR_RATE_HZ, np.float32))
    assert verdict.ending is ending and verdict.heard is not None


def test_smart_turn_hears_a_finished_question_and_not_a_cut_off_one(config: Config) -> None:
    from kiosk.audio.wavio import resample
    from kiosk.speech.tts import Speaker

    model = SmartTurn(config.model_path(config.vad.turn_model))
    speech = Speaker(config).synthesize("Where is the Student Union building?", "en")
    audio = resample(speech.samples, speech.rate_hz, ASR_RATE_HZ)
    voiced = np.flatnonzero(np.abs(audio) > 0.02)
    pause = np.zeros(int(0.2 * ASR_RATE_HZ), np.float32)
    whole = model.complete_probability(np.concatenate([audio[: voiced[-1]], pause]))
    assert whole > 0.5
    # Cut inside the last word: no voice ends a question mid-word.
    cut = model.complete_probability(np.concatenate([audio[: int(voiced[-1] * 0.6)], pause]))
    assert cut < whole


def test_a_file_that_is_not_smart_turn_is_refused(config: Config) -> None:
    with pytest.raises(ModelError, match="not a Smart Turn"):
        SmartTurn(config.model_path(config.vad.model))  # Silero's ONNX
