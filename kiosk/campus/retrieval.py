"""Question understanding without models: language, intent, injection and place lookup.

Runs before any LLM so that facts are chosen deterministically and a wrong building is never
guessed: precision beats recall, and an unknown name yields ``[]`` (the kiosk then says it does
not know). Matching is tuned for walk-up speech turned into text by Whisper: Korean spacing and
particles vary, English names arrive mis-heard ("ten yarn plaza"), and follow-ups say "거기"/"it".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from kiosk.campus import lexicon as lx
from kiosk.campus.facilities import places_with_facility
from kiosk.campus.knowledge import KnowledgeBase
from kiosk.campus.romanize import romanize
from kiosk.campus.spoken_numbers import spoken_numbers_to_digits

Lang = Literal["ko", "en"]

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_SCRIPT_SPLIT = re.compile(r"(?<=[\uac00-\ud7a3])(?=[a-z0-9])|(?<=[a-z0-9])(?=[\uac00-\ud7a3])")
_PUNCT = re.compile(r"[^\w\s]|_")
_HALL_HEARD = frozenset({"hole", "whole", "haul", "hol"})
_ABBREVIATIONS = {"bldg": "building", "bld": "building", "univ": "university", "lib": "library",
                  "dorm": "dormitory", "dorms": "dormitory"}
# Acronyms that are ordinary words in lower case ("er" is a hesitation): read before lowering.
_CASED_ACRONYMS = ((re.compile(r"\bER\b"), "emergency room"),)
# A name's head noun that visitors swap freely: "the nursing building" for "Nursing School".
_HEAD_NOUNS = ("building", "hall", "school", "center", "centre", "house")
_ORIGIN_CODES = ("104", "station")
# "…있어요?" with no other cue asks whether a place has something.
_KO_HAS = re.compile(r"[가-힣](있어요|있나요|있어|있니|있습니까|있을까요|있죠)$")
_PARTICLES_LONGEST_FIRST = tuple(sorted(lx.PARTICLES, key=len, reverse=True))


class Intent(StrEnum):
    """What the visitor wants to know about a place (or that they want no place at all)."""

    LOCATION = "location"
    CODE = "code"
    WALK_TIME = "walk_time"
    NEIGHBOURS = "neighbours"
    ROUTE = "route"
    CATEGORY = "category"
    FLOORS = "floors"
    FEATURES = "features"
    GREETING = "greeting"
    HELP = "help"
    OFFTOPIC = "offtopic"
    UNKNOWN = "unknown"


PLACE_INTENTS = frozenset(
    {
        Intent.LOCATION,
        Intent.CODE,
        Intent.WALK_TIME,
        Intent.NEIGHBOURS,
        Intent.ROUTE,
        Intent.CATEGORY,
        Intent.FLOORS,
        Intent.FEATURES,
    }
)

_INTENT_ORDER: tuple[Intent, ...] = (
    Intent.HELP,
    Intent.OFFTOPIC,
    Intent.WALK_TIME,
    Intent.ROUTE,
    Intent.FLOORS,
    Intent.CODE,
    Intent.NEIGHBOURS,
    Intent.FEATURES,
    Intent.LOCATION,
    Intent.CATEGORY,
    Intent.GREETING,
)

_PRONOUN_EN = re.compile(
    r"\b(it|its|that (one|building|place)|this (building|place|one)|the same (building|place)|"
    r"same building|the building|the place|them|over there|get there|go there|walk there|"
    r"there from here)\b"
    # "walk to pay them library" is Paiknam Library misheard, a name: not "them" again
    r"(?! (library|hall|center|centre|gym|museum|tower|plaza|dorm|dormitory|park|gate)\b)"
)
_PRONOUN_THERE = re.compile(r"\bthere\b")
_EXISTENTIAL_THERE = re.compile(r"\b(is|are|was|were) there\b|\bthere (is|are|s)\b")
# "how long does it take to walk to X": the time's "it", no place; with no X the question
# is elliptical and takes the conversation's place that way
_TIME_IT = re.compile(r"\b(does|did|will|would|should|could|can|is|it s) it (take|takes)\b|"
                      r"\bit (takes|took|will take)\b")


def detect_language(text: str) -> Lang:
    """'en' when English words dominate (a Korean name inside English stays 'en'), else 'ko'."""
    hangul_words = latin_words = 0
    for word in text.split():
        if _HANGUL.search(word):
            hangul_words += 1
        elif _LATIN.search(word):
            latin_words += 1
    if hangul_words and _KOREAN_PREDICATE.search(text):
        return "ko"  # "engineering building 1 어디예요?": an English name in a Korean sentence
    if latin_words >= 2 and latin_words >= hangul_words:
        return "en"
    if hangul_words == 0 and latin_words > 0:
        return "en"
    return "ko"


# A Korean sentence ends in its predicate: a polite or plain question or request ending, or a
# question word, as the utterance's last Hangul word ("… 어디예요?", "… 있어?", "… 알려 줘").
_KOREAN_PREDICATE = re.compile(r"[가-힣]*(요|까|니|냐|죠|줘|래|야|어디|있어|없어|돼)"
                               r"[^A-Za-z가-힣]*$")


def normalise(text: str) -> str:
    """NFKC, lowercase, punctuation to spaces, spaces collapsed: the form all matching uses."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


