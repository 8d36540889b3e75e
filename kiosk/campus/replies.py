"""Executes a `Query` against the knowledge base: one answer covering every ask, in order.

Single-place asks reuse `answers.compose`; relations between two places come from the KB's
neighbour entries (direction as the seed recorded it, never inverted by guesswork) and walking
minutes from Aeji Gate; a check says yes, no or "I can't tell" followed by the fact itself;
what the KB does not hold (hours, menus, a Building 5) is said plainly. Every sentence here
is built from KB fields, so nothing a reply states can be invented.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kiosk.campus import answers, cues
from kiosk.campus.answers import josa, label
from kiosk.campus.cues import ATTRIBUTE_NAMES
from kiosk.campus.knowledge import KnowledgeBase, Place
from kiosk.campus.query import ONE_PLACE_KINDS, Act, Ask, Claim, Kind, Lang, Query
from kiosk.campus.retrieval import Intent

# (kind, places, "yes"/"no"/"unknown", or for a comparison the code of the place asked for, the
# nearer or the farther one, or "same"); a check's places are its place, then the other place
# its claim names ("is it next to the library?": the place, then the library)
Verdict = tuple[str, tuple[str, ...], str]


@dataclass(frozen=True)
class Composed:
    text: str
    places: tuple[str, ...]
    verdicts: tuple[Verdict, ...] = ()


def compose_query(query: Query, kb: KnowledgeBase, lang: Lang | None = None) -> Composed:
    """The whole answer to a question's asks in ``lang`` (default: the reply language)."""
    lang = lang or query.reply_lang
    sentences: list[str] = []
    places: list[str] = []
    verdicts: list[Verdict] = []
    for ask in query.asks:
        text, verdict = _answer_ask(ask, kb, lang)
        if text and text not in sentences:
            sentences.append(text)
        places.extend(c for c in (*ask.places, *_claimed_places(ask)) if kb.by_code(c) is not None)
        if verdict is not None:
            verdicts.append((ask.kind.value, (*ask.places, *_claimed_places(ask)), verdict))
        verdicts.extend(_comparison_said(ask, kb, lang))
    return Composed(" ".join(sentences), tuple(dict.fromkeys(places)), tuple(verdicts))


def _answer_ask(ask: Ask, kb: KnowledgeBase, lang: Lang) -> tuple[str, str | None]:
    places = [p for p in (kb.by_code(c) for c in ask.places) if p is not None]
    if ask.kind in ONE_PLACE_KINDS and places:
        return answers.compose(places[0], Intent(ask.kind.value), lang, kb), None
    if ask.kind is Kind.COMPARE and len(places) == 2:
        return _compare(places[0], places[1], ask.attribute == "farther", lang)
    if ask.kind is Kind.DIRECTION and len(places) == 2:
        return _direction(places[0], places[1], lang, kb), None
    if ask.kind is Kind.ROUTE_BETWEEN and len(places) == 2:
        return _route_between(places[0], places[1], lang, kb), None
    if ask.kind is Kind.CHECK and ask.claim is not None:
        return _check(ask.claim, places[0] if places else None, ask.said, lang, kb)
    if ask.kind is Kind.UNKNOWN_ATTRIBUTE:
        return _unknown_attribute(ask.attribute, places[0] if places else None, lang, kb), None
    if ask.kind is Kind.UNKNOWN_PLACE:
        return _unknown_place(ask.said, lang), None
    return "", None


def _comparison_said(ask: Ask, kb: KnowledgeBase, lang: Lang) -> list[Verdict]:
    """A comparison offered to confirm is answered with the comparison itself ("No. The Museum
    is closer: …"): that answer's winner, as a comparison's verdict."""
    claim = ask.claim
    if ask.kind is not Kind.CHECK or claim is None or claim.about != "nearer" or not ask.places:
        return []
    place = kb.by_code(ask.places[0])
    compared = _nearer(claim, place, lang, kb) if place is not None else None
    if compared is None:
        return []
    return [(Kind.COMPARE.value, (*ask.places, *_claimed_places(ask)), compared[1])]


