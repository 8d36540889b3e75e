"""Sentence-by-sentence release of a model reply, and model faults in the middle of a reply.

The guard's unit logic runs on hand-written sentences (what a model might say); the fault tests
run the real Gemma and break or stop its stream part-way, as a crashing or hung engine would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from kiosk.campus import answers
from kiosk.campus.retrieval import Intent
from kiosk.config import Config
from kiosk.dialog.engine import DialogEngine, GuardedReply
from kiosk.dialog.llm import LanguageModel


@pytest.fixture(scope="module")
def engine(config: Config) -> DialogEngine:
    return DialogEngine(config)


def guarded(engine: DialogEngine, code: str, intent: Intent, lang: str,
            heard: list[str]) -> GuardedReply:
    place = engine.kb.by_code(code)
    assert place is not None
    facts = " ".join(answers.facts(place, intent, lang, engine.kb))
    return GuardedReply(facts, lang, engine.requirements(place, intent, lang), engine.mentions,
                        heard.append, answers.compose(place, intent, lang, engine.kb))


def test_a_checked_sentence_is_released_before_the_next_one_exists(
        engine: DialogEngine) -> None:
    heard: list[str] = []
    reply = guarded(engine, "105", Intent.LOCATION, "en", heard)
    reply.accept(["Hanyang Plaza is on your left as you come out of Aeji Gate."])
    assert heard == ["Hanyang Plaza is on your left as you come out of Aeji Gate."]
    reply.accept(["It's about 1 minute on foot from Aeji Gate."])
    reply.finish()
    assert len(heard) == 2 and not reply.completed


def test_a_fact_the_model_left_out_is_added_from_the_knowledge_base(
        engine: DialogEngine) -> None:
    heard: list[str] = []
    reply = guarded(engine, "501", Intent.WALK_TIME, "en", heard)
    reply.accept(["Paiknam Library is building 501."])
    reply.finish()
    assert reply.completed
    assert "6 minutes" in " ".join(heard)
    assert heard[0] == "Paiknam Library is building 501."


def test_a_wrong_direction_is_never_released(engine: DialogEngine) -> None:
    place = engine.kb.by_code("107")
    assert place is not None
    first = place.neighbours[0]
    wrong = "to the right" if "left" in first.direction_en else "to the left"
    name = engine.kb.by_code(first.code).name("en")  # type: ignore[union-attr]
    heard: list[str] = []
    reply = guarded(engine, "107", Intent.NEIGHBOURS, "en", heard)
    assert not reply.accept([f"{name} is {wrong} of the Student Union Building."])
    assert heard == [] and reply.rejection.startswith("wrong-direction")


def test_an_ungrounded_second_sentence_ends_the_reply_and_the_answer_stays_complete(
        engine: DialogEngine) -> None:
    heard: list[str] = []
    reply = guarded(engine, "501", Intent.WALK_TIME, "en", heard)
    reply.accept(["Paiknam Library is building 501.", "It is 45 minutes away by bus."])
    reply.finish()
    assert "45" not in " ".join(heard) and "6 minutes" in " ".join(heard)


@pytest.mark.parametrize(("code", "lang", "way"), [("802", "en", "hill"), ("802", "ko", "언덕"),
                                                   ("105", "en", "left")])
def test_minutes_alone_do_not_answer_where_a_place_is(engine: DialogEngine, code: str,
                                                      lang: str, way: str) -> None:
    """A route that names no building: the model stopping after the walk time has not said
    where the place is, so the KB's route sentence follows."""
    place = engine.kb.by_code(code)
    assert place is not None
    walk = answers.compose(place, Intent.LOCATION, lang, engine.kb).split(". ")[0] + "."
    heard: list[str] = []
    reply = guarded(engine, code, Intent.LOCATION, lang, heard)
    reply.accept([walk])
    assert not reply.answers_question()
    reply.finish()
    assert reply.completed and heard[0] == walk and way in " ".join(heard[1:])


def test_the_place_name_does_not_count_as_its_facilities(engine: DialogEngine) -> None:
    """"What's inside?" about the Olympic Gymnasium ("an indoor gymnasium"): its name already
    says gymnasium, so an answer giving only the walk time is completed from the KB."""
    heard: list[str] = []
    reply = guarded(engine, "306", Intent.FEATURES, "en", heard)
    reply.accept(
        ["The Olympic Gymnasium (building 306) is about 2 minutes on foot from Aeji Gate."])
    assert not reply.answers_question()
    reply.finish()
    assert "indoor" in " ".join(heard)