def strip_particle(word: str) -> str:
    """Drop one trailing Korean particle/ending from a word, keeping at least one syllable."""
    for p in _PARTICLES_LONGEST_FIRST:
        if word.endswith(p) and len(word) > len(p):
            return word[: -len(p)]
    return word


def strip_particles(text: str) -> str:
    """Normalise, then strip particles from every Korean word ("본관은 어디야" -> "본관 어디")."""
    return " ".join(strip_particle(w) if _HANGUL.search(w) else w for w in normalise(text).split())


# "it's", "women's": the "s" would join a spelt-letter run ("it's a gym" -> "sa gym").
_APOSTROPHE_S = re.compile(r"(?<=[A-Za-z])['’]s\b")
# "what's in it", "where's": the "s" is "is", a word the question cues need.
_IS_CONTRACTED = re.compile(r"\b(what|where|how|who|that|there|here|it)['’]s\b", re.IGNORECASE)
# A name ASR could not parse comes out hyphenated in short pieces ("Take-Num Library" for
# Paiknam Library): one word, as it was said.
_SYLLABLE_HYPHEN = re.compile(r"(?<![A-Za-z])([A-Za-z]{1,4})-(?=[A-Za-z]{1,4}(?![A-Za-z]))")


def _tokens(text: str) -> list[str]:
    """Normalised words; scripts split ("hit는"), spelt letters joined ("a g" -> "ag"),
    short hyphenated pieces joined ("Take-Num" -> "takenum"), "'s" dropped."""
    out: list[str] = []
    run = ""
    text = _SYLLABLE_HYPHEN.sub(r"\1", _APOSTROPHE_S.sub("", _IS_CONTRACTED.sub(r"\1 is", text)))
    for tok in _SCRIPT_SPLIT.sub(" ", normalise(text)).split():
        tok = _ABBREVIATIONS.get(tok, tok)
        if tok in _HALL_HEARD and out and out[-1].isalpha() and out[-1] not in lx.EN_FILLER:
            tok = "hall"  # "international hole", "history whole": Whisper's "hall"
        if len(tok) == 1 and tok.isascii() and tok.isalpha():
            run += tok
            continue
        if run:
            out.append(run)
            run = ""
        out.append(tok)
    if run:
        out.append(run)
    return out


def _compact(text: str) -> str:
    return "".join(_tokens(text))


# ---------------------------------------------------------------------------------------------
# Phonetic-ish keys for mis-heard English, and jamo for Korean near-misses.


