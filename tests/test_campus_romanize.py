"""Korean names read off romanised signs: the Revised Romanization the place index adds, and
the names a tourist says with it."""

from __future__ import annotations

import pytest

from kiosk.campus import retrieval
from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.romanize import romanize


@pytest.mark.parametrize(("hangul", "latin"), [
    ("학관", "hakgwan"), ("동문회관", "dongmunhoegwan"), ("경영관", "gyeongyeonggwan"),
    ("올림픽체육관", "ollimpikcheyukgwan"),  # ㄹ+ㄹ is "ll"
    ("학원", "hagwon"),                      # a coda carried over to the next vowel
    ("애지문", "aejimun"), ("신라", "silla"), ("Hanyang 플라자", "hanyang peullaja"),
])
def test_revised_romanization(hangul: str, latin: str) -> None:
    assert romanize(hangul) == latin


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize(("said", "code"), [
    ("Where's hakgwan?", "107"), ("Where is Gyeongyeonggwan?", "706"),
    ("How far is Ollimpik Cheyukgwan?", "306"), ("Where's Dongmun Hoegwan?", "607"),
    ("where is gook jay gwan", "108"),  # heard syllable by syllable
])
def test_a_name_read_off_a_romanised_sign_finds_the_place(kb: KnowledgeBase, said: str,
                                                          code: str) -> None:
    assert retrieval.find_places(said, kb)[:1] == [code]


@pytest.mark.parametrize("said", [
    "where is the police station",             # not 올체 ("olche")
    "a bit slower please, my English is not so good",  # not 응급센터 ("eunggeupsenteo")
])
def test_english_words_are_not_taken_for_a_romanised_name(kb: KnowledgeBase, said: str) -> None:
    assert retrieval.find_places(said, kb) == []
