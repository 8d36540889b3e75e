"""Whole-utterance understanding: text and the conversation so far in, a typed `Query` out.

Visitors do not ask one thing about one place: "퓨전테크센터 몇 층이고 걸어서 몇 분 걸려?",
"which is closer, the library or Engineering Building 1?", "그럼 별관은요?", "thanks!",
"say that again", "when does the library open?". The order of work:

1. the act: injection, then language switch / repeat / slower (they need a past answer),
   then thanks, goodbye, who-are-you, capabilities, greeting when no place is asked about;
2. places, where they were said (`retrieval.mentions`), minus those negated ("A 말고 B");
3. two places with a relation cue: a comparison, a direction seen from one of them, or a
   route from one to the other;
4. otherwise the utterance is cut into clauses ("…이고", "and", "?"); each clause's question
   kinds go with its places, a clause without a place takes the previous one's (or the
   conversation's), a clause without a kind takes its neighbour's (or the last question's);
5. attributes the KB lacks (hours, menu, ...), yes/no claims and names that sound like a
   place but are none of ours (Engineering Building 5) become asks of their own, so the
   answer can say plainly what it does not know instead of answering another question.

Precision beats recall: a place is only ever one that `retrieval` found in what was said
or the conversation's last place; nothing here guesses a building.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kiosk.campus import cues, retrieval
from kiosk.campus.facilities import places_with_facility
from kiosk.campus.knowledge import KnowledgeBase, Place
from kiosk.campus.query import Act, Ask, Claim, Kind, Lang, Query
from kiosk.campus.retrieval import Intent, Mention
from kiosk.campus.spoken_numbers import spoken_numbers_to_digits

_GATE_CODES = ("104", "station")  # where the kiosk and the visitor already stand
_SEP = retrieval.SEPARATOR
_SENTENCE_END = re.compile(r"[?!;？！。]+|(?<!\d)\.(?!\d)|,(?=\s)|\s[-–—]\s")
_CLAUSE_EN = re.compile(r"\b(and also|and then|and|also|plus|then|as well as|but)\b")
# Korean clause endings that join two questions: "몇 층이고 몇 분 걸려?", "어디 있는데 번호는?"
_CLAUSE_KO = re.compile(
    r"(?<=[가-힣])(이고|있고|걸리고|되고|이구|인데|는데|이며|고요|구요)(?=\s|$)|(?<=어디)고$")
# A Korean sentence that ended without punctuation ("본관 몇 번이에요 총장실 거기 있어요?"):
# a word with a sentence-final ending, followed by more words.
_SENTENCE_KO = re.compile(r"(?<=[가-힣])(에요|예요|어요|아요|해요|돼요|나요|까요|세요|죠|니까|"
                          r"습니까|이야|거야|는데요)$")
_CLAUSE_KO_WORDS = re.compile(
    r"(?<![가-힣])(그리고|그리고요|또|그럼|그러면|아 그리고|근데)(?![가-힣])")
_KIND_OF_INTENT = {Intent.LOCATION: Kind.LOCATION, Intent.CODE: Kind.CODE,
                   Intent.WALK_TIME: Kind.WALK_TIME, Intent.FLOORS: Kind.FLOORS,
                   Intent.FEATURES: Kind.FEATURES, Intent.CATEGORY: Kind.CATEGORY,
                   Intent.NEIGHBOURS: Kind.NEIGHBOURS, Intent.ROUTE: Kind.ROUTE}
# "Engineering Building 1 and 2", "제1, 제2공학관": the name said once for two numbers.
_NUMBER = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine)"
_TWO_NUMBERS_EN = re.compile(
    rf"\b((?:[a-z]+ ){{1,3}})(\d{{1,2}})((?:,? (?:and |or |& )?{_NUMBER}\b)+)")
_DIGIT_OF = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine".split())}
_TWO_NUMBERS_KO = re.compile(r"제(\d)\s*(,|이랑|하고|랑|와|과|및)\s*제(\d)([가-힣]+)")
# "한양사이버대학교 이관은": hall two said as a word, after a name and a space
_SPOKEN_HALL_KO = re.compile(r"(?<=[가-힣] )([일이삼사오])관"
                             r"(?=$|[\s?.!,]|[은는을를에도의]|이[에야]?)")
# "칠 생활관 몇 번이에요": residence hall 7 said as a word ("이 생활관" is "this hall")
_SPOKEN_DORM_KO = re.compile(r"(?<![가-힣])([일삼사오육칠팔구]|이(?=생활관))\s*(생활관|학생생활관)")
# "is it too minutes away", "residence hall to": two, as the recogniser spells it
_TWO_AS_TO_EN = re.compile(r"\b(to|too)\b(?= (minutes?|mins?|floors?|stor(e)?ys?)\b)",
                           re.IGNORECASE)
_HALL_TWO_AS_TO_EN = re.compile(r"\b(hall|building)\s+(to|too)\b(?=\s*(where\b|[?.,!]|$))",
                                re.IGNORECASE)
_SPOKEN_ORDINAL_KO = re.compile(r"제\s*([일이삼사오육칠팔구])\s+(?=[가-힣])")
_ORDINAL = re.compile(r"\b(\d)(st|nd|rd|th)?\b|(?<![가-힣])(\d)\s*번째")


def understand(text: str, kb: KnowledgeBase, history_places: Sequence[str] = (),
               last: Query | None = None) -> Query:
    """The visitor's act and asks; ``history_places`` are the conversation's places, most
    recent first, and ``last`` the previous question, for follow-ups and "say that again"."""
    text = " ".join(text.split())
    lang: Lang = retrieval.detect_language(text)
    if not text:
        return Query(text, lang, lang, Act.NOTHING)
    if retrieval.is_injection(text):
        return Query(text, lang, lang, Act.INJECTION)
    norm = retrieval.normalise(text)
    compact = norm.replace(" ", "")
    target = _language_asked(norm, compact)
    asked = target or (last.asked_lang if last is not None else None)
    reply_lang: Lang = asked or lang

    def query(reply: Lang, act: Act, asks: Sequence[Ask] = ()) -> Query:
        return Query(text, lang, reply, act, tuple(asks), asked)

    asks = _asks(_named_references(text, lang, last, kb), kb, history_places, last)
    act = _act(norm, compact, questioning=text.rstrip().endswith("?"))
    if last is not None and (not _asks_anything_new(asks, last) or (
            (target or act in (Act.REPEAT, Act.SLOWER)) and not retrieval.mentions(text, kb))):
        if act is Act.SLOWER or (act is Act.REPEAT and not target):
            return query(last.reply_lang, act)
        if target and target != last.reply_lang:
            return query(target, Act.SWITCH_LANGUAGE, last.asks)
        if act is Act.REPEAT:
            return query(last.reply_lang, Act.REPEAT)
    if asks and all(a.kind is Kind.UNKNOWN_ATTRIBUTE and not a.places
                    and a.attribute in _OFF_TOPIC_ATTRIBUTES for a in asks):
        return query(reply_lang, Act.OFF_TOPIC)  # the weather, the time: not campus
    if asks:
        return query(reply_lang, Act.QUESTION, asks)
    if target and last is None:  # "영어로 해 주실 수 있어요?" first: yes, and how to ask
        return query(target, Act.CAPABILITIES)
    if act is not None and act not in (Act.REPEAT, Act.SLOWER):
        return query(reply_lang, act)
    if _off_topic(text, lang) or not _about_a_place(text):
        return query(reply_lang, Act.OFF_TOPIC)
    return query(reply_lang, Act.QUESTION)


_PLACE_WORDS_EN = re.compile(r"\b(where|building|buildings|hall|center|centre|library|gate|"
                             r"house|school|college|dorm|dormitory|office|room|gym|field|"
                             r"park|plaza|tower|museum|theater|theatre|station|campus|"
                             r"university|how (do|can) i get|way to|go to|near|far)\b")
_PLACE_WORDS_KO = ("어디", "건물", "관", "센터", "도서관", "문", "기숙사", "가는", "가려면", "위치",
                   "캠퍼스", "학교", "대학", "병원", "식당", "장", "실", "역", "홀", "쪽")


def _about_a_place(text: str) -> bool:
    """Whether the utterance asks about some place at all (a name the KB lacks is still a
    place: "Where is the Hogwarts Tower?" gets "I don't know that place", while "what's the
    capital of France" is off-topic)."""
    norm = retrieval.normalise(text)
    if retrieval.intents_in(text) or _PLACE_WORDS_EN.search(norm):
        return True
    return any(w in norm for w in _PLACE_WORDS_KO)


def _asks_anything_new(asks: list[Ask], last: Query) -> bool:
    """An utterance whose asks are only the last question's again ("다시 한번 말해 줄래?"
    resolves "거기" to the same place) asks nothing new."""
    return any(ask not in last.asks and ask.kind is not Kind.LOCATION for ask in asks) or any(
        ask.places and not set(ask.places) <= set(last.places) for ask in asks)


def _language_asked(norm: str, compact: str) -> Lang | None:
    if cues.TO_KOREAN_EN.search(norm) or any(c in compact for c in cues.TO_KOREAN_KO):
        return "ko"
    if cues.TO_ENGLISH_EN.search(norm) or any(c in compact for c in cues.TO_ENGLISH_KO):
        return "en"
    return None


def _act(norm: str, compact: str, questioning: bool = False) -> Act | None:
    """The first conversational act the utterance shows, in priority order ("고마워요
    수고하세요" thanks; "ok thanks bye" says goodbye). A nod asked as a question ("네?",
    "응?", written with its rising "?") is "pardon?"."""
    if "수고" in compact and any(w in compact for w in ("고마워", "고맙", "감사")):
        return Act.THANKS
    for (act, pattern), (_, words) in zip(cues.ACTS_EN, cues.ACTS_KO, strict=True):
        if pattern.search(norm) or any(w in compact for w in words):
            return act
    if cues.STOP_EN.search(norm) or cues.STOP_KO.match(compact):
        return Act.STOP
    if cues.ACKNOWLEDGE_KO.match(compact):
        return Act.REPEAT if questioning else Act.ACKNOWLEDGE
    if cues.ACKNOWLEDGE_EN.search(norm):
        return Act.ACKNOWLEDGE
    return None


def _off_topic(text: str, lang: Lang) -> bool:
    return retrieval.classify_intent(text, lang) is Intent.OFFTOPIC or bool(
        _attributes(retrieval.normalise(text)))


# --- asks -------------------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Spoken numbers as digits, "Building 1 and 2" as two names, clause marks as one token."""
    text = spoken_numbers_to_digits(text)
    text = _SPOKEN_ORDINAL_KO.sub(lambda m: f"제{_KO_NUMBER[m[1]]}", text)
    text = _SPOKEN_HALL_KO.sub(lambda m: f"{_KO_NUMBER[m[1]]}관", text)
    text = _SPOKEN_DORM_KO.sub(lambda m: f"{_KO_NUMBER[m[1]]}{m[2]}", text)
    text = _TWO_AS_TO_EN.sub("2", text)
    text = _HALL_TWO_AS_TO_EN.sub(r"\1 2", text)
    text = _TWO_NUMBERS_KO.sub(lambda m: f"제{m[1]}{m[4]} {m[2]} 제{m[3]}{m[4]}", text)
    lowered = retrieval.normalise(text) if _TWO_NUMBERS_EN.search(text.lower()) else text
    text = _TWO_NUMBERS_EN.sub(_each_number, lowered)
    return _SENTENCE_END.sub(f" {_SEP} ", text)


def _each_number(m: re.Match[str]) -> str:
    """"law school buildings 1 2 and 3" -> "law school buildings 1, law school buildings 2 and
    law school buildings 3"."""
    name, first = m[1], m[2]
    out = [f"{name}{first}"]
    for joiner, number in re.findall(rf"(,? (?:and |or |& )?)({_NUMBER})\b", m[3]):
        out.append(f"{joiner.strip(' ,') or ','} {name}{_DIGIT_OF.get(number, number)}")
    return " ".join(out)


_ONE_OF_THEM_EN = re.compile(r"\bthe (first|second|former|latter|closer|nearer|closest|nearest|"
                             r"farther|further|farthest|furthest) (one|building|place)\b",
                             re.IGNORECASE)
_ONE_OF_THEM_KO = re.compile(r"(첫\s*번째|두\s*번째|앞에\s*말한|뒤에\s*말한|"
                             r"(?:더\s*)?가까운|(?:더\s*)?먼)\s*(거|것|곳|데|쪽|건물)")
_FIRST_WORDS = ("first", "former", "첫", "앞에")
_SECOND_WORDS = ("second", "latter", "두", "뒤에")
_NEARER_WORDS = ("closer", "nearer", "closest", "nearest", "가까운")


def _named_references(text: str, lang: Lang, last: Query | None, kb: KnowledgeBase) -> str:
    """One of the two places just asked about, named: after "the museum or International
    Hall?", "the closer one" is the Museum and "the second one" International Hall; after
    "제1법학관이랑 제2법학관 중에…", "두 번째 거" is 제2법학관. With one place or none, the words
    stay (the sibling rule reads "the second one" after Engineering Building I)."""
    places = [p for p in (kb.by_code(c) for c in (last.places if last else ())) if p]
    if len(places) < 2:
        return text

    def name(m: re.Match[str]) -> str:
        said = m[1].lower()
        if said.startswith(_FIRST_WORDS):
            chosen = places[0]
        elif said.startswith(_SECOND_WORDS):
            chosen = places[1]
        else:
            order = sorted(places, key=lambda p: p.minutes_from_gate)
            chosen = order[0] if any(w in said for w in _NEARER_WORDS) else order[-1]
        return chosen.name(lang)

    pattern = _ONE_OF_THEM_KO if lang == "ko" else _ONE_OF_THEM_EN
    return pattern.sub(name, text)


def _without_campus_words(found: list[Mention], words: list[str],
                          kb: KnowledgeBase) -> list[Mention]:
    """"한양여대, 교수회관" (Whisper's commas between words): the campus said before one of its
    buildings names that building, not also the campus's main building (901) that the campus
    name alone stands for."""
    out = []
    for i, m in enumerate(found):
        place, following = kb.by_code(m.code), found[i + 1] if i + 1 < len(found) else None
        other = kb.by_code(following.code) if following is not None else None
        campus = place.name_ko.split()[0] if place is not None else ""
        if (place is not None and other is not None and following is not None
                and all(w == _SEP for w in words[m.last + 1:following.first])
                and "관" not in "".join(_span(m, words))  # "사범대 본관에서 사범대 별관": a hall
                and other.code != place.code
                and campus in place.aliases_ko and other.name_ko.startswith(campus + " ")):
            continue
        out.append(m)
    return out


def _asks(text: str, kb: KnowledgeBase, history: Sequence[str], last: Query | None) -> list[Ask]:
    prepared = _prepare(text)
    words = retrieval.words(prepared)
    found = _without_campus_words([m for m in retrieval.mentions(prepared, kb)
                                   if not _negated(m, words)], words, kb)
    relation = (_relation(found, words, kb)
                or _relation_with_context(found, words, kb, history, last)
                or _the_same_relation(found, words, last))
    if relation is not None and relation.kind is Kind.DIRECTION:
        relation = _direction_check(words, relation, kb) or relation
    if relation is not None and relation.kind is Kind.COMPARE:
        relation = _comparison_check(words, found, relation) or relation
    if relation is not None:
        also = [ask for part in _beside_the_relation(words) for ask in _asks(
            part, kb, (*relation.places, *history), last) if ask != relation]
        return list(dict.fromkeys([relation, *also, *_extra_unknowns(words, found)]))
    clauses = _clauses(words, found)
    checking = _checking(" ".join(words)) or _declarative_question(text)
    asks: list[Ask] = []
    previous_places: tuple[str, ...] = ()
    previous_kinds: tuple[Kind, ...] = ()
    for i, part in enumerate(clauses):
        clause = " ".join(w for w in part.words if w != _SEP)
        if not clause:
            continue
        places = part.places
        attribute = _attribute(part.plain, kb)
        kinds = _kinds(clause) if not attribute else ()
        unknown = _unknown_place(clause, kb, part.words, found)
        if unknown is not None:
            places = ()
        check = _neighbour_check(clause, part.named, previous_places or tuple(history[:1]),
                                 claimed=checking)
        if check is None and not part.named and previous_places:
            # "사범대학 본관 어디예요? 별관은 그 옆이에요?": the annex, next to the main one?
            relative = _contextual(clause, kb, previous_places[0])
            if relative is not None:
                check = _neighbour_check(clause, (relative,), previous_places)
        if check is not None:
            asks.append(check)
            previous_places, previous_kinds = check.places, (Kind.NEIGHBOURS,)
            continue
        if previous_places and part.named and _checks_it_against(clause):
            # "where's X and is it next to Y?": the claim is about X, the place just asked
            claim = _claim(clause, (previous_places[0], *part.named), kb, None)
            if claim is not None:
                asks.append(Ask(Kind.CHECK, previous_places[:1], claim=claim))
                continue
        # each clause of several is a question or a claim of its own
        several = sum(_has_content(" ".join(w for w in c.words if w != _SEP))
                      for c in clauses) > 1
        asks_yes_no = ((checking and not (several and _asks_its_own(clause)))
                       or (several and Kind.WALK_TIME not in kinds  # "is it far?": minutes
                           and (_checking(clause) or _polar_ko(clause)))
                       or _claims_a_number_ko(clause) or _asks_if_there_is(clause, kinds))
        # "are there any events at the theater tonight?": what the KB lacks, not a claim (a
        # thing a building may have, "is there an elevator?", stays a yes/no: unknown)
        asks_yes_no = asks_yes_no and attribute in ("", *_THINGS_A_PLACE_HAS)
        claim = _claim(clause, part.named, kb, unknown) if asks_yes_no else None
        claim = _nearer_than_before(claim, clause, part.named, history)
        if unknown is not None:
            asks.append(Ask(Kind.CHECK, claim=claim, said=unknown) if claim is not None
                        else Ask(Kind.UNKNOWN_PLACE, said=unknown))
            previous_places, previous_kinds = (), kinds
            continue
        if not places and not (kinds or attribute or (asks_yes_no and _has_content(clause))):
            context = previous_places or (tuple(history[:1]) if not asks else ())
            relative = _contextual(clause, kb, context[0]) if context else None
            if relative is None:
                continue  # a tag ("isn't it?") or filler: nothing asked in this clause
            places = (relative,)  # "그럼 별관은요?": the last question, about the annex
            kinds = previous_kinds or kinds
        if not places:
            places = _inherited_places(clause, kb, history, last, previous_places, kinds,
                                       attribute, asks_yes_no, i == 0)
            if asks_yes_no and places:
                claim = _nearer_than_before(_claim(clause, (*places, *part.named), kb, None),
                                            clause, places, history)
        if claim is not None and places:
            asks.append(Ask(Kind.CHECK, places[:1], claim=claim))
            previous_places = places
            continue
        if attribute:
            about = () if attribute in _PLACELESS_ATTRIBUTES else places[:1]
            asks.append(Ask(Kind.UNKNOWN_ATTRIBUTE, about, attribute=attribute))
            previous_places = places or previous_places
            continue
        if not places:
            continue
        beside = _facility_beside(part.plain, places[0], kb)
        if beside is not None:  # "the convenience store next to the library": the store
            places = (beside,)  # (its facility and "next to" found it: they are not asked)
            kinds = tuple(k for k in kinds if k not in (Kind.NEIGHBOURS, Kind.FEATURES))
        if not kinds:
            kinds = previous_kinds or _next_kinds(clauses, i) or _last_kinds(last) or (
                Kind.LOCATION,)
        for place in places:
            asks.extend(Ask(kind, (place,)) for kind in kinds)
        previous_places, previous_kinds = places, kinds
    return _without_covered(asks)


def _facility_beside(plain: str, code: str, kb: KnowledgeBase) -> str | None:
    """The one neighbour of ``code`` that has the facility the words name, when the words
    say "next to"/"옆" and ``code`` itself lacks it: "where's that little convenience store
    next to the library?" asks for the store, not the library."""
    compact = plain.replace(" ", "")
    if not (cues.NEIGHBOUR_EN.search(plain) or any(c in compact for c in cues.NEIGHBOUR_KO)):
        return None
    having = places_with_facility(plain, compact, kb)
    place = kb.by_code(code)
    if place is None or not having or code in having:
        return None
    near = [c for c in having if any(n.code == c for n in place.neighbours) or any(
        n.code == code for n in (kb.by_code(c) or place).neighbours)]
    return near[0] if len(near) == 1 else None


def _beside_the_relation(words: list[str]) -> list[str]:
    """The other questions of an utterance that asks a relation: "How far is Hannuri Hall,
    and which way is it from Gaenari Hall?", "본관이랑 역사관 중에 뭐가 더 가까워요? 그리고
    역사관에는 뭐 있어요?" -- the parts between clause marks that ask something of their own
    and carry no relation cue (a part with only names, "International Hall or the Museum",
    belongs to the relation)."""
    parts = [" ".join(g) for sep, g in itertools.groupby(words, lambda w: w == _SEP) if not sep]
    if len(parts) < 2:
        return []
    return [p for p in parts if _kinds(p) and not _relation_cue(p)]


def _relation_cue(text: str) -> bool:
    compact = text.replace(" ", "")
    return bool(cues.COMPARE_EN.search(text) or cues.ROUTE_EN.search(text)
                or cues.DIRECTION_EN.search(text) or any(
                    c in compact for c in (*cues.COMPARE_KO, *cues.ROUTE_KO, *cues.DIRECTION_KO)))


# Attributes of no campus place; asked alone they are off-topic.
_PLACELESS_ATTRIBUTES = frozenset({"weather", "time", "politics", "news"})
_OFF_TOPIC_ATTRIBUTES = _PLACELESS_ATTRIBUTES | {"price"}
_THINGS_A_PLACE_HAS = ("accessibility", "parking", "toilet", "wifi")


def _negated(m: Mention, words: list[str]) -> bool:
    """"제2공학관 말고", "not the east wing": the visitor takes this place back."""
    after = m.after + (words[m.last + 1] if m.last + 1 < len(words) else "")
    if any(after.startswith(n) or m.after.startswith(n) for n in cues.NEGATED_AFTER_KO):
        return True
    before = words[m.first - 1] if m.first > 0 else ""
    before2 = words[m.first - 2] if m.first > 1 else ""
    return before in cues.NEGATED_BEFORE_EN or (before == "the" and before2 == "not")


@dataclass
class _Clause:
    words: list[str]
    places: tuple[str, ...]    # asked about (the gate dropped when another place is named)
    named: tuple[str, ...]     # every place said, the gate too ("right next to the gate?")
    plain: str                 # the words outside place names ("Open Source … Center" is no
                               # "open" of opening hours)


def _clauses(words: list[str], found: list[Mention]) -> list[_Clause]:
    """Words cut at clause boundaries that lie outside every place name, each clause with the
    places said in it."""
    inside = {i for m in found for i in range(m.first, m.last + 1)}
    cuts = [0]
    for i, word in enumerate(words):
        if i in inside or i == 0:
            continue
        joined = i > 0 and (i - 1) not in inside and (
            _CLAUSE_KO.search(words[i - 1]) or _SENTENCE_KO.search(words[i - 1]))
        if word == _SEP or _CLAUSE_EN.fullmatch(word) or _CLAUSE_KO_WORDS.fullmatch(word) or joined:
            cuts.append(i)
    cuts.append(len(words))
    out = []
    for start, end in itertools.pairwise(cuts):
        inside_clause = [m for m in found if start <= m.first < end]
        places = tuple(dict.fromkeys(m.code for m in inside_clause if not (
            m is not inside_clause[0] and _qualifier(m, words))))
        # with another place named, the gate is where the visitor starts, not what is asked
        named = places
        places = tuple(c for c in places if c not in _GATE_CODES) or places
        plain = " ".join(w for j, w in enumerate(words[start:end], start)
                         if j not in inside and w != _SEP)
        out.append(_Clause(words[start:end], places, named, plain))
    return _merge_nameless(out)


def _qualifier(m: Mention, words: list[str]) -> bool:
    """"the information and culture building at the women's university": the place after
    "at"/"in" says where the first one is, it is not asked about."""
    before = [w for w in words[:m.first] if w not in ("the", "a", "an")]
    return bool(before) and before[-1] in ("at", "in", "inside")


def _merge_nameless(clauses: list[_Clause]) -> list[_Clause]:
    """A clause with a place but no question ("the library,") and the next with a question
    but no place ("how far is it?") are one question."""
    out: list[_Clause] = []
    for clause in clauses:
        text = " ".join(w for w in clause.words if w != _SEP)
        if out and not clause.places and out[-1].places and not _kinds(
                " ".join(out[-1].words)) and (_kinds(text) or _attribute(clause.plain)):
            prev = out.pop()
            out.append(_Clause(prev.words + clause.words, prev.places, prev.named,
                               f"{prev.plain} {clause.plain}"))
            continue
        out.append(clause)
    return out


def _kinds(clause: str) -> tuple[Kind, ...]:
    """Every question kind a clause asks; "뭐예요"-like category cues only when alone, and
    "where" only when nothing more precise is asked."""
    found = retrieval.intents_in(clause)
    kinds = [_KIND_OF_INTENT[i] for i in found if i in _KIND_OF_INTENT]
    if Kind.CATEGORY in kinds and Kind.FEATURES in kinds:
        kinds.remove(Kind.FEATURES)  # "어떤 시설이에요": the category answer names them too
    if len(kinds) > 1 and Kind.CATEGORY in kinds:
        kinds.remove(Kind.CATEGORY)
    if len(kinds) > 1 and Kind.LOCATION in kinds and Kind.ROUTE in kinds:
        kinds.remove(Kind.ROUTE)
    compact = clause.replace(" ", "")
    if Kind.FEATURES in kinds and _A_SIDE_KO.search(compact):
        # "HIT 오른쪽엔 뭐 있어?": what stands on that side, not what is inside
        kinds[kinds.index(Kind.FEATURES)] = Kind.NEIGHBOURS
    if Kind.NEIGHBOURS not in kinds and (_A_SIDE_EN.search(clause)
                                         or _A_SIDE_BUILDING_KO.search(compact)):
        # "what's to the right of the Main Building?", "본관 왼쪽에 있는 건물 뭐예요?"
        kinds = [k for k in kinds if k not in (Kind.CATEGORY, Kind.FEATURES, Kind.LOCATION)]
        kinds.append(Kind.NEIGHBOURS)
    return tuple(dict.fromkeys(kinds))


_A_SIDE_KO = re.compile(r"(왼쪽|오른쪽|뒤쪽|앞쪽|위쪽|아래쪽|건너편|맞은편)"
                        r"(에는|엔|에|은|는)?(뭐|무엇|어떤)")
_A_SIDE_BUILDING_KO = re.compile(r"(왼쪽|오른쪽|뒤|뒤쪽|앞|앞쪽|위쪽|아래쪽|건너편|맞은편)"
                                 r"(에|에는|엔)?(있는|보이는)(건물|곳|건|거)")
_A_SIDE_EN = re.compile(r"\b(what|which building|what building)( s| is)? (to the (left|right)|"
                        r"on the (left|right)|in front|behind|across from|opposite|"
                        r"above|below|up from|down from)\b")


def _next_kinds(clauses: list[_Clause], i: int) -> tuple[Kind, ...]:
    for clause in clauses[i + 1:]:
        kinds = _kinds(" ".join(w for w in clause.words if w != _SEP))
        if kinds:
            return kinds
    return ()


def _last_kinds(last: Query | None) -> tuple[Kind, ...]:
    if last is None:
        return ()
    return tuple(dict.fromkeys(a.kind for a in last.asks if len(a.places) == 1
                               and a.kind not in (Kind.CHECK, Kind.UNKNOWN_ATTRIBUTE)))


def _without_covered(asks: list[Ask]) -> list[Ask]:
    """A where-is answer already says the number and the minutes: do not say them twice."""
    located = {a.places for a in asks if a.kind is Kind.LOCATION}
    out = [a for a in asks
           if not (a.kind in (Kind.CODE, Kind.WALK_TIME, Kind.ROUTE) and a.places in located)]
    return list(dict.fromkeys(out))


def _inherited_places(clause: str, kb: KnowledgeBase, history: Sequence[str],
                      last: Query | None, previous: tuple[str, ...], kinds: tuple[Kind, ...],
                      attribute: str, checking: bool, first: bool) -> tuple[str, ...]:
    """The place a clause without a name is about: the previous clause's, a follow-up's
    conversation place, a place found by what is in it, or one named relative to the last
    ("그럼 별관은요?", "what about the second one?")."""
    if previous and not first:
        return previous
    norm = retrieval.normalise(clause)
    compact = norm.replace(" ", "")
    if history and (_BOTH_EN.search(norm) or any(w in compact for w in _BOTH_KO)):
        recent = last.places if last is not None and len(last.places) >= 2 else history[:2]
        return tuple(recent)
    if len(history) >= 2 and (_OTHER_EN.search(norm) or any(w in compact for w in _OTHER_KO)):
        return (history[1],)
    if history:
        context = _contextual(clause, kb, history[0])
        if context:
            return (context,)
    asked = bool(kinds or attribute or checking)
    if attribute:  # "when is the festival": no place is asked about unless named or "there"
        if history and retrieval.has_pronoun(clause):
            return (history[0],)
        # "how expensive is the food court?": the one place that has it (a festival is a
        # date, not a facility: "when is the campus festival?" is about no place)
        having = retrieval.find_places(clause, kb) if attribute != "event" else []
        return (having[0],) if len(having) == 1 else ()
    codes = retrieval.find_places(clause, kb, history if asked else ())
    if not codes and asked and history and _is_follow_up(clause):
        codes = [history[0]]
    return tuple(codes[:1])


_BOTH_EN = re.compile(r"\b(both|both of them|each of them|the two)\b")
_BOTH_KO = ("둘다", "두곳다", "두건물다", "두건물모두", "둘모두", "각각")
_OTHER_EN = re.compile(r"\bthe other( one| building| place)?\b")
_OTHER_KO = ("다른데", "다른곳", "다른건물", "다른쪽", "나머지")


_FOLLOW_UP_EN = re.compile(r"^(and|so|also|ok|okay|then|what about|how about|and what about)\b|"
                           r"\b(that|this one|that one|there)\b")


def _is_follow_up(clause: str) -> bool:
    """"And how many minutes is that on foot?": a question about the place just discussed."""
    norm = retrieval.normalise(clause)
    if _FOLLOW_UP_EN.search(norm):
        return True
    unknown = [w for w in norm.split() if w.isascii() and w not in retrieval.lx.EN_FILLER
               and w not in _QUESTION_WORDS_EN]
    # "스타벅스까지 몇 분이에요?" names a place of its own, one the KB lacks: not "there" again
    # ("짐 들고 가면 얼마나 걸려요?", "두 번째 거 몇 층?" name none)
    unknown += [w for w in norm.split() if not w.isascii() and _ko_name_like(w)]
    return not unknown


# "몇번 건물 이에요": the copula written as a word of its own
_KO_COPULA = re.compile(r"^(이에|이예|이야|이었|였|인가|인데|인지|입니|이죠|이지|이네|이라)")


def _ko_name_like(word: str) -> bool:
    """A word of two syllables or more with a particle on it ("스타벅스까지", "수영장은") that
    is no question word: how a name is said in a Korean question."""
    stem = retrieval.strip_particle(word)
    if stem == word or len(stem) < 2 or _KO_COPULA.match(word):
        return False
    return not (_question_word_ko(word)
                or any(stem.startswith(f) for f in retrieval.lx.KO_FEATURE))


_QUESTION_WORDS_EN = frozenset("foot feet away stairs elevator does it s is".split())


_ORDINAL_DIGIT = {"first": "1st", "second": "2nd", "third": "3rd"}
_ORDINAL_WORD_EN = re.compile(r"\b(first|second|third)\b")


def _contextual(clause: str, kb: KnowledgeBase, code: str) -> str | None:
    """A place named relative to the last one: "별관" after 공업센터 본관 is 공업센터 별관,
    "the second one" after Engineering Building I is Engineering Building II."""
    place = kb.by_code(code)
    if place is None:
        return None
    norm = retrieval.normalise(spoken_numbers_to_digits(clause))
    norm = _ORDINAL_WORD_EN.sub(lambda m: _ORDINAL_DIGIT[m[1]], norm)  # "the second one"
    if _OTHER_ONE.search(norm) or any(w in norm.replace(" ", "") for w in _OTHER_ONE_KO):
        siblings = _siblings(kb)[code]
        return siblings[0] if len(siblings) == 1 else None  # "and the other one?"
    number = _ORDINAL.search(norm)
    candidates: list[str] = []
    if number:
        digit = number.group(1) or number.group(3)
        for name in (place.name_ko, *place.aliases_ko, place.name_en):
            if re.search(r"\d|\b(I|II|III)\b", name):
                swapped = re.sub(r"\d", digit, name, count=1)
                swapped = re.sub(r"\b(III|II|I)\b", digit, swapped, count=1)
                candidates.append(swapped)
    said: list[str] = [digit] if number else []
    stems = [retrieval.strip_particle(w) for w in norm.split()
             if re.fullmatch(r"[가-힣]{2,}", w) and not _question_word_ko(w)]
    for stem in stems:
        said.append(stem)
        for cut in range(1, len(place.name_ko)):
            candidates.append(place.name_ko[:cut] + stem)
    latin = [w for w in norm.split() if w.isascii() and w.isalpha()
             and w not in retrieval.lx.EN_FILLER and w not in _QUESTION_WORDS_EN
             and w not in {"what", "about", "and", "second", "first", "third"}]
    if latin:
        said.extend(latin)
        name_words = place.name_en.split()
        for cut in range(1, len(name_words)):
            candidates.append(" ".join(name_words[:cut] + latin))
        # "and the annex?" after the College of Education Main Building
        candidates.append(f"{_FAMILY_WORDS.sub(' ', place.name_en).strip()} {' '.join(latin)}")
    for candidate in candidates:
        codes = retrieval.find_places(candidate, kb)
        other = kb.by_code(codes[0]) if codes else None
        if (other is not None and other.code != code and _shares_name(other, place)
                and _names_said(other, said)):
            return other.code
    return None


_OTHER_ONE = re.compile(r"\b(the other( one| building)?|other one)\b")
_OTHER_ONE_KO = ("다른하나", "다른거", "다른건물", "다른곳", "나머지하나", "나머지건물", "다른한")
# What tells members of one family apart: a number, I/II/III, main building or annex.
_FAMILY_WORDS = re.compile(r"\b(\d+|(?-i:I{1,3})|main building|building|annex|main)\b|"
                           r"제?\d|본관|별관", re.IGNORECASE)


@lru_cache(maxsize=8)
def _siblings(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Each place's family: the other places whose English name differs only in a number,
    I/II/III, or main building/annex ("Hanyang Cyber University Building 1" and "… 2")."""
    families: dict[str, list[str]] = {}
    for place in kb.places:
        key = " ".join(_FAMILY_WORDS.sub(" ", place.name_en).split()).lower()
        if key != " ".join(place.name_en.split()).lower():
            families.setdefault(key, []).append(place.code)
    out: dict[str, tuple[str, ...]] = {p.code: () for p in kb.places}
    for codes in families.values():
        for code in codes:
            out[code] = tuple(c for c in codes if c != code)
    return out


def _question_word_ko(word: str) -> bool:
    stem = retrieval.strip_particle(word)
    return (stem in retrieval.lx.KO_FILLER or word in retrieval.lx.KO_FILLER
            or any(word.startswith(s) for s in retrieval.lx.KO_STEMS)
            or any(p in word for p in retrieval.lx.PRONOUN_KO))


def _names_said(place: Place, said: list[str]) -> bool:
    """The new place's own name holds what the visitor said ("별관", "annex", "2")."""
    names = " ".join([place.name_ko, *place.aliases_ko, place.name_en.lower(),
                      *(a.lower() for a in place.aliases_en)])
    names += " " + spoken_numbers_to_digits(names.replace(" ii", " 2").replace(" i", " 1"))
    return any(w in names for w in said)


def _shares_name(a: Place, b: Place) -> bool:
    """Two places of one family ("공업센터 본관"/"공업센터 별관", "제1공학관"/"제2공학관")."""
    stem = re.sub(r"\d|본관|별관|제", "", a.name_ko)
    return bool(stem) and (stem[:2] in b.name_ko or a.name_en.split()[0] == b.name_en.split()[0])


# --- two places -----------------------------------------------------------------------------


def _relation(found: list[Mention], words: list[str], kb: KnowledgeBase) -> Ask | None:
    """A comparison, a direction or a route between two named places, when cues say so."""
    codes = list(dict.fromkeys(m.code for m in found if m.code not in _GATE_CODES))
    if len(codes) < 2:
        return None
    text = " ".join(w for w in words if w != _SEP)
    compact = text.replace(" ", "")
    a, b = codes[0], codes[1]
    # "제6학생생활관이 멀어, 제5학생생활관이 멀어?": the same word asked of each, to choose
    either = next((w for w in ("멀어", "가까워") if compact.count(w) >= 2), "")
    # "박물관보다 도서관이 가깝죠?": the standard with 보다, the adjective later
    than = bool(re.search(r"보다.*(가깝|가까|멀)", compact))
    if either == "멀어" or (than and re.search(r"보다.*멀", compact)):
        either = "멀어"
    if either or than or _compares(text):
        farther = either == "멀어" or _farther(text)
        return Ask(Kind.COMPARE, (a, b), attribute="farther" if farther else "closer")
    origin = _origin(found, words)
    if origin is None:
        return None
    target = next(m.code for m in found if m.code != origin.code and m.code not in _GATE_CODES)
    route = cues.ROUTE_EN.search(text) or any(c in compact for c in cues.ROUTE_KO)
    direction = cues.DIRECTION_EN.search(text) or any(c in compact for c in cues.DIRECTION_KO)
    if route and not _direction_asked(text, compact):
        return Ask(Kind.ROUTE_BETWEEN, (origin.code, target))
    if direction or route:
        return Ask(Kind.DIRECTION, (target, origin.code))
    return None


_THERE_ORIGIN_EN = re.compile(r"\bfrom (there|that building|that one|it)\b")
_THERE_ORIGIN_KO = ("거기서", "거기에서", "거기부터", "그곳에서", "그건물에서", "저기서")
_HERE_EN = re.compile(r"\b(from here|here at the gate|from the gate|at the gate|where i am|"
                      r"from where i m standing|from where i am|(of|out of) (the|aeji) gate|"
                      r"on (my|your) (left|right)|as i come out|when i come out)\b")
_HERE_KO = ("여기서", "여기에서", "여기기준", "애지문에서보면", "애지문기준", "여기서보면",
            "지금여기", "나오면", "나와서", "나가면", "나가서")


_FOLLOW_UP_WORDS = frozenset("and what about how then so the ok okay to from 그럼 그러면 그리고 "
                             "그럼요 또 아 음".split())


def _the_same_relation(found: list[Mention], words: list[str], last: Query | None) -> Ask | None:
    """"그럼 행원파크는요?", "and the Main Building?" after a direction or a route between two
    places: the same relation, to the place now named, from the same place."""
    relation = last.asks[0] if last is not None and len(last.asks) == 1 else None
    if (relation is None or relation.kind not in (Kind.DIRECTION, Kind.ROUTE_BETWEEN)
            or len(relation.places) != 2 or len({m.code for m in found}) != 1):
        return None
    (named,) = {m.code for m in found}
    rest = [w for i, w in enumerate(words) if w != _SEP
            and not any(m.first <= i <= m.last for m in found)]
    if any(w not in _FOLLOW_UP_WORDS for w in rest):
        return None  # something of its own is asked ("and how many floors is the library?")
    if relation.kind is Kind.DIRECTION:  # (where, seen from)
        return None if named == relation.places[1] else Ask(
            Kind.DIRECTION, (named, relation.places[1]))
    return None if named == relation.places[0] else Ask(  # (from, to)
        Kind.ROUTE_BETWEEN, (relation.places[0], named))


def _relation_with_context(found: list[Mention], words: list[str], kb: KnowledgeBase,
                           history: Sequence[str], last: Query | None) -> Ask | None:
    """Relations where one side is not named again: "so which one is closer?" (the last two
    places), "거기서 제2의학관은 어떻게 가요?" (from the last place), "once I'm at the
    Engineering Center main building, how do I get to the annex?" (the annex of that one),
    "from here, is the sports field on my left or my right?" (seen from the gate)."""
    text = " ".join(w for w in words if w != _SEP)
    compact = text.replace(" ", "")
    named = [m for m in found if m.code not in _GATE_CODES]
    compare = _compares(text)
    if compare and not named:
        recent = list(last.places) if last is not None and len(last.places) >= 2 else list(
            reversed(history[:2]))
        if len(recent) >= 2:
            farther = _farther(text)
            return Ask(Kind.COMPARE, (recent[0], recent[1]),
                       attribute="farther" if farther else "closer")
    if len(named) != 1:
        return None
    only = named[0]
    route = cues.ROUTE_EN.search(text) or any(c in compact for c in cues.ROUTE_KO)
    direction = _direction_asked(text, compact) or bool(
        re.search(r"\b(my )?(left|right)\b.*\bor\b", text))
    if (route or direction) and history and history[0] != only.code and (
            _THERE_ORIGIN_EN.search(text) or any(c in compact for c in _THERE_ORIGIN_KO)):
        kind = Kind.ROUTE_BETWEEN if route and not direction else Kind.DIRECTION
        return (Ask(kind, (history[0], only.code)) if kind is Kind.ROUTE_BETWEEN
                else Ask(kind, (only.code, history[0])))
    pronoun = retrieval.has_pronoun(text) or bool(re.search(r"그게|그건|그거|그 건물", text))
    if direction and history and history[0] != only.code and pronoun and _origin(
            found, words) is only:
        return Ask(Kind.DIRECTION, (history[0], only.code))  # "과학기술관에서 보면 그게 어느 쪽?"
    # "is Hanyang Plaza left of the gate?": one side offered to confirm, seen from the gate
    # (made a check by _direction_check)
    offered = _side_clause(words) is not None
    if (direction or offered) and (_HERE_EN.search(text) or any(c in compact for c in _HERE_KO)
                                   or any(m.code == "104" for m in found)):
        return Ask(Kind.DIRECTION, (only.code, "104"))
    if (route or direction) and _origin(found, words) is only:
        rest = " ".join(w for w in words[only.last + 1:] if w != _SEP)
        target = _contextual(rest, kb, only.code) if rest else None
        if target:
            return (Ask(Kind.ROUTE_BETWEEN, (only.code, target)) if route and not direction
                    else Ask(Kind.DIRECTION, (target, only.code)))
    return None


def _direction_asked(text: str, compact: str) -> bool:
    return bool(re.search(r"\bwhich (side|way|direction)\b|\b(left|right) or\b", text)) or any(
        c in compact for c in ("어느쪽", "어느방향", "어떤방향", "방향", "어디쪽"))


def _origin(found: list[Mention], words: list[str]) -> Mention | None:
    """The named place the visitor stands at or looks from ("A 기준으로", "from A")."""
    for m in found:
        if m.code in _GATE_CODES:
            continue  # "애지문에서 국제관까지": the kiosk's own place; a plain route
        following = words[m.last + 1] if m.last + 1 < len(words) else ""
        before = [w for w in words[:m.first] if w not in ("the", "a", "an")]
        preceding = before[-1] if before else ""
        if (m.after and m.after.startswith(cues.ORIGIN_AFTER_KO)) or (
                re.search("[가-힣]", words[m.last]) and following.startswith(cues.ORIGIN_NEXT_KO)
        ) or (words[m.last].isascii() and following.startswith(cues.ORIGIN_AFTER_KO)):
            # "HIT에서": a Latin name's particle is a word of its own
            return m
        if (preceding in cues.ORIGIN_BEFORE_EN and m is not found[-1]) or (
                preceding in ("from", "of") and m is found[-1]):
            return m
    return None


# --- what the KB does not know, checks, places that do not exist ---------------------------


def _attributes(clause: str) -> list[str]:
    compact = clause.replace(" ", "")
    out = [name for name, pattern in cues.ATTRIBUTES_EN if pattern.search(clause)]
    out += [name for name, words in cues.ATTRIBUTES_KO if any(w in compact for w in words)]
    return list(dict.fromkeys(out))


def _attribute(plain: str, kb: KnowledgeBase | None = None) -> str:
    """The first attribute the KB lacks that the words outside place names ask about
    ("hours", "menu"); none when the cue is a facility the KB has ("지하주차장 어디 있어요")."""
    if re.search(r"\bwhat time is it\b", plain) or "지금몇시" in plain.replace(" ", ""):
        return "time"
    if kb is not None:  # the cue inside a facility the KB has is that facility, not the cue
        plain = " ".join(w for w in plain.split() if not _names_a_facility(w, kb))
        for phrase in _facility_phrases_en(kb):
            plain = plain.replace(phrase, " ")
    found = _attributes(plain)
    return found[0] if found else ""


@lru_cache(maxsize=8)
def _facility_phrases_en(kb: KnowledgeBase) -> tuple[str, ...]:
    """The KB's English facilities of two words or more, normalised, longest first."""
    phrases = {retrieval.normalise(f) for p in kb.places for f in p.features_en}
    return tuple(sorted((p for p in phrases if len(p.split()) >= 2), key=len, reverse=True))


@lru_cache(maxsize=8)
def _facilities_ko(kb: KnowledgeBase) -> frozenset[str]:
    """The KB's Korean facilities, without spaces."""
    return frozenset(f.replace(" ", "") for p in kb.places for f in p.features_ko)


def _names_a_facility(word: str, kb: KnowledgeBase) -> bool:
    """A Korean word that is a facility the KB lists (지하주차장 holds the parking cue 주차
    but is a place to go to; 학생식당's menu is still a menu)."""
    return (len(word) >= 3 and bool(re.fullmatch(r"[가-힣]+", word))
            and retrieval.strip_particle(word) in _facilities_ko(kb))


def _extra_unknowns(words: list[str], found: list[Mention]) -> list[Ask]:
    """An attribute asked beside a relation ("…, and what's the weather?")."""
    inside = {i for m in found for i in range(m.first, m.last + 1)}
    attribute = _attribute(" ".join(w for i, w in enumerate(words)
                                    if w != _SEP and i not in inside))
    return [Ask(Kind.UNKNOWN_ATTRIBUTE, attribute=attribute)] if attribute else []


_HEAD_NOUNS_EN = frozenset({"building", "hall", "center", "centre", "house", "wing"})


@lru_cache(maxsize=8)
def _families(kb: KnowledgeBase) -> tuple[dict[str, set[str]], dict[frozenset[str], set[str]]]:
    """Numbered name families: Korean suffix ("공학관") and English words ({"engineering",
    "building"}) with the numbers that exist."""
    ko: dict[str, set[str]] = {}
    en: dict[frozenset[str], set[str]] = {}
    for place in kb.places:
        for name in (place.name_ko, *place.aliases_ko):
            m = re.fullmatch(r"제?(\d)([가-힣]+관)", name.replace(" ", ""))
            if m:
                ko.setdefault(m[2], set()).add(m[1])
        words = retrieval.words(spoken_numbers_to_digits(place.name_en))
        digits = [w for w in words if w.isdigit()]
        if len(digits) == 1:
            en.setdefault(frozenset(w for w in words if not w.isdigit()), set()).add(digits[0])
    return ko, en


@lru_cache(maxsize=8)
def _unnumbered_ko(kb: KnowledgeBase) -> frozenset[str]:
    """Korean names and aliases of one place each, with no number in them ("국제관")."""
    return frozenset(n.replace(" ", "") for p in kb.places for n in (p.name_ko, *p.aliases_ko)
                     if not re.search(r"\d", n))


def _unknown_place(clause: str, kb: KnowledgeBase, words: list[str],
                   found: list[Mention]) -> str | None:
    """A numbered name that is not ours: "Engineering Building 5", "제7공학관", also when the
    name without its number was found ("law school building 4" is no Law School Building I)."""
    if any(w.isdigit() and len(w) <= 2 for m in found for w in _span(m, words)) and not any(
            w.isdigit() and len(w) <= 2 for w in words if w not in _span_words(found, words)):
        return None  # every number said is part of a name that was found
    ko, en = _families(kb)
    compact = clause.replace(" ", "")
    for m in re.finditer(r"제?(\d{1,2})([가-힣]+?관)", compact):
        if m[2] in ko and m[1] not in ko[m[2]]:
            return m.group(0)
        if m[0].startswith("제") and m[2] not in ko and m[2] in _unnumbered_ko(kb):
            return m.group(0)  # "제2국제관": there is one International Hall, no second
    words = clause.split()
    for i, word in enumerate(words):
        if not word.isdigit() or len(word) > 2:
            continue
        window = set(words[max(0, i - 3):i + 3])
        for family, numbers in en.items():
            # "Residence Hall 4": a family of three words or more is named by all but one,
            # never without its head noun ("law school 12" is no law school building)
            unsaid = family - window - {"the"}
            if (not unsaid or (len(unsaid) == 1 and len(family) >= 3
                               and not unsaid & _HEAD_NOUNS_EN)) and word not in numbers:
                return " ".join(w for w in words[max(0, i - 3):i + 1] if w in family or w == word)
    return None


def _span(m: Mention, words: list[str]) -> list[str]:
    return words[m.first:m.last + 1]


def _span_words(found: list[Mention], words: list[str]) -> set[str]:
    return {w for m in found for w in _span(m, words)}


def _has_content(clause: str) -> bool:
    """More than a tag or filler ("isn't it", "맞죠", "right")."""
    for word in clause.split():
        if word.isascii():
            if word not in retrieval.lx.EN_FILLER and word not in _CLAIM_FILLER_EN:
                return True
        else:
            stem = retrieval.strip_particle(word)
            if not _CLAIM_ENDING_KO.fullmatch(stem) and stem not in retrieval.lx.KO_FILLER:
                return True
    return False


def _claims_a_number_ko(clause: str) -> bool:
    """"본관이 7층짜리 건물이에요?", "학군단 일 분이면 가요?": a number said as a fact, no
    question word: the visitor checks it."""
    compact = _ko_number_words(clause).replace(" ", "")
    return bool(re.search(r"\d+(층|분)|\d{3}번", compact)) and not any(
        w in compact for w in cues.WH_KO)


def _asks_if_there_is(clause: str, kinds: tuple[Kind, ...]) -> bool:
    """"게스트하우스에 수영장 있어요?", "is there a shower there": does it have this one thing."""
    if kinds not in ((Kind.FEATURES,), ()):
        return False
    compact = clause.replace(" ", "")
    return bool(re.search(r"(있어요|있나요|있어|있니|있습니까|있을까요|있죠|있어요요)$", compact)
                or re.search(r"\b(is there|are there|does it have|do they have|has it got)\b",
                             clause)) and not any(w in compact for w in cues.WH_KO) and not (
                re.search(r"\b(what|which|where|anything)\b", clause))


_KO_NUMBER = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}


def _ko_number_words(clause: str) -> str:
    """Sino-Korean numbers before 분/층 as digits ("일 분" → "1 분", "삼십 분" → "30 분")."""
    def value(m: re.Match[str]) -> str:
        tens, unit = m[1], m[2]
        number = (_KO_NUMBER.get(tens[:-1], 1) * 10 if tens else 0) + _KO_NUMBER.get(unit, 0)
        return f"{number} {m[3]}"
    return re.sub(r"(?<![가-힣])([일이삼사오육칠팔구]?십)?([일이삼사오육칠팔구])?\s?(분|층)",
                  lambda m: value(m) if (m[1] or m[2]) else m[0], clause)


_POLAR_END_KO = re.compile(r"(이에요|예요|에요|인가요|인가|이야|있어요|있나요|있나|있어|있죠|"
                           r"가까워요|가까워|가깝나요|가깝죠|가깝지|붙어있어요|붙어있나요|이죠|죠)$")


def _polar_ko(clause: str) -> bool:
    """A Korean yes/no question without a question word ("경영관 옆이에요?", "IT/BT관이랑
    가까워요?", "편의점도 있나?"): said after another question about a place, a claim about it."""
    compact = clause.replace(" ", "").replace(_SEP, "")
    return (bool(re.search(r"[가-힣]", compact)) and bool(_POLAR_END_KO.search(compact))
            and not any(w in compact for w in (*cues.WH_KO, *_REQUEST_KO)))


def _nearer_than_before(claim: Claim | None, clause: str, places: tuple[str, ...],
                        history: Sequence[str]) -> Claim | None:
    """"Where is the Business School?" then "and the Convergence Education Building, is it
    closer?": closer than the place talked about before, not a word to look up."""
    if (claim is None or claim.about != "words" or not places or not history
            or history[0] == places[0] or not _compares(clause)):
        return claim
    which = "farther" if _farther(clause) else "closer"
    return Claim("nearer", f"{history[0]} {which}", claim.negated)


def _compares(text: str) -> bool:
    """"closer", "더 가까워": which of two is nearer (or farther) is asked or claimed."""
    compact = text.replace(" ", "")
    return bool(cues.COMPARE_EN.search(text)) or any(c in compact for c in cues.COMPARE_KO)


def _farther(text: str) -> bool:
    """The comparison is about the farther one ("farther", "더 멀어")."""
    compact = text.replace(" ", "")
    return bool(cues.FARTHER_EN.search(text)) or any(c in compact for c in cues.FARTHER_KO)


def _asks_its_own(clause: str) -> bool:
    """A clause with its own question word ("건축관 몇 분 걸려요?") beside a claim in another
    ("그리고 건축학부 거기 맞죠?") asks, whatever the other claims."""
    if _WH_EN.search(clause) and not _TAG_EN.search(clause):
        return True
    compact = clause.replace(" ", "")
    return not clause.isascii() and any(w in compact for w in cues.WH_KO) and not (
        cues.CHECK_KO_END.search(compact))


def _checking(text: str) -> bool:
    """A yes/no question that asserts something ("…죠?", "isn't it", "is X …?")."""
    text = re.sub(rf"(\s*{_SEP})+$", "", text)
    compact = text.replace(" ", "").replace(_SEP, "")
    if _WH_EN.search(text) and not _TAG_EN.search(text):
        return False  # "is it far … how many minutes": a question, not a claim
    if cues.CHECK_EN.search(text) or any(c in compact for c in cues.CHECK_KO):
        return True
    if cues.CHECK_KO_END.search(compact):
        return True
    return bool(cues.CHECK_KO_SOFT_END.search(compact)) and not any(
        w in compact for w in cues.WH_KO)


def _neighbour_check(clause: str, named: tuple[str, ...], context: tuple[str, ...],
                     claimed: bool = False) -> Ask | None:
    """"Is it next to Hannuri Hall?", "그 옆이 과기관이지?", "퓨텍이랑 HIT 붙어 있어?",
    "제2의학관도 거기 근처예요?": whether two places are neighbours, one of them perhaps the place
    just talked about ("it", "거기", "그 옆", or left unsaid: "병원 옆이죠?"). Not a question
    word ("what is next to it?", "옆에 뭐 있어?") nor a request ("옆 건물 알려 줘"): those ask
    for the neighbours."""
    compact = clause.replace(" ", "")
    if not (cues.NEIGHBOUR_EN.search(clause) or any(c in compact for c in cues.NEIGHBOUR_KO)):
        return None
    if _WH_EN.search(clause) or re.search(r"\b(anything|any|tell|show)\b", clause) or any(
            w in compact for w in (*cues.WH_KO, *_REQUEST_KO)):
        return None
    korean = bool(re.search(r"[가-힣]", clause))
    # `claimed`: the utterance offers a claim, perhaps with its tag after a comma ("Engineering
    # Building 2 is next to it, right?")
    if not korean and not (_YES_NO_EN.search(clause) or _TAG_EN.search(clause) or claimed):
        return None
    pair = tuple(dict.fromkeys(named))
    if len(pair) == 1 and context and context[0] != pair[0]:
        pointed = _ANAPHOR_KO.search(compact) if korean else _ANAPHOR_EN.search(clause)
        if not (pointed or (korean and (_checking(clause) or _polar_ko(clause)))):
            return None
        # the place the clause is about comes first, and leads the conversation on: "is it
        # next to Hannuri Hall?" is about it; "and the Medical Lecture Hall, is that beside
        # it?" about the hall ("how many minutes to that one?" then means the hall)
        about_it = re.match(r"(and |so |but |ok |okay )*(is it|isn t it|it s|it is|is that|"
                            r"that s|is this)\b", clause) or compact.startswith(("거기", "그"))
        pair = (context[0], pair[0]) if about_it else (pair[0], context[0])
    if len(pair) != 2:
        return None
    return Ask(Kind.CHECK, pair[:1], claim=Claim("neighbour", pair[1], _negates(clause)))


def _direction_check(words: list[str], relation: Ask, kb: KnowledgeBase) -> Ask | None:
    """"Is Engineering Building II to the left of Engineering Building I?", "from the gate,
    Hanyang Plaza is on my right, yes?": a direction offered to be confirmed, not asked
    ("which way is it?", "왼쪽이에요 오른쪽이에요?": a question word, or two sides to choose)."""
    text = _side_clause(words)
    if text is None:
        return None
    claim = _claim(text, relation.places, kb, None)
    if claim is None or claim.about != "direction":
        return None
    return Ask(Kind.CHECK, relation.places[:1], claim=claim)


def _comparison_check(words: list[str], found: list[Mention], relation: Ask) -> Ask | None:
    """"The library is closer than the museum, right?", "Is the gym nearer than the library?",
    "도서관이 박물관보다 가깝죠?": a comparison offered to confirm, not asked ("which is
    closer?", "뭐가 더 가까워요?"). The place said with "보다" / after "than" is the standard."""
    text = " ".join(w for w in words if w != _SEP)
    compact = text.replace(" ", "")
    if _WH_EN.search(text) or any(w in compact for w in (*cues.WH_KO, "중에", "둘중")) or \
            re.search(r"\b(or|either)\b", text) or compact.count("멀어") >= 2 or \
            compact.count("가까워") >= 2:
        return None  # a choice is asked
    korean = bool(re.search(r"[가-힣]", text))
    if not (_checking(text) or _declarative_question(text) or (korean and "보다" in compact)):
        return None
    a, b = relation.places
    standard = next((m.code for m in found if m.after.startswith("보다")), None)
    if standard == a:
        a, b = b, a
    which = "farther" if relation.attribute == "farther" else "closer"
    return Ask(Kind.CHECK, (a,), claim=Claim("nearer", f"{b} {which}", _negates(text)))


def _side_clause(words: list[str]) -> str | None:
    """The clause that offers one side to confirm ("is it left of the gate", "when I come out,
    it's on my right, yes"), when it is a yes/no question; None otherwise."""
    parts = [" ".join(g) for sep, g in itertools.groupby(words, lambda w: w == _SEP) if not sep]
    for i, part in enumerate(parts):
        plain = _RIGHT_AS_JUST.sub("", part)
        sides = {d for d in (*cues.DIRECTION_WORDS_EN, *cues.DIRECTION_WORDS_KO)
                 if re.search(rf"\b{d}\b" if d.isascii() else d, plain)}
        if not sides:
            continue
        asked = _WHEN_I_EN.sub("", part)  # "when I come out of the gate": no question word
        compact = asked.replace(" ", "")
        tagged = " ".join([asked, *parts[i + 1:]])  # "…, on my right, yes?"
        if len(sides) == 1 and any(_checking(t) or _declarative_question(t)
                                   for t in (asked, tagged)) and not (
                _WH_EN.search(asked) or any(w in compact for w in cues.WH_KO)):
            return part
        return None
    return None


_WHEN_I_EN = re.compile(r"\b(when|as|once|if) (i|you|we) (come|get|go|walk|step) out\b")
_YES_NO_EN = re.compile(r"^(and |also |but |so |okay |ok |and so )*(is|isn t|are|aren t|was|"
                        r"does|do|can|could)\b")
_ANAPHOR_EN = re.compile(r"\b(it|that|that one|this one|this|there|them)\b")
_ANAPHOR_KO = re.compile(r"거기|그옆|그건물|그곳|그거|그쪽|저기|여기")
_REQUEST_KO = ("알려", "말해", "가르쳐", "보여", "안내해")


_IT_CHECK_EN = re.compile(r"^(and |also |but |so )?(is|isn t|was) (it|that|that one|this one)\b")


def _checks_it_against(clause: str) -> bool:
    """"and is it next to the science building": a yes/no about "it" and another place."""
    return bool(_IT_CHECK_EN.search(clause)) and bool(
        cues.NEIGHBOUR_EN.search(clause) or re.search(r"\b(left|right|above|below|behind|"
                                                       r"opposite|across)\b", clause))


_STATED_KO = re.compile(r"[가-힣](이|가|은|는|도)\s+(\S+\s+)?\S+(이에요|예요|인가요|이야|입니까)$")


def _declarative_question(text: str) -> bool:
    """A statement said as a question: "The Guest House is building 807?", "행원파크가
    기숙사예요?" (no question word: the visitor offers a fact to be confirmed)."""
    last = re.split(r"(?<=[.!?])\s+", text.strip())[-1]
    norm = retrieval.normalise(last)
    if re.search(r"[가-힣]", last):
        compact = norm.replace(" ", "")
        return bool(_STATED_KO.search(norm)) and not any(w in compact for w in cues.WH_KO)
    return last.endswith("?") and not _WH_EN.search(norm) and bool(
        re.search(r"\b(is|has|have|are)\b", norm)) and not re.match(
        r"(is|are|has|have|does|do|did|can|could|was|were|will|would|should)\b", norm)


_WH_EN = re.compile(r"\b(how (many|much|far|long|do|can)|where|what|which|when|who)\b")
_TAG_EN = re.compile(r"\b(isn t it|is it not|right|correct|am i right|is that (right|true)|"
                     r"doesn t it|yeah|yes)\s*(qqsep\s*)*$")


def _negates(clause: str) -> bool:
    """The claim is negative ("isn't it next to…", "지하가 없죠?"); a tag asking for agreement
    ("410번 아니에요?", "…, isn't it?") is not."""
    return bool(cues.NEGATION_EN.search(_TAG_EN.sub("", clause))) or any(
        c in _TAG_KO.sub("", clause.replace(" ", "")) for c in cues.NEGATION_KO)


def _claim(clause: str, places: tuple[str, ...], kb: KnowledgeBase,
           unknown: str | None) -> Claim | None:
    """What a yes/no question asserts, when it is one ("…죠?", "isn't it", "is X …?")."""
    # a tag ("…, right?"), not a side ("on my right?")
    clause = re.sub(r"\s*\b(?<!my )(?<!your )(?<!the )(right|correct|yeah|yes)\s*$", "",
                    _ko_number_words(clause))
    compact = clause.replace(" ", "")
    negated = _negates(clause)
    if unknown is not None:
        if cues.EXISTS_EN.search(clause) or any(c in compact for c in cues.EXISTS_KO):
            return Claim("exists", "no" if negated else "yes", negated)
        return None
    if not places:
        return None
    place = kb.by_code(places[0])
    if place is None:
        return None
    clause = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m[0]]), clause)
    numbers = [w for w in clause.split() if w.isdigit()]
    codes = [n for n in numbers if len(n) == 3]
    # "right next to", "right by": right as "just", not a side
    sided = _RIGHT_AS_JUST.sub("", clause)
    direction = [d for d in (*cues.DIRECTION_WORDS_EN, *cues.DIRECTION_WORDS_KO)
                 if re.search(rf"\b{d}\b" if d.isascii() else rf"{d}(쪽|에|편|이|인|\s|$)", sided)]
    if direction and len(places) >= 2 and not codes:
        return Claim("direction", f"{places[1]} {direction[0]}", negated)
    beside = cues.NEIGHBOUR_EN.search(clause) or any(c in compact for c in cues.NEIGHBOUR_KO)
    if len(places) >= 2 and beside:
        return Claim("neighbour", places[1], negated)
    if beside and place.code != "104" and _THE_GATE.search(clause):
        return Claim("neighbour", "104", negated)  # "right next to the gate": this gate
    if cues.BASEMENT_EN.search(clause) or any(c in compact for c in cues.BASEMENT_KO):
        number = next((n for n in numbers if len(n) <= 2), "")
        return Claim("basement", number or ("no" if negated else "yes"), negated)
    bound = _bound(clause)
    if re.search(r"\d+ ?(층|floors?\b|stor(e)?(y|ies|eys)\b)", clause):
        count = re.search(r"(\d+) ?(층|floor|stor)", clause)
        return Claim("floors", bound + count[1] if count else "", negated)
    if re.search(r"\d+ ?(분|minutes?\b|mins?\b)", clause):
        count = re.search(r"(\d+) ?(분|min)", clause)
        return Claim("minutes", bound + count[1] if count else "", negated)
    if codes:
        return Claim("code", codes[0], negated)
    feature = next((f for f in place.features_ko if f.replace(" ", "") in compact), "")
    if feature and len(places) >= 2:  # "7생활관도 행복기숙사예요?": another's name it has too
        return Claim("words", feature, negated)
    if len(places) >= 2 and place.code != places[1]:
        return Claim("code", places[1], negated)
    # nothing beyond the place's own names ("is residence hall 6 the happy dormitory?")
    return Claim("words", " ".join(_claim_words(clause, place)), negated)


