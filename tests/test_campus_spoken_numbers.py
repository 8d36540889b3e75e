"""Spoken building numbers and numbered names become digits; ordinary words stay words."""

from __future__ import annotations

import pytest

from kiosk.campus.spoken_numbers import spoken_numbers_to_digits


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("where is building one oh five", "where is building 105"),
        ("where's building five oh one?", "where's building 501?"),
        ("how many minutes to building seven o five", "how many minutes to building 705"),
        ("one hundred and five", "105"),
        ("building six hundred seven please", "building 607 please"),
        ("how do i get to engineering building two", "how do i get to engineering building 2"),
        ("how far to dormitory number three", "how far to dormitory number 3"),
        ("the second student dormitory", "the 2 student dormitory"),
        ("the 6th dorm", "the 6 dorm"),
        ("Engineering Building II", "Engineering Building 2"),
        ("육백칠 번 건물 어디 있어요", "607 번 건물 어디 있어요"),
        ("백오번 어디", "105번 어디"),
        ("이백십일번", "211번"),
        ("오공일동 어디야", "501동 어디야"),
        ("How many minutes to building 7.0.5?", "How many minutes to building 705?"),
        ("where is 5-0-1", "where is 501"),
    ],
)
def test_spoken_numbers_become_digits(said: str, written: str) -> None:
    assert spoken_numbers_to_digits(said) == written


@pytest.mark.parametrize(
    "text",
    [
        "which one is the library",
        "it takes two minutes",
        "the first floor",
        "I have one question",
        "백남학술정보관 어디예요",
        "제2공학관 가는 길",
        "이 건물 몇 층이에요",
        "오늘 일 끝나고 가요",
        "version 1.2.3.4 and 10.0.5",
    ],
)
def test_ordinary_words_stay(text: str) -> None:
    assert spoken_numbers_to_digits(text) == text