class BreaksAfter:
    """The real model's stream, cut by an exception or a stall after `pieces` pieces."""

    def __init__(self, model: LanguageModel, pieces: int, stall_s: float = 0.0) -> None:
        self._model, self._pieces, self._stall_s = model, pieces, stall_s

    def stream(self, prompt: str, stop: list[str], **kwargs: object) -> Iterator[str]:
        for index, piece in enumerate(self._model.stream(prompt, stop, **kwargs)):  # type: ignore[arg-type]
            if index == self._pieces:
                if self._stall_s:
                    time.sleep(self._stall_s)
                else:
                    raise RuntimeError("llama_decode returned -3")
            yield piece

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)


@pytest.mark.slow
@pytest.mark.parametrize("pieces", [0, 12])
def test_an_llm_error_mid_reply_still_gives_a_complete_answer(config: Config,
                                                              pieces: int) -> None:
    real = DialogEngine(config)
    engine = DialogEngine(config, kb=real.kb, llm=BreaksAfter(real.llm, pieces))  # type: ignore[arg-type]
    spoken: list[str] = []
    reply = engine.answer("How long does it take to walk to Paiknam Library?", "fault",
                          spoken.append)
    assert "6" in reply.answer and "501" in reply.places
    assert " ".join(spoken) == reply.answer
    real.llm.unload()


class NeverAnswers:
    """A model that gives no token until released: llama.cpp stalled by another process."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.waiting = threading.Event()

    def stream(self, prompt: str, stop: list[str], **kwargs: object) -> Iterator[str]:
        self.waiting.set()
        self.release.wait(60)
        yield "Too late."


def test_the_first_sentence_deadline_fires_without_a_token(config: Config) -> None:
    """The KB answer is given while the model still has not produced its first token (the
    deadline used to be looked at only when a token came: a 9.7 s TTFA under load)."""
    config = config.model_copy(update={"llm": config.llm.model_copy(
        update={"first_sentence_timeout_s": 0.2})})
    stalled = NeverAnswers()
    engine = DialogEngine(config, llm=stalled)  # type: ignore[arg-type]
    try:
        reply = engine.answer("Where is the Main Building?", "stall")
        assert stalled.waiting.is_set() and not stalled.release.is_set()
        assert reply.source == "template" and reply.guard == "slow"
        assert "102" in reply.places
    finally:
        stalled.release.set()


@pytest.mark.parametrize(("sentence", "finished"), [
    ("It is on your left.", True), ("왼쪽에 있어요.", True), ("왼쪽에 있어요", True),
    ("Is it far?", True), ("본관의 오른쪽 길을 따라 올라가다가 건물번호", False),
    ("From Aeji Gate, climb the hill behind the", False),
])
def test_an_unterminated_fragment_is_not_a_sentence(sentence: str, finished: bool) -> None:
    from kiosk.dialog.sentences import looks_finished
    assert looks_finished(sentence) is finished


@pytest.mark.slow
@pytest.mark.parametrize(("question", "minutes"), [
    ("재성토목관 어디 있어요?", "5분"),
    ("Where is the Jaesung Civil Engineering Building?", "5 minutes")])
def test_a_reply_cut_by_the_token_limit_never_speaks_the_cut_fragment(
        config: Config, question: str, minutes: str) -> None:
    config = config.model_copy(update={"llm": config.llm.model_copy(
        update={"max_tokens": 40, "first_sentence_timeout_s": 30.0})})
    engine = DialogEngine(config)
    spoken: list[str] = []
    reply = engine.answer(question, "cut", spoken.append)
    assert reply.source == "llm" and minutes in reply.answer
    assert spoken and all(s.rstrip()[-1] in ".!?요다" for s in spoken), spoken
    engine.llm.unload()


@pytest.mark.parametrize(("lang", "said", "added"), [
    ("ko", "한양플라자(105번)에는 푸드코트, 편의점이 있어요.", "카페도 있어요."),
    ("en", "At Hanyang Plaza (building 105) you'll find a food court and a convenience store.",
     "It also has a café."),
])
def test_a_facility_left_out_is_added_briefly_not_the_whole_list_again(
        engine: DialogEngine, lang: str, said: str, added: str) -> None:
    heard: list[str] = []
    place = engine.kb.by_code("105")
    assert place is not None
    facts = " ".join(answers.facts(place, Intent.FEATURES, lang, engine.kb))
    reply = GuardedReply(facts, lang, engine.requirements(place, Intent.FEATURES, lang),
                         engine.mentions, heard.append,
                         answers.compose(place, Intent.FEATURES, lang, engine.kb),
                         engine.facilities(place, Intent.FEATURES, lang))
    assert reply.accept([said])
    reply.finish()
    assert heard == [said, added] and reply.completed


def test_the_korean_copula_fits_the_word_before_it(engine: DialogEngine) -> None:
    heard: list[str] = []
    reply = guarded(engine, "806", Intent.CATEGORY, "ko", heard)
    reply.accept(["한누리관(806번)은 기숙사이에요."])
    assert heard == ["한누리관(806번)은 기숙사예요."]
