"""Hangul → Latin letters (Revised Romanization, simplified) so an English Piper voice can read
Korean text aloud when no Korean voice is installed ("한양플라자" → "hanyangpeullaja").

Covers the rules that change how a name sounds: final-consonant neutralisation (ㅅ → t), linking
into a following ㅇ (학생이 → haksaengi), nasalisation before ㄴ/ㅁ (백남 → baengnam) and ㄹ
assimilation (신라 → silla, 종로 → jongno). Everything that is not a Hangul syllable (digits,
Latin, punctuation, spaces) passes through unchanged. Not for official transliteration.
"""

from __future__ import annotations

_BASE, _LAST = 0xAC00, 0xD7A3
_INITIALS = (
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "-", "j", "jj", "ch", "k", "t", "p",
    "h",
)
_MEDIALS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
)
# final index → (romanised when the syllable ends, coda kept and onset moved before ㅇ)
_FINALS: list[tuple[str, str, str]] = [
    ("", "", ""), ("k", "", "g"), ("k", "", "kk"), ("k", "k", "s"), ("n", "", "n"),
    ("n", "n", "j"), ("n", "", "n"), ("t", "", "d"), ("l", "", "r"), ("k", "l", "g"),
    ("m", "l", "m"), ("l", "l", "b"), ("l", "l", "s"), ("l", "l", "t"), ("p", "l", "p"),
    ("l", "", "r"), ("m", "", "m"), ("p", "", "b"), ("p", "p", "s"), ("t", "", "s"),
    ("t", "", "ss"), ("ng", "ng", ""), ("t", "", "j"), ("t", "", "ch"), ("k", "", "k"),
    ("t", "", "t"), ("p", "", "p"), ("t", "", ""),
]
_NASAL = {"k": "ng", "t": "n", "p": "m"}
_IEUNG, _NIEUN, _RIEUL, _MIEUM = 11, 2, 5, 6
_FINAL_RIEUL, _FINAL_NIEUN = 8, 4


def _split(ch: str) -> tuple[int, int, int] | None:
    code = ord(ch)
    if not _BASE <= code <= _LAST:
        return None
    code -= _BASE
    return code // 588, (code % 588) // 28, code % 28


def romanize(text: str) -> str:
    """Romanise every Hangul syllable in ``text``; other characters are kept as they are."""
    out: list[str] = []
    chars = list(text)
    carry = ""  # consonant linked from the previous syllable's final into this one
    for i, ch in enumerate(chars):
        parts = _split(ch)
        if parts is None:
            out.append(ch)
            carry = ""
            continue
        initial, medial, final = parts
        onset = carry if carry else _INITIALS[initial].replace("-", "")
        if carry == "" and initial == _RIEUL and i > 0 and _split(chars[i - 1]) is not None:
            prev_final = _split(chars[i - 1])[2]  # type: ignore[index]
            if prev_final in (_FINAL_RIEUL, _FINAL_NIEUN):
                onset = "l"
            elif prev_final:
                onset = "n"
        carry = ""
        coda = _FINALS[final][0]
        nxt = _split(chars[i + 1]) if i + 1 < len(chars) else None
        if final and nxt is not None:
            next_initial = nxt[0]
            if next_initial == _IEUNG:
                coda, carry = _FINALS[final][1], _FINALS[final][2]
            elif next_initial in (_NIEUN, _MIEUM) and coda in _NASAL:
                coda = _NASAL[coda]
            elif next_initial == _RIEUL and final == _FINAL_NIEUN:
                coda = "l"
            elif next_initial == _NIEUN and final == _FINAL_RIEUL:
                coda, carry = "l", "l"
        out.append(onset + _MEDIALS[medial] + coda)
    return "".join(out)
