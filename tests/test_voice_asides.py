"""What the voice loop takes for an aside when it hears it over its own reply: no turn, and the
reply goes on (`kiosk.pipeline.is_aside`). Text in, on the real understanding."""

from __future__ import annotations

import pytest

from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.understand import understand
from kiosk.pipeline import is_aside


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize("heard", [
    "Okay.", "uh huh", "네, 네", "아 알겠어요", "음",      # a listener's nod
    "Hydra", "생활", "대학", "Hanyang Univ.", "",       # a noise or the reply's own residual
])
def test_a_nod_or_a_stray_word_is_an_aside(kb: KnowledgeBase, heard: str) -> None:
    assert is_aside(understand(heard, kb, ("105",)))


@pytest.mark.parametrize("heard", [
    "Where is Starbucks?", "스타벅스 어디예요", "도서관?", "How far?",  # questions, known or not
    "Stop.", "그만", "Thanks!", "Say that again?", "in Korean please",  # acts that are turns
    "How long does it take to walk to Paiknam Library?",
])
def test_a_question_or_an_act_over_the_reply_is_a_turn(kb: KnowledgeBase, heard: str) -> None:
    assert not is_aside(understand(heard, kb, ("105",), understand("Where is Hanyang Plaza?", kb)))
