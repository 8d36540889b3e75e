"""Place names as Whisper base really misheard them on the kiosk's own audio still resolve."""

from __future__ import annotations

import pytest

from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.retrieval import find_places

# Transcripts seen from Whisper base on TTS fixtures, barge-in mixtures and the real audio loop.
HEARD = [
    ("How long does it take to walk to Pagnum Library?", "501"),
    ("How long does it take to walk to Peknam Library?", "501"),
    ("A lot of this takes to walk to Pignum Library.", "501"),
    ("How long does it take to walk to pick up library?", "501"),
    ("Where's Hanyang Plaza?", "105"),
    ("where is ten yarn plaza", "105"),
    ("What is next to the student union?", "107"),
    ("How far is the EG gate?", "104"),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize(("heard", "code"), HEARD)
def test_misheard_names_resolve(kb: KnowledgeBase, heard: str, code: str) -> None:
    assert find_places(heard, kb)[:1] == [code]


@pytest.mark.parametrize("heard", ["where is the public library", "where is the big name library",
                                   "is the pink gym open"])
def test_similar_sounding_other_things_do_not(kb: KnowledgeBase, heard: str) -> None:
    assert find_places(heard, kb) == []
