"""The textual echo check shared by every echo canceller."""

from __future__ import annotations

import pytest

from kiosk.audio.own_words import OwnWords
from kiosk.diag.single_tap import EchoCanceller

ANSWER = ("Hanyang Plaza (building 105) is the building immediately on your left as you come "
          "out of Aeji Gate.")


def test_a_long_run_of_the_kiosks_words_is_its_own_echo_a_short_question_is_not() -> None:
    words = OwnWords()
    words.said(ANSWER)
    assert words.is_own_words("is the building immediately on your left as you come out")
    assert not words.is_own_words("Where's Hanyang Plaza?")
    assert not words.is_own_words("Where is Hanyang Plaza building 105?")


def test_what_was_said_before_the_window_no_longer_counts(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    clock = {"now": 100.0}
    monkeypatch.setattr("kiosk.audio.own_words.time.monotonic", lambda: clock["now"])
    words = OwnWords(window_s=15.0)
    words.said(ANSWER)
    clock["now"] += 16.0
    assert not words.is_own_words("is the building immediately on your left as you come out")


def test_the_single_tap_canceller_delegates_to_the_shared_check() -> None:
    echo = EchoCanceller()
    echo.said(ANSWER)
    assert echo.is_own_words("immediately on your left as you come out of Aeji Gate")
    assert echo.own_words.is_own_words("immediately on your left as you come out of Aeji Gate")


def test_a_fragment_of_the_reply_heard_while_it_plays_is_its_own() -> None:
    words = OwnWords(window_s=15.0)
    words.said("The Science and Technology Building (building 203) is about 6 minutes on foot.")
    assert words.is_own_words("Technology Building,", during_reply=True)
    assert words.is_own_words("about 6 minutes", during_reply=True)
    assert not words.is_own_words("Technology Building,")  # not while a reply played
    # A visitor's question during the reply shares names with it, never all of its words.
    assert not words.is_own_words("Where is the Technology Building?", during_reply=True)
    assert not words.is_own_words("Building 203, how many floors?", during_reply=True)
    assert not words.is_own_words("", during_reply=True)
