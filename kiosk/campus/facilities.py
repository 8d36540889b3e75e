"""Find a place by what is in it, when the visitor names no place ("총장실 어디예요?",
"where is the president's office", "where can I see the founder's statue").

Used only after names, numbers and the history found nothing, so it never overrides a name.
A facility several places share (a convenience store) gives all of them, nearest to the gate
first: the kiosk then directs the visitor to the closest one, which is what a person at the
gate would do. A match on words every building has ("lecture rooms") gives nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kiosk.campus import lexicon as lx
from kiosk.campus.knowledge import KnowledgeBase

_STOP_EN = frozenset(
    "a an and the of for with its it s university hanyang univ some any".split()
)
# Words every building has: a facility named only by these does not pick a place.
_GENERIC_EN = frozenset(
    "room office class classroom hall department school college building student lecture "
    "center centre research study practice information large".split()
)
_SYNONYMS_EN = {
    "girl": "women", "lady": "women", "ladies": "women", "female": "women", "woman": "women",
    "womens": "women", "boy": "men", "guy": "men", "male": "men", "man": "men", "mens": "men",
    "dorm": "dormitory", "dormitorie": "dormitory", "residence": "dormitory",
    "cafe": "café", "coffee": "café", "canteen": "cafeteria", "gym": "gymnasium",
    "parking": "car", "carpark": "car", "statues": "statue",
}
_SYNONYMS_KO = (("남자", "남학생"), ("여자", "여학생"), ("남성", "남학생"), ("여성", "여학생"),
                ("학식", "학생식당"), ("주차(?!장)", "주차장"))
_GENERIC_KO = frozenset("강의실 연구실 실습실 세미나실 대학 학과 학부".split())
_WORD_EN = re.compile(r"[a-zé]+")


def _stem(word: str) -> str:
    word = _SYNONYMS_EN.get(word, word)
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return _SYNONYMS_EN.get(word, word)


def english_words(text: str) -> frozenset[str]:
    """Content words, singular, with everyday synonyms folded ("girls dorm" -> women dormitory)."""
    words = _WORD_EN.findall(text.lower().replace("'", ""))
    return frozenset(_stem(w) for w in words if w not in _STOP_EN)


@dataclass(frozen=True)
class _Facility:
    code: str
    words: frozenset[str]  # English content words, or Korean words (matched in the compact text)
    korean: bool


@lru_cache(maxsize=8)
def _facilities(kb: KnowledgeBase) -> tuple[_Facility, ...]:
    out = []
    for place in kb.places:
        for feature in place.features_en:
            words = english_words(feature)
            if words:
                out.append(_Facility(place.code, words, korean=False))
        for feature in place.features_ko:
            words = frozenset(w for w in re.sub(r"[^\w\s]", " ", feature).split() if len(w) >= 2)
            if words:
                out.append(_Facility(place.code, words, korean=True))
    return tuple(out)


_VERBS_EN = frozenset("see find visit use buy get go reach meet eat".split())
# Size and pointing words say which one, not what: "that little convenience store".
_DESCRIBING_EN = frozenset("little small big large tiny nearest closest nice new old that this "
                           "the".split())


def unknown_modifier_en(words: list[str], names: frozenset[str]) -> bool:
    """An unknown word right before the first of `names` in `words` makes it another thing:
    "computer science department" is not the "science departments" of the Science and
    Technology Building, nor is "east hospital building" one of the hospital's."""
    for i, word in enumerate(words):
        if _stem(word) in names or word in names:
            before = words[i - 1] if i else ""
            return bool(before) and not (
                before in _STOP_EN or before in lx.EN_FILLER or before in lx.OWN_EN
                or before in _VERBS_EN or before in _DESCRIBING_EN or _stem(before) in names)
    return False


def unknown_modifier_ko(words: list[str], names: frozenset[str]) -> bool:
    """A bare Hangul noun right before the first word holding one of `names` makes it another
    place's ("호그와트 기숙사"); a particle, a filler word ("저기요") or `names` do not."""
    for i, word in enumerate(words):
        if any(w in word for w in names):
            if i == 0:
                return False
            before = words[i - 1]
            if not re.fullmatch(r"[가-힣]+", before) or any(w in before for w in names):
                return False
            bare = before.rstrip("요")
            return not (bare in lx.KO_FILLER or bare in lx.PRONOUN_KO
                        or before.endswith(lx.PARTICLES) or before in lx.OWN_KO)
    return False


def _named(facility: _Facility, query_en: frozenset[str], compact_ko: str) -> frozenset[str]:
    """The facility's words the query names, or nothing when it does not name the facility.

    All words must be there, except one of three or more ("statue of the founder" names "a
    statue of the university's founder"); words every building has never count alone.
    """
    if facility.korean:
        present = frozenset(w for w in facility.words if w in compact_ko)
        generic = _GENERIC_KO
    else:
        present = facility.words & query_en
        generic = _GENERIC_EN
    missing = len(facility.words) - len(present)
    if not present or present <= generic:
        return frozenset()
    if missing == 0 or (len(facility.words) >= 3 and missing == 1 and len(present) >= 2):
        return present
    return frozenset()


def places_with_facility(text: str, compact_ko: str, kb: KnowledgeBase) -> list[str]:
    """Codes of the places whose facility the text names, best match then nearest first.

    Nothing when the words also name part of another place's facility: "공과대학" is one
    building's feature, but "공과대학 강의실" and "공과대학 실습실" are elsewhere, so the
    College of Engineering is spread over several buildings and none of them is the answer.
    """
    query_en = english_words(text)
    words_en = _WORD_EN.findall(text.lower().replace("'", ""))
    words_ko = text.split()
    for plain, canonical in _SYNONYMS_KO:
        compact_ko = re.sub(plain, canonical, compact_ko)
        words_ko = [re.sub(plain, canonical, w) for w in words_ko]
    named: dict[str, frozenset[str]] = {}
    for facility in _facilities(kb):
        present = _named(facility, query_en, compact_ko)
        if (present and len(present) > len(named.get(facility.code, ()))
                and not (unknown_modifier_ko(words_ko, facility.words) if facility.korean
                         else unknown_modifier_en(words_en, facility.words))):
            named[facility.code] = present
    if not named:
        return []
    best = max(len(present) for present in named.values())
    codes = {code for code, present in named.items() if len(present) == best}
    said = frozenset().union(*(named[code] for code in codes))
    if any(f.code not in codes and said <= f.words for f in _facilities(kb)):
        return []
    minutes = {p.code: p.minutes_from_gate for p in kb.places}
    return sorted(codes, key=lambda code: (minutes.get(code) or 0, code))
