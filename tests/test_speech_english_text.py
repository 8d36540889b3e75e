"""The English voice is handed words a person would say, not the seed data's abbreviations."""

from __future__ import annotations

import pytest

from kiosk.speech.english_text import speakable_english


@pytest.mark.parametrize(("written", "said"), [
    ("Exit 2 of Hanyang Univ. Station.", "Exit 2 of Hanyang University Station."),
    ("It is about 5 min on foot.", "It is about 5 minutes on foot."),
    ("Room No. 4 is upstairs.", "Room Number 4 is upstairs."),
    ("approx. 300 m, e.g. past the library", "about 300 m, for example past the library"),
])
def test_abbreviations_are_read_in_full(written: str, said: str) -> None:
    assert speakable_english(written) == said


@pytest.mark.parametrize("text", [
    "Is it open? No.",            # the word no, not a number sign
    "The minister's office.",      # "min" inside a word
    "Hanyang Plaza (building 105) is about a minute on foot from Aeji Gate.",
])
def test_ordinary_words_are_left_alone(text: str) -> None:
    assert speakable_english(text) == text
