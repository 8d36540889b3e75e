"""Korean text → the phonemes Kokoro reads, in two steps that can be checked apart.

1. ``pronounce``: the standard pronunciation rules, written back as Hangul ("같이" → "가치",
   "신라" → "실라", "학교" → "학꾜"): liaison, palatalisation, ㅎ aspiration and deletion,
   double-coda simplification, coda neutralisation, nasalisation, lateralisation and
   tensification. Applied inside a word (eojeol), as the rules are written.
2. ``to_phonemes``: that Hangul as IPA over Kokoro's vocabulary, with what a Japanese-trained
   voice needs to sound Korean (measured by Whisper round trip, docs/korean-voice.md): ㅓ as
   ɔ (ʌ is read as the English "strut" vowel: 걸어서 came out 칼아서), plain stops voiced
   between voiced sounds inside a word (ɡ d b; across a space they made 본관 "몽관"), ㅈ kept
   ʨ (voiced ʥ made 애지문에서 "애짐을 해서"), y-glides dropped after ʨ/ɕ (져 → ʨɔ), ㅅ
   before i/y as ɕ, ㄹ as ɾ between vowels and l in a coda, aspirates with ʰ.

Kokoro was never trained on Korean; its phoneme set is shared across its languages, which is
what makes this work at all.
"""

from __future__ import annotations

import itertools
import re

from kiosk.speech.korean_text import normalise