_THE_GATE = re.compile(r"\b(the gate|this gate|here|the kiosk)\b|여기|애지문|정문|이 문")
_TAG_KO = re.compile(r"(아니에요|아니예요|아니야|아닌가요|아닌가|아니죠|아니지|아닙니까)$")
_RIGHT_AS_JUST = re.compile(r"\bright (?=next|by|beside|in front|behind|below|above|there|here|"
                            r"across|opposite|outside|at|on top|under)")


def _bound(clause: str) -> str:
    """">" for "more than 15 minutes" / "30분 넘게", "<" for "within" / "일 분이면", else ""."""
    compact = clause.replace(" ", "")
    if cues.MORE_THAN.search(clause) or any(w in compact for w in cues.MORE_THAN_KO):
        return ">"
    if cues.LESS_THAN.search(clause) or any(w in compact for w in cues.LESS_THAN_KO):
        return "<"
    return ""


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())} | {"thirty": 30}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b(?= (minutes?|mins?|floors?|"
                          r"stor(e)?(y|ies|eys)|levels?)\b)")


_CLAIM_FILLER_EN = frozenset("isn t it is the a an right correct true that this doesn does "
                             "not have has there was wasn heard i think told believe am yeah "
                             "of for only".split())


_CLAIM_ENDING_KO = re.compile(r"(이죠|죠|지요|맞죠|맞아요|맞나요|이에요|예요|인가요|잖아요|"
                              r"이라던데|라던데|이지|이야|아니에요|아니죠|맞지|이고|맞아|맞나|인가|이에요|이죠)$")


def _claim_words(clause: str, place: Place) -> list[str]:
    """Content words a claim adds to the place's name ("women s dorm", "여자 기숙사")."""
    name_words = set(retrieval.normalise(" ".join([place.name_en, *place.aliases_en])).split())
    out = []
    for word in clause.split():
        if word == _SEP or word.isdigit():
            continue
        if word.isascii():
            if word in retrieval.lx.EN_FILLER or word in _CLAIM_FILLER_EN or word in name_words:
                continue
            out.append(word)
        else:
            stem = retrieval.strip_particle(word)
            if any(stem in n or n in stem for n in (place.name_ko, *place.aliases_ko)):
                continue
            stem = _CLAIM_ENDING_KO.sub("", stem)
            if stem and stem not in retrieval.lx.KO_FILLER and len(stem) >= 2 and not (
                    stem.startswith(_CLAIM_NOT_CONTENT_KO)):
                out.append(stem)
    return out


# Words of a Korean claim that are not what is claimed: agreement, "there", being and
# hearsay ("건축학부 거기 맞죠?", "국제병원 있다고 들었는데 맞아요?")
_CLAIM_NOT_CONTENT_KO = ("맞", "아니", "아닌", "거기", "여기", "저기", "그거", "이거", "그곳",
                         "이곳", "혹시", "있", "없", "들었", "들은", "들어", "그렇", "정말",
                         "진짜", "그런", "한양대")  # every place is Hanyang's
