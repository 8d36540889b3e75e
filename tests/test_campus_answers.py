"""Templated answers state the right facts, in the asked language only."""

from __future__ import annotations

import re

import pytest

from kiosk.campus.answers import (
    allowed_names,
    allowed_numbers,
    compose,
    facts,
    greeting,
    help_text,
    josa,
    refusal,
)
from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.retrieval import PLACE_INTENTS, Intent, detect_language

HANGUL = re.compile(r"[가-힣]")
LANGS = ("ko", "en")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s])


@pytest.mark.parametrize("intent", sorted(PLACE_INTENTS | {Intent.UNKNOWN}))
@pytest.mark.parametrize("lang", LANGS)
def test_every_place_every_intent(kb: KnowledgeBase, intent: Intent, lang: str) -> None:
    for place in kb.places:
        text = compose(place, intent, lang, kb)
        assert text and text[-1] in ".!", (place.code, text)
        assert 1 <= _sentences(text) <= 4, (place.code, text)
        if lang == "en":
            assert not HANGUL.search(text), (place.code, text)
        else:
            assert place.name_ko in text, (place.code, text)
            assert text.rstrip(".").endswith(("요", "요!")), (place.code, text)
        assert detect_language(text) == lang, (place.code, text)


@pytest.mark.parametrize(
    ("code", "intent", "lang", "must"),
    [
        ("105", Intent.LOCATION, "ko", ["한양플라자", "1분", "왼쪽"]),
        ("105", Intent.LOCATION, "en", ["Hanyang Plaza", "105", "1 minute", "left"]),
        ("501", Intent.ROUTE, "en", ["Paiknam Library", "Main Building", "6 minutes"]),
        ("501", Intent.ROUTE, "ko", ["백남학술정보관", "본관", "6분"]),
        ("102", Intent.CODE, "ko", ["본관", "102번"]),
        ("102", Intent.CODE, "en", ["Main Building", "102"]),
        ("104", Intent.CODE, "en", ["Aeji Gate", "104", "Exit 2"]),
        ("701", Intent.WALK_TIME, "ko", ["한양종합기술연구원", "12분"]),
        ("701", Intent.WALK_TIME, "en", ["Hanyang Institute of Technology", "12 minutes"]),
        ("101", Intent.NEIGHBOURS, "ko", ["본관(102번)", "오른쪽", "한양플라자(105번)", "앞쪽"]),
        (
            "101",
            Intent.NEIGHBOURS,
            "en",
            [
                "Main Building (building 102)",
                "to the right",
                "Hanyang Plaza (building 105)",
                "in front",
            ],
        ),
        ("105", Intent.NEIGHBOURS, "en", ["Aeji Gate", "Student Union Building"]),
        ("301", Intent.NEIGHBOURS, "ko", ["한양대역", "제1의학관"]),
        ("306", Intent.CATEGORY, "ko", ["체육시설", "실내체육관"]),
        ("306", Intent.CATEGORY, "en", ["sports facility", "indoor gymnasium"]),
        ("208", Intent.FLOORS, "ko", ["13층"]),
        ("208", Intent.FLOORS, "en", ["13 floors"]),
        ("501", Intent.FLOORS, "en", ["6 floors", "3 below"]),
        ("301", Intent.FLOORS, "en", ["outdoors"]),
        ("803", Intent.FLOORS, "en", ["high-rise"]),
        ("105", Intent.FEATURES, "ko", ["푸드코트", "편의점", "카페"]),
        ("105", Intent.FEATURES, "en", ["food court", "convenience store", "café"]),
    ],
)
def test_answer_contains_facts(
    kb: KnowledgeBase, code: str, intent: Intent, lang: str, must: list[str]
) -> None:
    text = compose(kb.by_code(code), intent, lang, kb)
    for fact in must:
        assert fact in text, (fact, text)


