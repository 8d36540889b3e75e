"""Korean text as it is read aloud: digits, Latin letters and symbols written out in Hangul.

Why: the Korean voice (Kokoro, kiosk/speech/kokoro.py) gets phonemes from Hangul only, and the
kiosk's answers are full of numbers ("501번", "제1공학관", "약 7분", "지상 6층") and a few
acronyms ("IT/BT관", "ROTC"). Counts and times are Sino-Korean in every answer the kiosk
makes (번, 층, 분, 관, 호, 동); the native numerals are used only before the counters that
take them (개, 곳, 명, 시, 군데, 가지), as a Korean speaker would.
"""

from __future__ import annotations

import re

_SINO_DIGITS = ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"]
_SINO_UNITS = ["", "십", "백", "천"]
_SINO_MYRIADS = ["", "만", "억", "조"]
_NATIVE_ONES = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉"]
_NATIVE_TENS = ["", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔"]
_NATIVE_COUNTERS = ("개", "곳", "명", "시", "군데", "가지", "마리", "살")
_LETTERS = {
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지",
    "h": "에이치", "i": "아이", "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔",
    "o": "오", "p": "피", "q": "큐", "r": "알", "s": "에스", "t": "티", "u": "유", "v": "브이",
    "w": "더블유", "x": "엑스", "y": "와이", "z": "지",
}
_UNITS = {"km": "킬로미터", "m": "미터", "%": "퍼센트"}
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?(\s*)(km|m(?![a-z])|%)?")
_LABEL = re.compile(r"([가-힣A-Za-z/]+)\((\d+번)\)")
_LATIN = re.compile(r"[A-Za-z]+")
_PUNCT = str.maketrans({"(": ",", ")": ",", "[": ",", "]": ",", "/": " ", "·": " ", "~": " ",
                        "-": " ", "'": "", '"': "", "“": "", "”": "", "‘": "", "’": "",
                        ":": ",", ";": ",", "…": "."})


def sino_korean(number: int) -> str:
    """Sino-Korean reading of a whole number: 501 → 오백일, 10 → 십, 0 → 영."""
    if number == 0:
        return _SINO_DIGITS[0]
    out = []
    for myriad in range(len(_SINO_MYRIADS) - 1, -1, -1):
        group = number // 10 ** (4 * myriad) % 10000
        if not group:
            continue
        words = ""
        for unit in range(3, -1, -1):
            digit = group // 10 ** unit % 10
            if digit:  # "일" is dropped before 십/백/천 (십, 백, 천), kept alone (일)
                words += ("" if digit == 1 and unit else _SINO_DIGITS[digit]) + _SINO_UNITS[unit]
                if unit >= 2 and group % 10 ** unit:
                    words += " "  # 102 → "백 이": no liaison (배기) inside a building number
        if myriad == 1 and group == 1:
            words = ""  # 10000 → 만, not 일만
        out.append(words + _SINO_MYRIADS[myriad])
    return "".join(out)


def native_korean(number: int) -> str | None:
    """Native reading for counters (1 → 한, 20 → 스무, 23 → 스물세); None above 99."""
    if not 0 < number < 100:
        return None
    tens, ones = divmod(number, 10)
    if number == 20:
        return "스무"
    return _NATIVE_TENS[tens] + _NATIVE_ONES[ones]


def _read_number(match: re.Match[str], text: str) -> str:
    whole, fraction, space, unit = match.group(1), match.group(2), match.group(3), match.group(4)
    after = text[match.end():]
    value = int(whole)
    native = native_korean(value) if not fraction and not unit and after.startswith(
        _NATIVE_COUNTERS) else None
    if native:
        words = native
    elif len(whole) > 1 and whole.startswith("0"):  # "010": read digit by digit
        words = "".join("공" if d == "0" else _SINO_DIGITS[int(d)] for d in whole)
    else:
        words = sino_korean(value)
    if fraction:
        words += "점" + "".join(_SINO_DIGITS[int(d)] for d in fraction)
    if unit:
        words += " " + _UNITS[unit]
    return words + space


def spell_latin(word: str) -> str:
    """Latin letters as Korean letter names: "IT" → 아이티, "ROTC" → 알오티씨."""
    return "".join(_LETTERS.get(c, "") for c in word.lower())


def normalise(text: str) -> str:
    """``text`` with numbers, units, Latin letters and symbols written in Hangul; sentence
    punctuation (, . ? !) is kept, since the voice pauses on it. A building number in
    brackets after a name ("역사관(101번)까지는") is read on, without a pause
    ("역사관 101번까지는"):
    the kiosk's particles already follow the number. (Said first, as "101번 역사관까지는",
    Whisper garbled the number at the start of the sentence: 17.4% CER, "3004번".)"""
    text = _LABEL.sub(r"\1 \2", text)
    text = _NUMBER.sub(lambda m: _read_number(m, m.string), text)
    text = _LATIN.sub(lambda m: spell_latin(m.group(0)), text)
    text = text.translate(_PUNCT)
    text = re.sub(r"\s*,[\s,]*", ", ", text)
    text = re.sub(r"\s+", " ", text).strip(" ,")
    return text
