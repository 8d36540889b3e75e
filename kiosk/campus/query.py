"""The typed result of understanding one visitor utterance: the seam between campus and dialog.

`understand` (kiosk/campus/understand.py) turns text and the conversation so far into a
`Query`; the dialog engine executes its asks against the knowledge base and composes one
answer that covers all of them, in order. Nothing here decides a fact: an `Ask` only names
what was asked and about which KB places.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Lang = Literal["ko", "en"]


class Act(StrEnum):
    """What the visitor is doing with this utterance."""

    QUESTION = "question"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    GREETING = "greeting"
    WHO_ARE_YOU = "who_are_you"
    CAPABILITIES = "capabilities"
    REPEAT = "repeat"
    SLOWER = "slower"
    SWITCH_LANGUAGE = "switch_language"
    OFF_TOPIC = "off_topic"
    STOP = "stop"                # "stop", "그만": the kiosk falls silent
    ACKNOWLEDGE = "acknowledge"  # "ok", "네", "I see": a listener's nod, not a question
    INJECTION = "injection"
    NOTHING = "nothing"          # empty text: nothing to answer but the help line


class Kind(StrEnum):
    """What one ask wants to know."""

    LOCATION = "location"
    CODE = "code"
    WALK_TIME = "walk_time"
    FLOORS = "floors"
    FEATURES = "features"
    CATEGORY = "category"
    NEIGHBOURS = "neighbours"
    ROUTE = "route"                  # the way from the gate to places[0]
    DIRECTION = "direction"          # where places[0] lies as seen from places[1]
    ROUTE_BETWEEN = "route_between"  # from places[0] to places[1]
    COMPARE = "compare"              # which of places is nearer the gate
    CHECK = "check"                  # is the visitor's claim about places[0] true
    UNKNOWN_ATTRIBUTE = "unknown_attribute"  # hours, menu, ...: not in the KB
    UNKNOWN_PLACE = "unknown_place"  # a name that sounds like a place and is none of ours


ONE_PLACE_KINDS = frozenset({Kind.LOCATION, Kind.CODE, Kind.WALK_TIME, Kind.FLOORS,
                             Kind.FEATURES, Kind.CATEGORY, Kind.NEIGHBOURS, Kind.ROUTE})

ClaimAbout = Literal["code", "floors", "basement", "minutes", "neighbour", "direction",
                     "words", "exists", "nearer"]


@dataclass(frozen=True)
class Claim:
    """What a yes/no question asserts: "지하가 없죠?" is (basement, "no")."""

    about: ClaimAbout
    value: str                 # a number, "yes"/"no", a direction word, words, a place code
    negated: bool = False      # "isn't", "없", "doesn't exist"


@dataclass(frozen=True)
class Ask:
    kind: Kind
    places: tuple[str, ...] = ()
    attribute: str = ""        # UNKNOWN_ATTRIBUTE: "hours", "menu", ...
    claim: Claim | None = None  # CHECK
    said: str = ""             # UNKNOWN_PLACE: the name as said


@dataclass(frozen=True)
class Query:
    text: str
    lang: Lang                 # the language spoken
    reply_lang: Lang           # the language to answer in ("in Korean please" changes it)
    act: Act
    asks: tuple[Ask, ...] = ()
    # The language the visitor asked for ("영어로 부탁해요"), kept for the rest of the
    # conversation: someone who asks for English answers for a friend goes on asking in Korean.
    asked_lang: Lang | None = None

    @property
    def places(self) -> tuple[str, ...]:
        """Every place the asks name, in order, once."""
        return tuple(dict.fromkeys(c for ask in self.asks for c in ask.places))
