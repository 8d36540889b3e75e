"""Korean names in Latin letters, the way a visitor who reads the signs says them.

Tourists read building names off romanised signs and maps ("Hakgwan", "Dongmun Hoegwan",
"Ollimpik Cheyukgwan") or say the Korean name they heard in their own spelling. The KB has
English names and a few official romanisations (Paiknam), not these: the place index adds the
Revised Romanization of every Hangul name and alias, and its phonetic matching takes the
spellings close to it ("Gyeongyonggwan", "Jaesung").

Revised Romanization, syllable by syllable, with the two sound changes a sign shows: a coda
carried over to a following vowel (학원 "hagwon"), and ㄹ+ㄹ / ㄴ+ㄹ as "ll" (올림픽 "ollimpik").
"""

from __future__ import annotations

_ONSETS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k",
           "t", "p", "h")
_VOWELS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
           "wo", "we", "wi", "yu", "eu", "ui", "i")
# a coda as said at a word's end or before a consonant
_CODAS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m",
          "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t")
# a coda carried over to the next syllable when that one starts with a vowel (ㅇ onset)
_CARRIED = {1: "g", 2: "kk", 4: "n", 7: "d", 8: "r", 16: "m", 17: "b", 19: "s", 20: "ss",
            22: "j", 23: "ch", 24: "k", 25: "t", 26: "p"}
_SILENT_ONSET = 11
_RIEUL_ONSET = 5
_NIEUN_CODA, _RIEUL_CODA, _NG_CODA = 4, 8, 21


def _syllables(word: str) -> list[tuple[int, int, int] | str]:
    out: list[tuple[int, int, int] | str] = []
    for char in word:
        n = ord(char) - 0xAC00
        out.append((n // 588, (n % 588) // 28, n % 28) if 0 <= n < 11172 else char)
    return out


def romanize(text: str) -> str:
    """Revised Romanization of the Hangul in `text`, lower case; other characters kept."""
    parts = _syllables(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            out.append(part.lower())
            continue
        onset, vowel, coda = part
        after = parts[i + 1] if i + 1 < len(parts) else None
        before = parts[i - 1] if i > 0 else None
        head = _ONSETS[onset]
        if (onset == _RIEUL_ONSET and isinstance(before, tuple)
                and before[2] in (_NIEUN_CODA, _RIEUL_CODA)):
            head = "l"  # 올림픽: ollimpik, 신라: silla
        tail = _CODAS[coda]
        if isinstance(after, tuple) and coda:
            if after[0] == _SILENT_ONSET and coda in _CARRIED:
                tail = ""  # carried over, written as the next syllable's onset
            elif after[0] == _RIEUL_ONSET and coda == _NIEUN_CODA:
                tail = "l"
        if isinstance(before, tuple) and onset == _SILENT_ONSET and before[2] in _CARRIED:
            head = _CARRIED[before[2]]
        out.append(head + _VOWELS[vowel] + tail)
    return "".join(out)