_ROMAN = frozenset({"i", "ii", "iii", "iv", "v"})
_PHON_RULES = (
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("c", "k"),
    ("v", "b"),
    ("w", "u"),
    ("ee", "i"),
    ("ea", "i"),
    ("ae", "e"),
    ("ai", "e"),
    ("ay", "e"),
    ("ey", "e"),
    ("ie", "i"),
    ("y", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("j", "g"),
    ("r", ""),
    ("h", ""),
    ("ng", "n"),
    ("gg", "g"),
)


def _phonetic(s: str) -> str:
    """Collapse spellings that ASR confuses (y/i, j/g, dropped r/h, doubled letters)."""
    s = re.sub(r"[^a-z]", "", s)
    for old, new in _PHON_RULES:
        s = s.replace(old, new)
    s = re.sub(r"(.)\1+", r"\1", s)
    return "e" + s[1:] if s.startswith("a") else s


def _jamo(syllable: str) -> tuple[int, int, int]:
    """(onset, vowel, coda) indices of one Hangul syllable."""
    n = ord(syllable) - 0xAC00
    return n // 588, (n % 588) // 28, n % 28


def _close_syllables(a: str, b: str) -> bool:
    """Two syllables ASR could swap: at least two of onset/vowel/coda agree."""
    ja, jb = _jamo(a), _jamo(b)
    return sum(x == y for x, y in zip(ja, jb, strict=True)) >= 2


def _korean_near(window: str, alias: str) -> bool:
    """Same length, one (two when long) substituted syllables, each phonetically close."""
    diffs = [(a, b) for a, b in zip(window, alias, strict=True) if a != b]
    allowed = 2 if len(alias) >= 6 else 1
    if not 0 < len(diffs) <= allowed:
        return False
    if all(_close_syllables(a, b) for a, b in diffs):
        return True
    # A long name with a syllable or two heard far off ("비전테크센터", "한양정합기술용구원"):
    # near in its letters, and its last two syllables, which tell 본관 from 별관, intact.
    return (len(alias) >= 6 and window[-2:] == alias[-2:]
            and SequenceMatcher(None, _jamo_string(window), _jamo_string(alias)).ratio() >= 0.85)


def _jamo_string(word: str) -> str:
    """Hangul syllables as onset/vowel/coda letters: "텍" and "테크" differ by two letters."""
    out = []
    for ch in word:
        onset, vowel, coda = _jamo(ch)
        out.append(chr(0x1100 + onset) + chr(0x1161 + vowel) + (chr(0x11A7 + coda) if coda else ""))
    return "".join(out)


def _korean_respelt(window: str, alias: str) -> bool:
    """A long name heard one syllable short or long ("퓨전텍센터" for 퓨전테크센터): the
    letters nearly all agree in order and the first syllable is the same."""
    return (len(alias) >= 5 and abs(len(window) - len(alias)) == 1 and window[0] == alias[0]
            and SequenceMatcher(None, _jamo_string(window), _jamo_string(alias)).ratio() >= 0.85)


def _is_hangul_word(s: str) -> bool:
    return bool(s) and all("가" <= ch <= "힣" for ch in s)


# ---------------------------------------------------------------------------------------------
# Alias index, built once per KnowledgeBase.


@dataclass(frozen=True)
class _Index:
    substr: tuple[tuple[str, str], ...]  # (compact alias with Hangul, code), longest first
    tokens: dict[str, str]  # compact Latin/digit alias -> code
    generic: frozenset[str]  # compact Latin aliases made only of common nouns
    fuzzy_en: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # compact, phon, code, words
    fuzzy_ko: tuple[tuple[str, str], ...]  # (Hangul-only alias, code)
    numbered: tuple[tuple[str, frozenset[str], str], ...]  # (number, other words, code)
    codes: frozenset[str]
    roman: frozenset[str] = frozenset()  # romanised Hangul aliases (any split into words)


@lru_cache(maxsize=8)
def _index(kb: KnowledgeBase) -> _Index:
    substr: dict[str, str] = {}
    tokens: dict[str, str] = {}
    fuzzy_en: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}
    fuzzy_ko: dict[str, str] = {}
    generic: set[str] = set()
    numbered: set[tuple[str, frozenset[str], str]] = set()
    cores: dict[str, set[str]] = {}
    romans: set[str] = set()
    for place in kb.places:
        for alias in [place.name_ko, place.name_en, *place.aliases_ko, *place.aliases_en]:
            toks = _tokens(spoken_numbers_to_digits(alias))
            compact = "".join(toks)
            if not compact:
                continue
            if _HANGUL.search(compact):
                substr.setdefault(compact, place.code)
                if _is_hangul_word(compact) and len(compact) >= 3:
                    fuzzy_ko.setdefault(compact, place.code)
                if _is_hangul_word(compact) and len(compact) >= 2:
                    # the name read off a romanised sign: "Hakgwan", "Dongmun Hoegwan"
                    roman = romanize(compact)
                    tokens.setdefault(roman, place.code)
                    romans.add(roman)
                    if len(roman) >= 7:  # shorter ones sound like English words: "olche"
                        fuzzy_en.setdefault(roman, (roman, _phonetic(roman), place.code,
                                                    (roman,)))
            else:
                tokens.setdefault(compact, place.code)
                if all(t in lx.COMMON_EN for t in toks):
                    generic.add(compact)
                digits = [t for t in toks if t.isdigit()]
                if len(digits) == 1 and len(toks) > 1:
                    numbered.add((digits[0], frozenset(toks) - {digits[0], "the", "of"},
                                  place.code))
                core = _core(toks)
                if core:
                    cores.setdefault(core, set()).add(place.code)
                    if digits:  # "Law Building 3" shares "law" but lends it to no variant
                        cores[core].add("")
                if len(compact) >= 5 and not any(t.isdigit() or t in _ROMAN for t in toks):
                    fuzzy_en.setdefault(
                        compact, (compact, _phonetic(compact), place.code, tuple(toks))
                    )
    for core, owners in cores.items():
        if len(owners) == 1:  # a core two places share ("engineering") names neither
            for head in _HEAD_NOUNS:
                variant = core + head
                if variant not in tokens:
                    tokens[variant] = next(iter(owners))
                    if all(t in lx.COMMON_EN for t in _tokens(core)):
                        generic.add(variant)
    return _Index(
        substr=tuple(sorted(substr.items(), key=lambda kv: -len(kv[0]))),
        tokens=tokens,
        generic=frozenset(generic),
        fuzzy_en=tuple(fuzzy_en.values()),
        fuzzy_ko=tuple(fuzzy_ko.items()),
        numbered=tuple(sorted(numbered)),
        roman=frozenset(romans),
        codes=frozenset(p.code for p in kb.places),
    )