def _nearer(claim: Claim, place: Place, lang: Lang, kb: KnowledgeBase) -> tuple[str, str] | None:
    """The comparison a "nearer" claim offers ("<code> closer" / "<code> farther"): its answer
    and winner (the place asked for, or "same"); None when the other place is unknown."""
    code, _, which = claim.value.partition(" ")
    other = kb.by_code(code)
    return _compare(place, other, which == "farther", lang) if other is not None else None


def _claimed_places(ask: Ask) -> tuple[str, ...]:
    """The other place a check is about ("is it next to the science building?"): the answer
    names it too."""
    claim = ask.claim
    if claim is None or claim.about not in ("neighbour", "direction", "nearer"):
        return ()
    return (claim.value.partition(" ")[0],)


# --- two places -------------------------------------------------------------------------------


def _compare(a: Place, b: Place, farther: bool, lang: Lang) -> tuple[str, str]:
    ma, mb = a.minutes_from_gate, b.minutes_from_gate
    if ma == mb:
        if lang == "ko":
            return (f"{josa(label(a, 'ko'), '과/와')} {label(b, 'ko')} 모두 애지문에서 걸어서 "
                    f"약 {ma}분으로 같아요.", "same")
        return (f"They are the same: {label(a, 'en')} and {label(b, 'en')} are both about "
                f"{_minutes(ma)} on foot from Aeji Gate.", "same")
    near, far = (a, b) if ma < mb else (b, a)
    first, second = (far, near) if farther else (near, far)
    if lang == "ko":
        word = "더 멀어요" if farther else "더 가까워요"
        return (f"{josa(label(first, 'ko'), '이/가')} {word}. 애지문에서 걸어서 "
                f"{label(first, 'ko')}까지 약 {first.minutes_from_gate}분, "
                f"{label(second, 'ko')}까지 약 {second.minutes_from_gate}분 걸려요.", first.code)
    word = "farther" if farther else "closer"
    return (f"{_cap(label(first, 'en'))} is {word}: about {_minutes(first.minutes_from_gate)} "
            f"on foot from Aeji Gate, against {_minutes(second.minutes_from_gate)} for "
            f"{label(second, 'en')}.", first.code)


def _seen_from(origin: Place, code: str) -> str | None:
    """The direction of ``code`` as the KB records it from ``origin``, if it does."""
    return next((n.direction_ko + "\t" + n.direction_en for n in origin.neighbours
                 if n.code == code), None)


def _direction(target: Place, origin: Place, lang: Lang, kb: KnowledgeBase) -> str:
    """Where ``target`` lies as seen from ``origin``: the origin's neighbour entry, else the
    target's entry for the origin said as it is recorded, else honestly not known."""
    recorded = _seen_from(origin, target.code)
    if recorded:
        ko, en = recorded.split("\t")
        if lang == "ko":
            return (f"{label(origin, 'ko')} 기준으로 {josa(label(target, 'ko'), '은/는')} "
                    f"{ko}에 있어요.")
        return f"Seen from {label(origin, 'en')}, {label(target, 'en')} is {en}."
    reverse = _seen_from(target, origin.code)
    if reverse:
        ko, en = reverse.split("\t")
        if lang == "ko":
            return (f"{label(target, 'ko')}에서 보면 {josa(label(origin, 'ko'), '이/가')} {ko}에 "
                    "있어요. 두 건물은 바로 이웃이에요.")
        return (f"The two are neighbours: seen from {label(target, 'en')}, "
                f"{label(origin, 'en')} is {en}.")
    if lang == "ko":
        way = answers.compose(target, Intent.LOCATION, "ko", kb)
        return (f"{label(origin, 'ko')}에서 본 {label(target, 'ko')}의 방향은 제가 가진 정보에 "
                f"없어요. 애지문에서는 이렇게 가요: {way}")
    return (f"I don't know which way {label(target, 'en')} lies from {label(origin, 'en')}. "
            f"From Aeji Gate: {answers.compose(target, Intent.LOCATION, 'en', kb)}")