@pytest.mark.parametrize("lang", LANGS)
def test_where_answers_lead_with_the_walk_time(kb: KnowledgeBase, lang: str) -> None:
    """The short sentence (name, number, minutes) comes first: it is what a visitor decides
    on, and the voice loop can speak it while the model still writes the long route."""
    from kiosk.dialog.sentences import split_sentences

    for place in kb.places:
        if place.code == "104" or not place.code.isdigit():
            continue  # the gate and the station: the route itself says "right here"
        text = compose(place, Intent.LOCATION, lang, kb)
        first, *rest = split_sentences(text)
        minutes = str(place.minutes_from_gate)
        assert rest and (minutes in first or "바로" in first or "right at" in first), text
        assert place.code in first, text
        route = place.route_ko if lang == "ko" else place.route_en
        assert route not in first and route in " ".join(rest), text


def test_korean_particles() -> None:
    assert josa("한양플라자(105번)", "은/는") == "한양플라자(105번)는"
    assert josa("본관", "이/가") == "본관이"
    assert josa("학생회관", "으로/로") == "학생회관으로"
    assert josa("올림픽체육관", "이에요/예요") == "올림픽체육관이에요"
    assert josa("기숙사", "이에요/예요") == "기숙사예요"


@pytest.mark.parametrize("reason", ["unknown_place", "offtopic", "injection"])
def test_refusals_say_what_can_be_asked(reason: str) -> None:
    ko, en = refusal("ko", reason), refusal("en", reason)
    assert "죄송" in ko and "가는 길" in ko
    assert en.startswith("Sorry") and "Aeji Gate" in en and not HANGUL.search(en)


def test_greeting_and_help() -> None:
    assert "안녕하세요" in greeting("ko") and "애지문" in greeting("ko")
    assert "Hello" in greeting("en") and not HANGUL.search(greeting("en"))
    assert "건물 번호" in help_text("ko")
    assert "Paiknam Library" in help_text("en") and not HANGUL.search(help_text("en"))


def test_compose_non_place_intents(kb: KnowledgeBase) -> None:
    place = kb.by_code("105")
    assert compose(place, Intent.GREETING, "en", kb) == greeting("en")
    assert compose(place, Intent.HELP, "ko", kb) == help_text("ko")
    assert compose(place, Intent.OFFTOPIC, "en", kb) == refusal("en", "offtopic")


def test_facts_lines(kb: KnowledgeBase) -> None:
    place = kb.by_code("105")
    en = facts(place, Intent.NEIGHBOURS, "en", kb)
    assert en[0] == "Hanyang Plaza (building 105): 1 minute walk from Aeji Gate"
    assert "second: Student Union Building (107), to the right" in en
    ko = facts(place, Intent.NEIGHBOURS, "ko", kb)
    assert ko[0].startswith("한양플라자 (105번)") and "1분" in ko[0]
    for intent in PLACE_INTENTS:
        for line in facts(place, intent, "en", kb):
            assert not HANGUL.search(line), line


def test_allowed_numbers_and_names(kb: KnowledgeBase) -> None:
    place = kb.by_code("101")
    nums = allowed_numbers(place, kb)
    assert {"101", "2", "3", "102", "105"} <= nums  # code, minutes, floors, neighbours
    assert {"5", "4", "1"} <= nums  # neighbours' floors and minutes
    assert "999" not in nums
    names_en = allowed_names(place, kb, "en")
    assert {"History Hall", "Main Building", "Hanyang Plaza", "Aeji Gate"} <= names_en
    assert "Paiknam Library" not in names_en
    assert "역사관" in allowed_names(place, kb, "ko")


def test_every_number_in_an_answer_is_allowed(kb: KnowledgeBase) -> None:
    for place in kb.places:
        nums = allowed_numbers(place, kb)
        for intent in PLACE_INTENTS:
            for lang in LANGS:
                for n in re.findall(r"\d+", compose(place, intent, lang, kb)):
                    assert n in nums, (place.code, intent, lang, n)
