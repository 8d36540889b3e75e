"""A kind of place there are several of: all of them by number, the way to the nearest."""

from __future__ import annotations

import pytest

from kiosk.campus import answers
from kiosk.campus.groups import find_group
from kiosk.campus.knowledge import KnowledgeBase
from kiosk.config import Config
from kiosk.dialog.engine import DialogEngine


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize(("text", "codes"), [
    ("where are the dorms", {"801", "802", "803", "804", "805", "806", "809", "810"}),
    ("기숙사 어디예요", {"801", "802", "803", "804", "805", "806", "809", "810"}),
    ("한양대 기숙사 어디야", {"801", "802", "803", "804", "805", "806", "809", "810"}),
    ("법학관 어디야", {"407", "408", "409"}),
    ("where are the law buildings", {"407", "408", "409"}),
    ("where's the music building", {"402", "403", "405"}),
])
def test_a_kind_of_place_names_all_of_its_places(kb: KnowledgeBase, text: str,
                                                  codes: set[str]) -> None:
    group = find_group(text, kb)
    assert group is not None and set(group.codes) == codes
    minutes = [kb.by_code(c).minutes_from_gate for c in group.codes]  # type: ignore[union-attr]
    assert minutes == sorted(minutes)


@pytest.mark.parametrize("text", ["호그와트 기숙사 어디야", "where is the hogwarts dorm",
                                  "where is the east hospital building", "본관 어디야",
                                  "where is the main building", "what a nice building",
                                  "What's Building 600-18?"])  # "what s building": no name
def test_no_group_for_another_place_or_a_single_one(kb: KnowledgeBase, text: str) -> None:
    assert find_group(text, kb) is None


@pytest.mark.parametrize(("lang", "noun", "says"), [
    ("en", "law buildings", ["There are 3 law buildings", "Law School Building I (building 407)",
                             "The nearest", "9 minutes"]),
    ("ko", "법학관", ["법학관은 3곳이 있어요", "407번, 408번, 409번", "제1법학관(407번)", "9분"]),
])
def test_the_answer_says_how_many_which_and_the_walk_to_the_nearest(
        kb: KnowledgeBase, lang: str, noun: str, says: list[str]) -> None:
    text = answers.several(("407", "408", "409"), noun, lang, kb)  # type: ignore[arg-type]
    assert all(part in text for part in says), text


def test_a_follow_up_goes_to_the_nearest(config: Config, kb: KnowledgeBase) -> None:
    no_model = config.without_llm()
    engine = DialogEngine(no_model, kb=kb)
    first = engine.answer("기숙사 어디예요?", "dorms")
    assert first.guard == "several" and "8곳" in first.answer
    assert "8 dormitories" in first.answer_en  # what the English fallback voice says
    follow = engine.answer("거기 어떻게 가요?", "dorms")
    assert follow.places == (first.places[0],)