def _route_between(origin: Place, target: Place, lang: Lang, kb: KnowledgeBase) -> str:
    """From one building to another: direct when they are neighbours, otherwise the route
    from the gate, said as such."""
    recorded = _seen_from(origin, target.code)
    reverse = _seen_from(target, origin.code)
    if recorded or reverse:
        if recorded:
            ko, en = recorded.split("\t")
            said_ko = (f"{label(origin, 'ko')}에서 보면 {josa(label(target, 'ko'), '은/는')} "
                       f"{ko}에 있어요.")
            said_en = f"From {label(origin, 'en')}, {label(target, 'en')} is right nearby, {en}."
        else:
            ko, en = reverse.split("\t")  # type: ignore[union-attr]
            said_ko = (f"{josa(label(target, 'ko'), '은/는')} {label(origin, 'ko')} 바로 옆이에요. "
                       f"{label(target, 'ko')}에서 보면 "
                       f"{josa(label(origin, 'ko'), '이/가')} {ko}에 있어요.")
            said_en = (f"{_cap(label(target, 'en'))} is right next to {label(origin, 'en')}; "
                       f"seen from {label(target, 'en')}, {label(origin, 'en')} is {en}.")
        return said_ko if lang == "ko" else said_en
    if lang == "ko":
        return (f"{label(origin, 'ko')}에서 가는 길은 제가 가진 정보에 없고, 애지문에서 가는 길만 "
                f"알아요. {answers.compose(target, Intent.LOCATION, 'ko', kb)}")
    return (f"I only know the way from Aeji Gate, not from {label(origin, 'en')}. "
            f"{answers.compose(target, Intent.LOCATION, 'en', kb)}")


# --- checks -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents ("Café" = "cafe"); Hangul stays whole syllables."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _compared(claimed: str, actual: int) -> str:
    """"yes"/"no" for "15", ">15" (more than) or "<1" (within) against the KB's number."""
    number = int(claimed.lstrip("<>"))
    if claimed.startswith(">"):
        return "yes" if actual > number else "no"
    if claimed.startswith("<"):
        return "yes" if actual <= number else "no"
    return "yes" if actual == number else "no"


def _truth(claim: Claim, place: Place, kb: KnowledgeBase) -> tuple[str, Intent]:
    """("yes"/"no"/"unknown", the kind of fact that settles it) for a claim about a place."""
    about, value = claim.about, claim.value
    if about == "code":
        target = kb.by_code(value)
        same = value == place.code or (target is not None and target.code == place.code)
        return ("yes" if same else "no"), Intent.CODE
    if about == "floors":
        if not place.floors_above or not value.lstrip("<>").isdigit():
            return "unknown", Intent.FLOORS
        return _compared(value, place.floors_above), Intent.FLOORS
    if about == "basement":
        if not place.floors_above:
            return "unknown", Intent.FLOORS
        if place.floors_below is None:
            # the KB gives floors above ground only: it does not say there is no basement
            return "unknown", Intent.FLOORS
        if value.isdigit():
            return ("yes" if int(value) == place.floors_below else "no"), Intent.FLOORS
        return ("yes" if value == "yes" else "no"), Intent.FLOORS
    if about == "minutes":
        if not value.lstrip("<>").isdigit():
            return "unknown", Intent.WALK_TIME
        return _compared(value, place.minutes_from_gate), Intent.WALK_TIME
    if about == "neighbour":
        other = kb.by_code(value)
        if other is None:
            return "unknown", Intent.NEIGHBOURS
        if _seen_from(place, other.code) or _seen_from(other, place.code):
            return "yes", Intent.NEIGHBOURS
        # The seed lists only each place's nearest two: not listed is no proof of not next
        # to it, unless their walks from the gate differ too much for neighbours.
        apart = abs(place.minutes_from_gate - other.minutes_from_gate) >= _NOT_NEIGHBOURS_MIN
        return ("no" if apart else "unknown"), Intent.NEIGHBOURS
    if about == "direction":  # "is A right below B?": B's entry for A, else unknown
        code, _, word = value.partition(" ")
        other = kb.by_code(code)
        recorded = _seen_from(other, place.code) if other is not None else None
        if recorded is None:
            return "unknown", Intent.NEIGHBOURS
        if word in recorded.lower():
            return "yes", Intent.NEIGHBOURS
        # "옆", "nearby": the KB does not say which side, so no side is ruled out
        vague = not any(w in recorded.lower() for w in (*cues.DIRECTION_WORDS_EN,
                                                         *cues.DIRECTION_WORDS_KO))
        return ("unknown" if vague else "no"), Intent.NEIGHBOURS
    if about == "words":
        known = fold(" ".join([place.name_ko, place.name_en, *place.aliases_ko,
                                *place.aliases_en, place.category_ko, place.category_en,
                                *place.features_ko, *place.features_en]))
        words = [fold(w) for w in value.split()]
        if _opposite(words, known):
            return "no", Intent.CATEGORY
        found = all(_said_in(w, known) for w in words)
        if not found and _another_category(words, place, kb):
            return "no", Intent.CATEGORY  # "행원파크가 기숙사예요?": others' kind
        return ("yes" if found else "unknown"), Intent.CATEGORY
    return "unknown", Intent.LOCATION