def _core(toks: list[str]) -> str:
    """A Latin name without its number and head noun ("nursing school", "school of nursing",
    "law building 3" -> "nursing", "nursing", "law"), or "" when nothing distinctive is left."""
    toks = [t for t in toks if not t.isdigit()]
    if len(toks) >= 3 and toks[0] in _HEAD_NOUNS and toks[1] == "of":
        rest = toks[2:]
    elif len(toks) >= 2 and toks[-1] in _HEAD_NOUNS:
        rest = toks[:-1]
    else:
        return ""
    if not rest or any(t in lx.GENERIC_EN or not t.isalpha() for t in rest):
        return ""
    return "".join(rest)


@dataclass(frozen=True)
class _Hit:
    start: int  # span in the compact text
    end: int
    code: str
    tier: int  # 0 exact name/code, 1 fuzzy


_CODE_KO = re.compile(r"(?<!\d)(\d{3})\s*(번|동|호관|관|호)")
_CODE_EN = re.compile(r"\b(?:building|bldg|bld|number|no|num|nr)\s*(\d{3})\b")
_CODE_BARE = re.compile(
    r"(?<![\d+\-*/x×÷=])\b(\d{3})\b(?!\s*(?:[+\-*/×÷=]|분|층|m\b|미터|원|"
    r"won|minutes?|mins?|floors?|meters?|metres?|%|퍼센트|명|개|년|살|시|km))"
)
_MATH = re.compile(r"\d\s*[+\-*/×÷=]\s*\d")


def _code_hits(text: str, compact: str, idx: _Index) -> list[_Hit]:
    """Explicit building numbers ("105번", "building 105", a bare known "105")."""
    norm = _SCRIPT_SPLIT.sub(" ", unicodedata.normalize("NFKC", text).lower())
    found: list[str] = [m.group(1) for m in _CODE_KO.finditer(norm)]
    found += [m.group(1) for m in _CODE_EN.finditer(norm)]
    if not _MATH.search(norm):
        found += [m.group(1) for m in _CODE_BARE.finditer(norm)]
    hits = []
    for code in dict.fromkeys(found):
        if code in idx.codes:
            pos = compact.find(code)
            hits.append(_Hit(pos, pos + len(code), code, 0))
    return hits


_GLUED_FILLERS_KO = "음어아"


def _exact_hits(toks: list[str], compact: str, idx: _Index) -> list[_Hit]:
    """Names/aliases: Hangul ones as substrings of the space-free text, Latin ones by word.

    Short Hangul aliases must start a word ("병원" not inside "동물병원"), and common-noun
    English aliases must not follow an unknown modifier ("national museum" is not ours).
    """
    hits = []
    offsets = _offsets(toks)
    starts = set(offsets)
    for alias, code in idx.substr:
        start = compact.find(alias)
        while start != -1:
            # "음국제관이": a filler glued to the word still lets the name start it
            glued = (len(alias) == 3 and start - 1 in starts
                     and compact[start - 1] in _GLUED_FILLERS_KO)  # not 어+학관: 어학관
            if len(alias) > 3 or not _is_hangul_word(alias) or start in starts or glued:
                hits.append(_Hit(start, start + len(alias), code, 0))
            start = compact.find(alias, start + 1)
    for i in range(len(toks)):
        for n in range(1, min(6, len(toks) - i) + 1):
            window = "".join(toks[i : i + n])
            token_code = idx.tokens.get(window)
            if token_code is None:
                continue
            if window in idx.generic and _other_place(toks, i, i + n, idx):
                continue
            hits.append(_Hit(offsets[i], offsets[i] + len(window), token_code, 0))
    return hits