_BASE, _LAST = 0xAC00, 0xD7A3
ONSETS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
CODAS = ["", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ",
         "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]

# A double coda before a vowel: the first stays, the second starts the next syllable.
_SPLIT = {"ㄳ": ("ㄱ", "ㅆ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("ㄴ", "ㅎ"), "ㄺ": ("ㄹ", "ㄱ"),
          "ㄻ": ("ㄹ", "ㅁ"), "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅆ"), "ㄾ": ("ㄹ", "ㅌ"),
          "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("ㄹ", "ㅎ"), "ㅄ": ("ㅂ", "ㅆ")}
# ...before a consonant or a pause: one of the two is said.
_SIMPLE = {"ㄳ": "ㄱ", "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄺ": "ㄱ", "ㄻ": "ㅁ", "ㄼ": "ㄹ", "ㄽ": "ㄹ",
           "ㄾ": "ㄹ", "ㄿ": "ㅂ", "ㅀ": "ㄹ", "ㅄ": "ㅂ"}
# Coda neutralisation: seven sounds end a syllable.
_NEUTRAL = {"ㄲ": "ㄱ", "ㅋ": "ㄱ", "ㅅ": "ㄷ", "ㅆ": "ㄷ", "ㅈ": "ㄷ", "ㅊ": "ㄷ", "ㅌ": "ㄷ",
            "ㅎ": "ㄷ", "ㅍ": "ㅂ"}
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅂ": "ㅍ", "ㅈ": "ㅊ", "ㅅ": "ㅆ"}
_TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
_NASAL = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
_SONORANT_CODAS = {"ㄴ", "ㄹ", "ㅁ", "ㅇ"}

Syllable = list[str]  # [onset, vowel, coda]


def decompose(word: str) -> list[Syllable]:
    """Hangul syllables → [onset, vowel, coda] jamo; ``ValueError`` for anything else."""
    out = []
    for char in word:
        code = ord(char) - _BASE
        if not 0 <= code <= _LAST - _BASE:
            raise ValueError(f"not a Hangul syllable: {char!r}")
        out.append([ONSETS[code // 588], VOWELS[code // 28 % 21], CODAS[code % 28]])
    return out


def compose(syllables: list[Syllable]) -> str:
    return "".join(
        chr(_BASE + (ONSETS.index(o) * 21 + VOWELS.index(v)) * 28 + CODAS.index(c))
        for o, v, c in syllables)


def _before_vowel(this: Syllable, nxt: Syllable) -> None:
    """Coda + null onset (ㅇ): liaison, palatalisation, ㅎ deletion."""
    coda = this[2]
    if coda in ("", "ㅇ"):
        return
    if coda == "ㅎ":
        this[2] = ""
        return
    if coda in _SPLIT:
        this[2], nxt[0] = _SPLIT[coda]
        if nxt[0] == "ㅎ":  # 않아 → 아나, 싫어 → 시러
            nxt[0], this[2] = this[2], ""
        return
    this[2] = ""
    if nxt[1] == "ㅣ" and coda in ("ㄷ", "ㅌ"):  # 굳이 → 구지, 같이 → 가치
        nxt[0] = "ㅈ" if coda == "ㄷ" else "ㅊ"
    else:
        nxt[0] = coda


def _before_h(this: Syllable, nxt: Syllable) -> None:
    """Coda + ㅎ: aspiration (축하 → 추카, 맏형 → 마텽, 앉히다 → 안치다) or ㅎ deletion after
    ㄴ ㄹ ㅁ (은행 → 으냉, 결혼 → 겨론), as in connected speech. After ㅇ the ㅎ stays."""
    coda = this[2]
    if coda in ("ㄺ", "ㄼ", "ㄵ"):
        this[2], last = _SPLIT[coda]
        nxt[0] = _ASPIRATE[_NEUTRAL.get(last, last)]
    elif coda in ("ㄴ", "ㄹ", "ㅁ"):
        this[2], nxt[0] = "", coda
    elif coda in ("ㅈ", "ㅊ"):
        this[2], nxt[0] = "", "ㅊ"
    else:
        plain = _NEUTRAL.get(_SIMPLE.get(coda, coda), _SIMPLE.get(coda, coda))
        if plain in ("ㄱ", "ㄷ", "ㅂ"):
            this[2], nxt[0] = "", _ASPIRATE[plain]
    if nxt[0] == "ㅌ" and nxt[1] == "ㅣ":  # 굳히다 → 구치다
        nxt[0] = "ㅊ"


def _h_coda(this: Syllable, nxt: Syllable) -> bool:
    """Coda ㅎ/ㄶ/ㅀ + consonant: 좋다 → 조타, 많소 → 만쏘, 놓는 → 논는. True if handled."""
    if this[2] not in ("ㅎ", "ㄶ", "ㅀ"):
        return False
    rest = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}[this[2]]
    onset = nxt[0]
    if onset in ("ㄱ", "ㄷ", "ㅈ"):
        this[2], nxt[0] = rest, _ASPIRATE[onset]
    elif onset == "ㅅ":
        this[2], nxt[0] = rest, "ㅆ"
    elif onset == "ㄴ":
        this[2] = rest or "ㄴ"
        if rest == "ㄹ":
            nxt[0] = "ㄹ"
    else:
        this[2] = rest
    return True


def _consonant_meeting(this: Syllable, nxt: Syllable) -> None:
    """Neutralised coda + consonant onset: nasalisation, lateralisation, tensification."""
    coda = _SIMPLE.get(this[2], this[2])
    coda = _NEUTRAL.get(coda, coda)
    onset = nxt[0]
    if onset == "ㄹ":
        if coda == "ㄴ":
            coda = "ㄹ"  # 신라 → 실라
        elif coda in ("ㅁ", "ㅇ"):
            onset = "ㄴ"  # 음료 → 음뇨, 종로 → 종노
        elif coda in _NASAL:
            coda, onset = _NASAL[coda], "ㄴ"  # 협력 → 혐녁, 백로 → 뱅노
    elif coda == "ㄹ" and onset == "ㄴ":
        onset = "ㄹ"  # 설날 → 설랄
    elif coda in _NASAL and onset in ("ㄴ", "ㅁ"):
        coda = _NASAL[coda]  # 학년 → 항년, 입문 → 임문
    elif coda in _NASAL and onset in _TENSE:
        onset = _TENSE[onset]  # 학교 → 학꾜, 박물관 → 방물관 (above), 식당 → 식땅
    this[2], nxt[0] = coda, onset


def pronounce_word(word: str) -> str:
    """One Hangul word as it is pronounced, written in Hangul."""
    syllables = decompose(word)
    for this, nxt in itertools.pairwise(syllables):
        if not this[2]:
            continue
        if nxt[0] == "ㅇ":
            _before_vowel(this, nxt)
        elif nxt[0] == "ㅎ":
            _before_h(this, nxt)
        elif not _h_coda(this, nxt):
            _consonant_meeting(this, nxt)
    last = syllables[-1]
    last[2] = _NEUTRAL.get(_SIMPLE.get(last[2], last[2]), _SIMPLE.get(last[2], last[2]))
    return compose(syllables)


_HANGUL_RUN = re.compile(r"[가-힣]+")


def pronounce(text: str) -> str:
    """Normalised ``text`` (numbers, letters, symbols in Hangul) with every word as said."""
    return _HANGUL_RUN.sub(lambda m: pronounce_word(m.group(0)), normalise(text))


# --- Hangul as said → Kokoro phonemes -------------------------------------------------------

_ONSET_IPA = {"ㄱ": "k", "ㄲ": "k", "ㄴ": "n", "ㄷ": "t", "ㄸ": "t", "ㄹ": "ɾ", "ㅁ": "m",
              "ㅂ": "p", "ㅃ": "p", "ㅅ": "s", "ㅆ": "s", "ㅇ": "", "ㅈ": "ʨ", "ㅉ": "ʨ",
              "ㅊ": "ʨʰ", "ㅋ": "kʰ", "ㅌ": "tʰ", "ㅍ": "pʰ", "ㅎ": "h"}
_VOICED = {"ㄱ": "ɡ", "ㄷ": "d", "ㅂ": "b"}  # ㅈ stays ʨ: voiced ʥ made 애지문에서 "애짐을 해서"
_CODA_IPA = {"": "", "ㄱ": "k", "ㄴ": "n", "ㄷ": "t", "ㄹ": "l", "ㅁ": "m", "ㅂ": "p", "ㅇ": "ŋ"}
_VOWEL_IPA = {"ㅏ": "a", "ㅐ": "e", "ㅑ": "ja", "ㅒ": "je", "ㅓ": "ɔ", "ㅔ": "e", "ㅕ": "jɔ",
              "ㅖ": "je", "ㅗ": "o", "ㅘ": "wa", "ㅙ": "we", "ㅚ": "we", "ㅛ": "jo", "ㅜ": "u",
              "ㅝ": "wɔ", "ㅞ": "we", "ㅟ": "wi", "ㅠ": "ju", "ㅡ": "ɯ", "ㅢ": "ɯi", "ㅣ": "i"}
_PALATAL = ("ʨ", "ʥ", "ɕ")


def _vowel(onset: str, vowel: str, first: bool, last: bool) -> str:
    if vowel == "ㅢ":  # 의사 [의사], 희망 [히망], 주의사항 [주이사항], 본관의 [본과네]
        if not first and last:
            return "e"  # the particle 의, liaison or not
        return "ɯi" if first and onset == "ㅇ" else "i"
    if vowel == "ㅖ" and onset not in ("ㅇ", "ㄹ"):
        return "e"  # 계단 [게단]
    return _VOWEL_IPA[vowel]


def word_phonemes(word: str, voiced_start: bool = False) -> str:
    """A pronounced Hangul word → IPA. ``voiced_start``: the word follows a voiced sound in
    the same breath (plain stops voice across the space too)."""
    syllables = decompose(word)
    out = []
    for i, (onset, vowel, coda) in enumerate(syllables):
        prev_voiced = voiced_start if i == 0 else (
            not syllables[i - 1][2] or syllables[i - 1][2] in _SONORANT_CODAS)
        if onset in _VOICED and prev_voiced:
            consonant = _VOICED[onset]
        elif onset == "ㄹ" and i and syllables[i - 1][2] == "ㄹ":
            consonant = "l"
        elif onset == "ㄹ" and i == 0:
            consonant = "ɾ"
        else:
            consonant = _ONSET_IPA[onset]
        nucleus = _vowel(onset, vowel, i == 0, i == len(syllables) - 1)
        if onset in ("ㅅ", "ㅆ") and nucleus[0] in "ij":
            consonant = "ɕ"
        if consonant.startswith(_PALATAL) and nucleus.startswith("j"):
            nucleus = nucleus[1:]
        out.append(consonant + nucleus + _CODA_IPA[coda])
    return "".join(out)


_TOKEN = re.compile(r"[가-힣]+|[,.?!]")


def to_phonemes(pronounced: str, voice_across_words: bool = False) -> str:
    """Pronounced Hangul (``pronounce``'s output) → Kokoro phonemes; words apart by spaces,
    sentence punctuation kept (the voice pauses on it), anything else dropped."""
    out: list[str] = []
    voiced = False
    for token in _TOKEN.findall(pronounced):
        if token in ",.?!":
            out.append(token)
            voiced = False
            continue
        if (out and out[-1] not in ",.?!") or out:
            out.append(" ")
        out.append(word_phonemes(token, voiced and voice_across_words))
        coda = decompose(token[-1])[0][2]
        voiced = not coda or coda in _SONORANT_CODAS
    return "".join(out).strip()


def phonemes(text: str) -> str:
    """Korean text → Kokoro phonemes (``pronounce`` then ``to_phonemes``)."""
    return to_phonemes(pronounce(text))