_NOT_NEIGHBOURS_MIN = 5
# How students say what a building has: 학식 is the 학생식당, 사회대 the 사회과학대학
_CLAIM_WORD_FORMS_KO = {"학식": "식당", "밥": "식당", "매점": "편의점"}


def _said_in(word: str, known: str) -> bool:
    """Whether a claimed word is in the place's facts, as written or in a short form: an
    English plural, 학식 for 학생식당, "X대" for a college "X…대학" (사회대, 공대)."""
    if re.search(rf"(?<![a-z]){re.escape(word.rstrip('s'))}", known):
        return True
    if word in _CLAIM_WORD_FORMS_KO:
        return _CLAIM_WORD_FORMS_KO[word] in known
    return (len(word) >= 2 and word.endswith("대") and not word.isascii()
            and re.search(rf"{re.escape(word[:-1])}[가-힣]{{0,3}}대학", known) is not None)


def _another_category(words: list[str], place: Place, kb: KnowledgeBase) -> bool:
    """A claimed word that is the kind of other places ("dormitory", "기숙사") and not this
    one's: the KB knows what this place is, and it is not that."""
    kinds = {fold(c) for p in kb.places if p.code != place.code
             for c in (p.category_ko, p.category_en)}
    own = fold(f"{place.category_ko} {place.category_en}")
    names = {fold(w) for p in kb.places for n in (p.name_en, *p.aliases_en, p.name_ko,
                                                   *p.aliases_ko) for w in n.split()}
    return any(len(w) >= 2 and w not in own and not (w.isascii() and w in names)  # "gate"
               and any(w in k for k in kinds) for w in words)


def _opposite(words: list[str], known: str) -> bool:
    """"the women's dorm" said of a men's dormitory, "indoors" of an outdoor theatre: the KB
    says the opposite."""
    for pair in cues.OPPOSITES:
        for said, other in (pair, pair[::-1]):
            if any(w in said for w in words) and not any(
                    re.search(rf"(?<![a-z]){g}", known) for g in said) and any(
                    re.search(rf"(?<![a-z]){g}", known) for g in other):
                return True
    return False


def _check(claim: Claim, place: Place | None, said: str, lang: Lang,
           kb: KnowledgeBase) -> tuple[str, str]:
    if claim.about == "exists" or place is None:
        # the name is none of ours: "doesn't exist, does it?" is right, "it exists" is not
        verdict = "yes" if claim.value == "no" else "no"
        return _verdict_word(verdict, lang) + " " + _unknown_place(said, lang), verdict
    if claim.about == "nearer":  # "the library is closer than the museum, right?"
        compared = _nearer(claim, place, lang, kb)
        if compared is not None:
            text, winner = compared
            truth = "yes" if (winner == place.code) != claim.negated else "no"
            return f"{_verdict_word(truth, lang)} {text}", truth
    truth, settles = _truth(claim, place, kb)
    if claim.about == "direction":
        code = claim.value.partition(" ")[0]
        other = kb.by_code(code)
        if other is not None:  # the fact that settles it: where A lies as seen from B
            return f"{_verdict_word(truth, lang)} {_direction(place, other, lang, kb)}", truth
    if claim.negated and truth in ("yes", "no") and claim.about not in ("basement",):
        truth = "no" if truth == "yes" else "yes"
    fact = answers.compose(place, settles, lang, kb)
    if claim.about == "words" and truth == "yes" and any(
            fold(w) in fold(" ".join(place.features_en + place.features_ko))
            for w in claim.value.split()):
        fact = answers.compose(place, Intent.FEATURES, lang, kb)
    return f"{_verdict_word(truth, lang)} {fact}", truth