def _numbered_hits(toks: list[str], idx: _Index) -> list[_Hit]:
    """Numbered names in any word order: "the 2 student dormitory", "dormitory number 3" and
    "law building 3" name "Dormitory 2", "Dormitory 3", "Law Building 3". The number's
    neighbours (up to four words each side, not past another number) must hold every other
    word of the name; the name with most such words wins, and a tie between places is no hit."""
    hits = []
    offsets = _offsets(toks)
    for i, tok in enumerate(toks):
        if not tok.isdigit():
            continue
        lo, hi = i, i + 1
        while lo > max(0, i - 4) and not toks[lo - 1].isdigit():
            lo -= 1
        while hi < min(len(toks), i + 5) and not toks[hi].isdigit():
            hi += 1
        window = set(toks[lo:hi])
        fits = [(words, code) for number, words, code in idx.numbered
                if number == tok and words and words <= window]
        if not fits:
            continue
        best = max(len(words) for words, _ in fits)
        top = [(words, code) for words, code in fits if len(words) == best]
        if len({code for _, code in top}) != 1:
            continue
        words, code = top[0]
        # each word of the name where it stands nearest the number ("Building 1 and of
        # Engineering Building 2" must not take the second name's words for the first)
        left, right = range(lo, i), range(i + 1, hi)
        side = next((part for part in (left, right) if words <= {toks[j] for j in part}),
                    range(lo, hi))  # "Building 1" reads leftwards, "dormitory number 3" too
        nearest = {w: min((j for j in side if toks[j] == w), key=lambda j: abs(j - i))
                   for w in words}
        span = sorted({i, *nearest.values()})
        hits.append(_Hit(offsets[span[0]], offsets[span[-1]] + len(toks[span[-1]]), code, 0))
    return hits


SEPARATOR = "qqsep"
"""A clause boundary that survives tokenising (no place name contains it): `understand`
writes it for sentence ends, and no modifier reaches across it."""


def _other_place(toks: list[str], start: int, end: int, idx: _Index | None = None) -> bool:
    """Words around a common-noun alias that make it another place ("national museum",
    "plaza hotel"); one of our own place names in front is a compound of ours ("hospital
    emergency room")."""
    if start > 0:
        word = toks[start - 1]
        if (word.isascii() and word.isalpha() and word not in lx.EN_FILLER and word != SEPARATOR
                and word not in lx.OWN_EN and word not in _JOINING_EN
                and not (idx and word in idx.tokens)):
            return True
    return end < len(toks) and toks[end] in lx.PLACE_NOUNS


# Words that join two names ("the international hall or museum"): no modifier of the second.
_JOINING_EN = frozenset({"or", "and", "vs", "versus", "than", "nor", "between", "from", "to",
                         "near", "by", "behind", "beside"})


def _offsets(toks: list[str]) -> list[int]:
    out, pos = [], 0
    for t in toks:
        out.append(pos)
        pos += len(t)
    return out


def _fuzzy_hits(
    toks: list[str], compact: str, taken: list[tuple[int, int]], idx: _Index
) -> list[_Hit]:
    """Near-misses of English names (ASR) and single-syllable slips in Korean names."""
    hits: list[_Hit] = []
    offsets = _offsets(toks)

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for i in range(len(toks)):
        for n in range(1, min(5, len(toks) - i) + 1):
            words = toks[i : i + n]
            if words[0] in lx.EN_FILLER or (words[-1] in lx.EN_FILLER
                                            and words[-1] not in _HEAD_NOUNS):
                continue
            if not all(w.isascii() and w.isalpha() for w in words):
                continue
            if not any(len(w) >= 3 and w.rstrip("s") not in lx.GENERIC_EN for w in words):
                continue
            window = "".join(words)
            start = offsets[i]
            if len(window) < 4 or not free(start, start + len(window)):
                continue
            best = _best_en(words, idx)
            if best is None or (best[1] in idx.generic and _other_place(toks, i, i + n)):
                continue
            hits.append(_Hit(start, start + len(window), best[0], 1))
    for m in re.finditer(r"[가-힣]{3,}", compact):
        run, base = m.group(0), m.start()
        for alias, code in idx.fuzzy_ko:
            size = len(alias)
            for j in range(len(run) - size + 1):
                start = base + j
                if free(start, start + size) and _korean_near(run[j : j + size], alias):
                    hits.append(_Hit(start, start + size, code, 1))
            for other in (size - 1, size + 1):
                for j in range(len(run) - other + 1):
                    start = base + j
                    if free(start, start + other) and _korean_respelt(run[j : j + other], alias):
                        hits.append(_Hit(start, start + other, code, 1))
    return hits


_VOICING = str.maketrans("gbdvzq", "kptfsk")
_FUZZY_MARGIN = 0.03  # how much better than any other place a near-miss must fit


def _skeleton(s: str) -> str:
    """Consonants only, voicing folded: ASR hears "Paiknam" as "Pignum" or "Pagnum"."""
    s = re.sub(r"[^a-z]", "", s).translate(_VOICING)
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouyhw]", "", s))


