"""Visitor questions spoken by real voices, with noise, through Whisper and the engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.dialog import spoken_eval
from kiosk.errors import KioskError

pytestmark = pytest.mark.slow


def test_the_set_loads_questions_with_an_answer_in_both_languages() -> None:
    questions = spoken_eval.load_questions(spoken_eval.VISITOR_SET)
    assert sum(q.lang == "en" for q in questions) > 90
    assert sum(q.lang == "ko" for q in questions) >= 60
    assert all(q.code or q.kind == "refuse" for q in questions)
    assert {spoken_eval.voice_lang(v) for v in spoken_eval.available_voices()} == {"en", "ko"}


def test_a_broken_line_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "where is it"}\n')
    with pytest.raises(KioskError, match=r"bad\.jsonl:1: not a visitor question"):
        spoken_eval.load_questions(bad)


def test_a_missing_or_binary_set_is_one_clear_error(tmp_path: Path) -> None:
    from kiosk.dialog import evaluate

    binary = tmp_path / "set.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    for path in (tmp_path / "missing.jsonl", binary):
        for load in (spoken_eval.load_questions, evaluate.load_items):
            with pytest.raises(KioskError, match=r"question set .*(set|missing)\.jsonl"):
                load(path)


@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_spoken_questions_find_their_place_and_never_a_wrong_one(config: Config,
                                                                 voice: str) -> None:
    if voice == "espeak" and not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    picked = [q for q in spoken_eval.load_questions(spoken_eval.VISITOR_SET)
              if q.text in ("Where is Hanyang Plaza?", "where is the hospital",
                            "where is the gym", "tell me a joke")]
    outcomes = spoken_eval.evaluate_spoken(config, picked, [voice])  # type: ignore[list-item]
    summary = spoken_eval.summarise(outcomes)[voice]
    assert summary["questions"] == 4 and summary["wrong"] == 0
    assert summary["right"] >= 3, spoken_eval.format_report(outcomes, 20.0)


def test_korean_spoken_questions_are_answered_in_korean(config: Config) -> None:
    """Two Kokoro voices speak Korean questions; the kiosk finds the place (or refuses) and
    answers in Korean, never with a wrong place."""
    picked = [q for q in spoken_eval.load_questions(spoken_eval.VISITOR_SET, langs=("ko",))
              if q.code in ("501", "105")][:3]
    outcomes = spoken_eval.evaluate_spoken(config, picked, list(spoken_eval.KOREAN_VOICES))
    assert len(outcomes) == 2 * len(picked) == 6
    summary = spoken_eval.summarise(outcomes)
    report = spoken_eval.format_report(outcomes, 20.0)
    assert all(counts["wrong"] == 0 for counts in summary.values()), report
    assert all(o.answer_lang == "ko" for o in outcomes), report
    assert sum(counts["right"] for counts in summary.values()) >= 4, report