def _verdict_word(verdict: str, lang: Lang) -> str:
    if lang == "ko":
        return {"yes": "네, 맞아요.", "no": "아니요.",
                "unknown": "그건 제가 가진 정보로는 알 수 없어요."}[verdict]
    return {"yes": "Yes.", "no": "No.",
            "unknown": "I don't know that from my campus information."}[verdict]


# --- what the KB does not know ----------------------------------------------------------------


def _unknown_attribute(attribute: str, place: Place | None, lang: Lang,
                       kb: KnowledgeBase) -> str:
    if attribute == "time":
        return ("죄송해요, 지금 시각은 알려 드릴 수 없어요." if lang == "ko"
                else "Sorry, I don't know the time; I only know the campus.")
    ko, en = ATTRIBUTE_NAMES.get(attribute, ("그 정보", "that"))
    if lang == "ko":
        if place is None:
            return (f"죄송해요, {josa(ko, '은/는')} 제가 모르는 정보예요. "
                    "저는 캠퍼스 건물 안내만 해요.")
        return (f"죄송해요, {label(place, 'ko')}의 {josa(ko, '은/는')} 제가 모르는 정보예요. "
                f"{answers.compose(place, Intent.WALK_TIME, 'ko', kb)}")
    if place is None:
        return f"Sorry, I don't know {en}; I only know where campus buildings are."
    return (f"Sorry, I don't know {en} for {label(place, 'en')}. "
            f"{answers.compose(place, Intent.WALK_TIME, 'en', kb)}")


def _unknown_place(said: str, lang: Lang) -> str:
    name = said.strip() or ("그 건물" if lang == "ko" else "that building")
    if lang == "ko":
        return f"{josa(name, '은/는')} 제가 가진 한양대학교 캠퍼스 정보에 없는 건물이에요."
    return (f"There is no {_title(name)} in my Hanyang University campus information, "
            "so I can't say where it is.")


def _title(name: str) -> str:
    return " ".join(w if w.isdigit() else w[:1].upper() + w[1:] for w in name.split())


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _minutes(n: int) -> str:
    return f"{n} minute" if n == 1 else f"{n} minutes"


# --- conversation -----------------------------------------------------------------------------

_LANGUAGES = re.compile(r"speak|english|korean|영어|한국어|한국말")


def conversation(act: Act, lang: Lang, text: str = "") -> str:
    """What the kiosk says to thanks, goodbye, hello, "who are you", "what can you do", a nod
    ("ok"); to "stop", nothing."""
    if act is Act.THANKS:
        return ("천만에요! 더 궁금한 건물이 있으면 말씀해 주세요." if lang == "ko"
                else "You're welcome! Ask me about any other building.")
    if act is Act.GOODBYE:
        return "안녕히 가세요! 좋은 하루 보내세요." if lang == "ko" else "Goodbye, have a nice day!"
    if act is Act.WHO_ARE_YOU:
        if lang == "ko":
            return ("저는 한양대학교 애지문에 있는 캠퍼스 안내 키오스크예요. "
                    "사람이 아니라 기계예요. "
                    "건물 위치, 번호, 걸어서 걸리는 시간, 가는 길을 알려 드려요.")
        return ("I'm the campus information kiosk at Aeji Gate of Hanyang University: a "
                "machine, not a person. I can tell you where buildings are, their numbers, "
                "how far they are on foot and how to get there.")
    if act is Act.CAPABILITIES:
        languages = bool(_LANGUAGES.search(text.lower()))
        if lang == "ko":
            head = "네, 한국어와 영어로 안내해 드려요. " if languages else ""
        else:
            head = "Yes, I speak English and Korean. " if languages else ""
        return head + answers.help_text(lang)
    if act is Act.GREETING:
        return answers.greeting(lang)
    if act is Act.STOP:
        return ""  # asked to stop: nothing is said
    if act is Act.ACKNOWLEDGE:
        return ("네, 더 궁금한 게 있으면 말씀해 주세요." if lang == "ko"
                else "Sure. Anything else you'd like to know?")
    return answers.help_text(lang)