def _similar(a: str, b: str) -> float:
    """Spelling or sound similarity of two Latin strings, 0..1."""
    raw = SequenceMatcher(None, a, b).ratio()
    if len(a) >= 5 and len(_skeleton(a)) >= 3 and _skeleton(a) == _skeleton(b):
        return 1.0
    return max(raw, SequenceMatcher(None, _phonetic(a), _phonetic(b)).ratio())


def _skeleton_score(window: str, alias: str) -> float:
    """0.82 when the consonant skeletons differ by one consonant ("Peytonum Library" ~
    "Paiknam Library": p-t-n-m / p-k-n-m), else 0. ASR keeps a name's rhythm and most of its
    consonants while swapping one; long skeletons only, so short words do not collide."""
    return 0.82 if _one_consonant_off(window, alias, 6) else 0.0


def _one_consonant_off(a: str, b: str, min_consonants: int) -> bool:
    x, y = _skeleton(a), _skeleton(b)
    if len(x) < min_consonants:
        return False
    if len(x) == len(y):
        return sum(p != q for p, q in zip(x, y, strict=True)) <= 1
    # one consonant heard in or out ("pike numb library" / Paiknam Library: pknmplpr, pknmlpr)
    longer, shorter = (x, y) if len(x) > len(y) else (y, x)
    return len(longer) == len(shorter) + 1 and any(
        longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _best_en(words: list[str], idx: _Index) -> tuple[str, str] | None:
    """Best (code, alias) for an English word window: similar spelling or sound, same head word.

    The head-word check stops "international office" from becoming "International Hall": ASR
    garbles sounds, it does not swap a noun for an unrelated one.
    """
    window = "".join(words)
    phon = _phonetic(window)
    scores: dict[str, tuple[float, str]] = {}  # code -> its best (score, alias)
    for alias, alias_phon, code, alias_words in idx.fuzzy_en:
        # "gook jay gwan": a romanised name said syllable by syllable (of no English filler:
        # "english is not" is no 응급센터)
        split_anyhow = alias in idx.roman and not any(w in lx.EN_FILLER for w in words)
        if alias in idx.roman and not split_anyhow:
            continue
        if not 0.7 <= len(window) / len(alias) <= 1.3 or (
                not split_anyhow and abs(len(alias_words) - len(words)) > 1):
            continue
        if len(words) == 1 and len(alias_words) > 1:  # "buildings" is not "HIT Building"
            continue
        sm = SequenceMatcher(None, window, alias)
        if sm.real_quick_ratio() < 0.6:
            continue
        score = max(sm.ratio(), SequenceMatcher(None, phon, alias_phon).ratio(),
                    _skeleton_score(window, alias))
        if score > scores.get(code, (0.0, ""))[0] and (split_anyhow
                                                        or _same_head(words, alias_words)):
            scores[code] = (score, alias)
    ranked = sorted(((score, code, alias) for code, (score, alias) in scores.items()),
                    reverse=True)
    if not ranked or ranked[0][0] < 0.8:
        return None
    if len(ranked) > 1 and ranked[1][0] > ranked[0][0] - _FUZZY_MARGIN:
        return None  # two places sound as close: guessing one would be a wrong place half the time
    return ranked[0][1], ranked[0][2]


def _same_head(words: list[str], alias_words: tuple[str, ...]) -> bool:
    """Head nouns sound alike (or start alike), and a shared head needs a like modifier too."""
    if len(alias_words) == 1:
        return True  # one-word names ("paiknam" ~ "pike nam"): the whole-string score decides
    head, alias_head = words[-1], alias_words[-1]
    sim = _similar(head, alias_head)
    if sim < 0.7 and not (sim >= 0.5 and head[:3] == alias_head[:3]):
        # ASR may run the last two words together: "Humanicology" for "Human Ecology"
        return len(words) < len(alias_words) and _similar(head, "".join(alias_words[-2:])) >= 0.8
    if head == alias_head and len(words) > 1 and len(alias_words) > 1:
        shared = set(words[:-1]) & set(alias_words[:-1])
        if shared:  # "east hospital" is not "hospital main": whole words differ, not sounds
            left = [w for w in words[:-1] if w not in shared]
            right = [w for w in alias_words[:-1] if w not in shared]
            if len(left) != len(right):  # "pike nam music hall": a name heard as two words
                return bool(left and right) and _similar("".join(left), "".join(right)) >= 0.7
            return all(_similar(a, b) >= 0.7 for a, b in zip(left, right, strict=True))
        modifier, alias_modifier = "".join(words[:-1]), "".join(alias_words[:-1])
        return (_similar(modifier, alias_modifier) >= 0.7
                or _one_consonant_off(modifier, alias_modifier, 4))
    return True


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Longest non-overlapping spans win ("병원본관" beats "본관"); exact before fuzzy."""
    chosen: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.tier, -(h.end - h.start), h.start)):
        if all(h.end <= c.start or h.start >= c.end for c in chosen):
            chosen.append(h)
    return sorted(chosen, key=lambda h: (h.tier, h.start))


def _head_first(hits: list[_Hit]) -> list[_Hit]:
    """In a compound of two place names with nothing between them ("병원 응급실", "hospital
    emergency room") the second is what is asked about: move it before the first."""
    ordered = list(hits)
    for i in range(len(ordered) - 1):
        first, second = ordered[i], ordered[i + 1]
        if first.tier == second.tier == 0 and first.end == second.start:
            ordered[i], ordered[i + 1] = second, first
    return ordered


def mentions_elsewhere(text: str) -> bool:
    """True when the text names another university or an off-campus place we never answer for."""
    norm = normalise(text)
    compact = norm.replace(" ", "")
    if any(re.search(p, norm) for p in lx.ELSEWHERE_EN) or any(
        k in compact for k in lx.ELSEWHERE_KO
    ):
        return True
    return any(strip_particle(w).startswith(lx.ELSEWHERE_KO_WORDS) for w in _tokens(text))


def has_pronoun(text: str) -> bool:
    """A reference back to the place under discussion ("거기", "그 건물", "it", "there")."""
    norm = normalise(text)
    compact = norm.replace(" ", "").replace("저기요", "")
    if any(p in compact for p in lx.PRONOUN_KO):
        return True
    if _PRONOUN_EN.search(_TIME_IT.sub(" take ", norm)):
        return True
    return bool(_PRONOUN_THERE.search(_EXISTENTIAL_THERE.sub(" ", norm)))


def _is_elliptical(text: str, intent: Intent) -> bool:
    """A follow-up with only question words ("몇 층이야?", "and the floors?"): no new name in it."""
    if intent not in PLACE_INTENTS:
        return False
    content = []
    feature = False
    for tok in _tokens(text):
        if tok.isdigit():
            continue
        if _HANGUL.search(tok):
            stem = strip_particle(tok)
            if any(stem.startswith(f) for f in lx.KO_FEATURE):
                feature = True
                continue
            if (
                stem in lx.KO_FILLER
                or tok in lx.KO_FILLER
                or any(tok.startswith(s) for s in lx.KO_STEMS)
            ):
                continue
            content.append(tok)
        elif tok in lx.EN_FEATURE:
            feature = True
        elif tok not in lx.EN_FILLER:
            content.append(tok)
    if content:
        return False
    return not (feature and intent in (Intent.LOCATION, Intent.ROUTE))


def find_places(text: str, kb: KnowledgeBase, history_codes: Sequence[str] = ()) -> list[str]:
    """Codes of the places the text names, best first.

    ``history_codes`` lists places of earlier turns, most recent first (as the dialog history
    gives them); a pronoun or an elliptical follow-up with no name reuses the first of them.
    """
    intent = classify_intent(text, detect_language(text))
    if intent in (Intent.OFFTOPIC, Intent.HELP) or mentions_elsewhere(text):
        return []
    idx = _index(kb)
    hits, toks = _place_hits(text, idx)
    codes = list(dict.fromkeys(h.code for h in _head_first(hits)))
    if len(codes) > 1:
        # "애지문에서 인문관까지", "the gym, from Aeji": the gate is where the kiosk and the
        # visitor stand, so with another place named, that one is the answer.
        codes = [c for c in codes if c not in _ORIGIN_CODES] + [
            c for c in codes if c in _ORIGIN_CODES
        ]
    if codes:
        return codes
    known = [c for c in history_codes if c in idx.codes]
    if known and (has_pronoun(text) or _is_elliptical(text, intent)):
        return [known[0]]
    return places_with_facility(text, "".join(toks), kb)


# "Where's Hanyang Plaza" heard as "Wershanyang Plaza": the question word runs into the name.
_WHERES_GLUED = re.compile(r"\b(wh?ere?s)(?=[a-z]{4,})", re.IGNORECASE)


def _place_hits(text: str, idx: _Index) -> tuple[list[_Hit], list[str]]:
    """Every place name, alias, number and near-miss in the text (longest spans, exact before
    fuzzy), with the words they were found among."""
    text = _WHERES_GLUED.sub(r"\1 ", text)
    for acronym, meaning in _CASED_ACRONYMS:
        text = acronym.sub(meaning, text)
    text = spoken_numbers_to_digits(text)
    toks = _tokens(text)
    compact = "".join(toks)
    hits = _select(_code_hits(text, compact, idx) + _exact_hits(toks, compact, idx)
                   + _numbered_hits(toks, idx))
    hits += _fuzzy_hits(toks, compact, [(h.start, h.end) for h in hits], idx)
    return _select(hits), toks


@dataclass(frozen=True)
class Mention:
    """One place named in the text, where it was said: words ``first``..``last`` of
    ``words(text)``, and what follows the name inside its last word (a Korean particle:
    "에서", "기준으로")."""

    code: str
    first: int
    last: int
    after: str
    exact: bool


def words(text: str) -> list[str]:
    """The words that ``mentions`` counts in (numbers as digits, punctuation dropped)."""
    text = _WHERES_GLUED.sub(r"\1 ", text)
    for acronym, meaning in _CASED_ACRONYMS:
        text = acronym.sub(meaning, text)
    return _tokens(spoken_numbers_to_digits(text))


def _numbered_start(toks: list[str], j: int) -> bool:
    """The next name starts with its number ("… 2 student dormitory", "제1법학관 제2법학관"):
    a second place, not the head of a compound."""
    return toks[j].isdigit() or (toks[j] == "제" and j + 1 < len(toks) and toks[j + 1].isdigit())


def mentions(text: str, kb: KnowledgeBase) -> list[Mention]:
    """The places the text names in the order they were said; in a compound of two names
    with nothing between them ("병원 응급실") only the second, the one asked about."""
    if mentions_elsewhere(text):
        return []
    idx = _index(kb)
    hits, toks = _place_hits(text, idx)
    offsets = _offsets(toks)
    ordered = sorted(hits, key=lambda h: h.start)
    out: list[Mention] = []
    for i, hit in enumerate(ordered):
        if i > 0 and ordered[i - 1].end == hit.start and hit.tier == ordered[i - 1].tier == 0 \
                and _generic_span(hit, toks, offsets, idx) and out and out[-1].code == ordered[
                    i - 1].code:
            continue  # "Women's University main building": the first place's own main building
        if (i + 1 < len(ordered) and ordered[i + 1].start == hit.end
                and hit.tier == ordered[i + 1].tier == 0
                and not _generic_span(ordered[i + 1], toks, offsets, idx)
                and not _numbered_start(toks, max(j for j, o in enumerate(offsets)
                                                  if o <= ordered[i + 1].start))):
            continue
        first = max(j for j, o in enumerate(offsets) if o <= hit.start)
        last = max(j for j, o in enumerate(offsets) if o < hit.end)
        after = toks[last][hit.end - offsets[last]:]
        if out and out[-1].code == hit.code:
            continue
        out.append(Mention(hit.code, first, last, after, hit.tier == 0))
    return out


def _generic_span(hit: _Hit, toks: list[str], offsets: list[int], idx: _Index) -> bool:
    """The hit is a name made of common nouns only ("main building", "본관")."""
    compact = "".join(toks)[hit.start:hit.end]
    return compact in idx.generic or compact in ("본관", "별관")


def classify_intent(text: str, lang: Lang) -> Intent:
    """First matching intent in priority order; UNKNOWN when nothing matches.

    Both languages' cues are tried whatever ``lang`` says, because walk-up speech mixes them
    ("HIT 몇 층이야?"); ``lang`` is kept for callers that want to specialise later.
    """
    del lang
    norm = normalise(text)
    compact = _compact(text)
    for intent in _INTENT_ORDER:
        if any(re.search(p, norm) for p in lx.INTENT_EN.get(intent.value, ())):
            return intent
        if any(k in compact for k in lx.INTENT_KO.get(intent.value, ())):
            return intent
    if _KO_HAS.search(compact):  # "제5학생생활관에 고시반 있어요?": is it in there?
        return Intent.FEATURES
    return Intent.UNKNOWN


def intents_in(text: str) -> list[Intent]:
    """Every place question kind the text asks, in priority order ("몇 층이고 몇 분" asks
    floors and walk time); the fallback "…있어요?" asks what is inside."""
    norm = normalise(text)
    compact = _compact(text)
    found = [intent for intent in _INTENT_ORDER if intent in PLACE_INTENTS and (
        any(re.search(p, norm) for p in lx.INTENT_EN.get(intent.value, ()))
        or any(k in compact for k in lx.INTENT_KO.get(intent.value, ())))]
    if not found and _KO_HAS.search(compact):
        found.append(Intent.FEATURES)
    return found


def is_injection(text: str) -> bool:
    """Attempts to rewrite the kiosk's instructions; such turns are refused, facts never change."""
    norm = normalise(text)
    compact = norm.replace(" ", "")
    return any(re.search(p, norm) for p in lx.INJECTION_EN) or any(
        k in compact for k in lx.INJECTION_KO
    )
