"""English text as it is read aloud: the seed data's abbreviations written out in full.

Why: Piper reads what it is given. The seed data says "Exit 2 of Hanyang Univ. Station", and
Piper said "Unif" for "Univ." (Whisper then heard "Hengang Unif Station": CI run of stop 19).
A visitor standing at the gate should hear the word a person would say. The answer text on
screen and in the logs stays as written; only the voice gets the long form.
"""

from __future__ import annotations

import re

# Abbreviation (with its full stop) → the words a person says. Only the ones that occur in
# kiosk answers or the seed data, plus the few a guide's sentence could plausibly contain.
_ABBREVIATIONS: dict[str, str] = {
    "Univ.": "University",
    "Bldg.": "Building",
    "Dept.": "Department",
    "Sta.": "Station",
    "Ave.": "Avenue",
    "approx.": "about",
    "min.": "minutes",
    "mins.": "minutes",
    "e.g.": "for example",
    "i.e.": "that is",
}
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?=\s|$|[,;:)])")
# "No." is only "Number" before a digit ("No. 5"); "No." at a sentence end is the word no.
_NUMBER_SIGN = re.compile(r"\bNo\.(?=\s*\d)")
_MINUTES = re.compile(r"\b(\d+)\s?min\b")


def speakable_english(text: str) -> str:
    """``text`` with its abbreviations expanded for the English voice."""
    text = _NUMBER_SIGN.sub("Number", text)
    text = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
    return _MINUTES.sub(lambda m: f"{m.group(1)} minutes", text)
