"""Questions about a kind of place there are several of: "where are the dorms?", "법학관 어디야?",
"where's the engineering building?".

Without this the kiosk said it did not know the place, which is wrong: it knows all of them.
Used only when no single place is named. The answer lists them by number and gives the way to
the nearest, which is what a person at the gate would do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.campus.facilities import places_with_facility, unknown_modifier_en, unknown_modifier_ko
from kiosk.campus.knowledge import KnowledgeBase, Place
from kiosk.campus.retrieval import normalise, strip_particle

# Kinds visitors name by a common noun, with the KB category they stand for.
_CATEGORY_EN = ((re.compile(r"\b(dorms?|dormitor(y|ies)|residence halls?|student housing|"
                            r"student residences?)\b"), "dormitory", "dormitories"),)
_CATEGORY_KO = ((("기숙사", "생활관", "학생생활관"), "dormitory", "기숙사"),)
_NAMED_EN = re.compile(r"\b([a-z]+) (buildings?|halls?|centers?|centres?)\b")
_NOT_A_NAME_WORD = frozenset(
    "the a an which what that this these those main big new old university campus hanyang "
    "whole each other all some any your our of".split())


@dataclass(frozen=True)
class Group:
    codes: tuple[str, ...]  # nearest to Aeji Gate first
    noun_en: str            # "dormitories", "law buildings"
    noun_ko: str            # "기숙사", "법학관"


def _named_en(word: str, place: Place) -> bool:
    names = [place.name_en, *place.aliases_en]
    return any(word in re.findall(r"[a-z]+", name.lower()) for name in names)


def find_group(text: str, kb: KnowledgeBase) -> Group | None:
    """The places of the kind the text names, when there are two or more of them (nearest
    to the gate first)."""
    for members, noun_en, noun_ko in _kinds_named(text, kb):
        if len(members) >= 2:
            ordered = sorted(members, key=lambda p: (p.minutes_from_gate, p.code))
            return Group(tuple(p.code for p in ordered), noun_en, noun_ko)
    return None


def the_one_meant(group: Group, text: str, kb: KnowledgeBase) -> str | None:
    """The one place of the group that has what the text also names ("the women's dormitory",
    "고시반 있는 기숙사"): that one is asked for, not the list."""
    plain = normalise(text)
    without_kind = plain  # the kind itself ("기숙사") is every member's feature
    for pattern, _, _ in _CATEGORY_EN:
        without_kind = pattern.sub(" ", without_kind)
    for nouns, _, _ in _CATEGORY_KO:
        for noun in sorted(nouns, key=len, reverse=True):
            without_kind = without_kind.replace(noun, " ")
    for words in (plain, without_kind):  # "a women's dormitory" is one member's feature
        having = [c for c in places_with_facility(words, words.replace(" ", ""), kb)
                  if c in group.codes]
        if having:
            return having[0] if len(having) == 1 else None
    return None


def _kinds_named(text: str, kb: KnowledgeBase) -> Iterator[tuple[list[Place], str, str]]:
    """Each kind of place the text names, in order of trust: its places and nouns."""
    norm = normalise(text)
    buildings = [p for p in kb.places if p.code.isdigit() and p.kind == "building"]
    said = norm.split()
    words = [strip_particle(w) for w in said]
    for pattern, category, noun in _CATEGORY_EN:
        found = pattern.search(norm)
        if found and not unknown_modifier_en(said, frozenset(found.group(0).split()[:1])):
            yield [p for p in buildings if p.category_en == category], noun, "기숙사"
    for stems, category, noun in _CATEGORY_KO:
        if any(w in stems for w in words) and not unknown_modifier_ko(said, frozenset(stems)):
            yield [p for p in buildings if p.category_en == category], "dormitories", noun
    for match in _NAMED_EN.finditer(norm):
        word, head = match.group(1), match.group(2).rstrip("s")
        if (len(word) >= 3 and word not in _NOT_A_NAME_WORD
                and not unknown_modifier_en(said, frozenset([word]))):
            yield ([p for p in buildings if _named_en(word, p)], f"{word} {head}s",
                   "그런 이름의 건물")
    for word in words:
        if (len(word) >= 3 and word.endswith("관") and re.fullmatch(r"[가-힣]+", word)
                and not unknown_modifier_ko(said, frozenset([word]))):
            yield [p for p in buildings if word in p.name_ko], "buildings with that name", word
