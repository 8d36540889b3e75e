"""Numbers as visitors say them, turned into digits before places are looked up.

Whisper writes most numbers as digits, but not all: "where is building one oh five", "the
second dormitory", "육백칠 번 건물" arrive as words. Building numbers and numbered names
("Dormitory 2", "Law Building III") are matched on digits, so the spoken forms are rewritten
here. Only forms that cannot be ordinary words are rewritten: a lone "one" stays ("which one"),
and a lone number word becomes a digit only right after a noun that is numbered ("building
two", "dorm number three"); an ordinal only right before a place noun ("the sixth dormitory").
"""

from __future__ import annotations

import re

_UNITS_EN = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS_EN = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS_EN = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_ORDINALS_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3,
    "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10,
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}

# Nouns after which a lone number word or a Roman numeral is a number ("building two",
# "Engineering Building II", "dorm number three").
_NUMBERED_NOUNS = frozenset(
    "building buildings bldg dorm dormitory hall residence number no num gate exit wing "
    "center centre".split()
)
# Nouns an ordinal may stand before, with at most one word between ("second student dorm").
_ORDINAL_NOUNS = frozenset(
    "building dorm dormitory hall residence engineering law student gate exit".split()
)
_WORD = re.compile(r"\d+(?:st|nd|rd|th)\b|[a-z]+|\d+|[^a-z\d]+", re.IGNORECASE)

# Sino-Korean numerals as building numbers: "육백칠 번", "백오번", "오공일 동".
_KO_DIGIT = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8,
             "구": 9, "공": 0, "영": 0}
_KO_D = "[일이삼사오육륙칠팔구]"
_KO_HUNDREDS = re.compile(
    rf"(?<![가-힣])({_KO_D}?백)\s?({_KO_D}?십)?\s?({_KO_D})?(?=\s*(?:번|동|호관))"
    # "칠백육 어디예요?": with a digit before 백 it can be no other word
    rf"|(?<![가-힣])({_KO_D}백)\s?({_KO_D}?십)?\s?({_KO_D})?(?=\s|$|[은는가을를에의])"
)
_KO_DIGIT_BY_DIGIT = re.compile(
    rf"(?<![가-힣])({_KO_D})([공영]|{_KO_D})({_KO_D}|[공영])(?=\s*(?:번|동|호관))"
)


def _ko_value(part: str | None, unit: str) -> int:
    """'육백' -> 600, '백' -> 100, '십' -> 10, None -> 0."""
    if not part:
        return 0
    digit = part[: -len(unit)]
    scale = 100 if unit == "백" else 10
    return (_KO_DIGIT[digit] if digit else 1) * scale


def _korean(text: str) -> str:
    def hundreds(m: re.Match[str]) -> str:
        h, t, u = m.groups()[:3] if m.group(1) else m.groups()[3:]
        value = _ko_value(h, "백") + _ko_value(t, "십")
        return str(value + (_KO_DIGIT[u] if u else 0))

    def digits(m: re.Match[str]) -> str:
        return "".join(str(_KO_DIGIT[g]) for g in m.groups())

    return _KO_DIGIT_BY_DIGIT.sub(digits, _KO_HUNDREDS.sub(hundreds, text))


def _read_number(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """(value, words used, spoken as a digit sequence) for an English number at words[i].

    Digit sequences ("one oh five") and hundreds ("one hundred (and) five", "six hundred
    seven") up to 999, or a plain 1..99.
    """
    w = words[i].lower()
    if w in _UNITS_EN and w not in ("oh", "o"):
        # "one oh five", "five zero one": two or three digits said one by one.
        j, digits = i, ""
        while j < len(words) and words[j].lower() in _UNITS_EN and len(digits) < 3:
            digits += str(_UNITS_EN[words[j].lower()])
            j += 1
        if len(digits) == 1 and (rest := _read_below_hundred(words, j)) and rest[0] >= 10:
            return _UNITS_EN[w] * 100 + rest[0], 1 + rest[1], True  # "two eleven" = 211
        if len(digits) >= 2:
            return int(digits), j - i, True
        if j < len(words) and words[j].lower() == "hundred":
            value, j = _UNITS_EN[w] * 100, j + 1
            if j < len(words) and words[j].lower() == "and":
                j += 1
            rest = _read_below_hundred(words, j)
            if rest:
                value, j = value + rest[0], j + rest[1]
            elif j > i + 2 and words[j - 1].lower() == "and":
                j -= 1
            return value, j - i, False
        return _UNITS_EN[w], 1, False
    below = _read_below_hundred(words, i)
    return (below[0], below[1], False) if below else None


def _read_below_hundred(words: list[str], i: int) -> tuple[int, int] | None:
    if i >= len(words):
        return None
    w = words[i].lower()
    if w in _TEENS_EN:
        return _TEENS_EN[w], 1
    if w in _TENS_EN:
        unit = words[i + 1].lower() if i + 1 < len(words) else ""
        if unit in _UNITS_EN and unit not in ("oh", "o", "zero"):
            return _TENS_EN[w] + _UNITS_EN[unit], 2
        return _TENS_EN[w], 1
    if w in _UNITS_EN and w not in ("oh", "o", "zero"):
        return _UNITS_EN[w], 1
    return None


def _english(text: str) -> str:
    pieces = _WORD.findall(text)
    word_at = [k for k, p in enumerate(pieces) if p.strip() and p[0].isalnum()]
    words = [pieces[k] for k in word_at]
    out = list(pieces)
    i = 0
    while i < len(words):
        low = words[i].lower()
        before = words[i - 1].lower() if i else ""
        after = [w.lower() for w in words[i + 1 : i + 3]]
        if low in _ORDINALS_EN and any(w in _ORDINAL_NOUNS for w in after):
            out[word_at[i]] = str(_ORDINALS_EN[low])
            i += 1
            continue
        if low in _ROMAN and before in _NUMBERED_NOUNS:
            out[word_at[i]] = str(_ROMAN[low])
            i += 1
            continue
        number = _read_number(words, i)
        if number is None:
            i += 1
            continue
        value, used, digit_sequence = number
        if used > 1 or digit_sequence or before in _NUMBERED_NOUNS:
            out[word_at[i]] = str(value)
            for k in range(1, used):  # the other words and the spaces between them go
                for p in range(word_at[i + k - 1] + 1, word_at[i + k] + 1):
                    out[p] = ""
        i += used
    return "".join(out)


# Whisper writes "seven oh five" as "7.0.5" or "7-0-5" at times.
_DIGIT_BY_DIGIT = re.compile(r"(?<![\d.\-])(\d)[.\-](\d)[.\-](\d)(?![\d\-]|\.\d)")


# ASR writes the "two" of "building two eleven" as "too" or "to".
_TOO = re.compile(r"\b(building|bldg|number|no|dorm|hall)\s+(too|to)\s+(?=(one|two|three|four|five|"
                  r"six|seven|eight|nine|oh|zero|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                  r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
                  r"seventy|eighty|ninety)\b)", re.IGNORECASE)


def spoken_numbers_to_digits(text: str) -> str:
    """Rewrite spoken building numbers and numbered names as digits; other text unchanged."""
    text = _TOO.sub(r"\1 two ", text)
    return _DIGIT_BY_DIGIT.sub(r"\1\2\3", _english(_korean(text)))
