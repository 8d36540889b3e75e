"""The guard: a model reply is spoken only if every fact it states is in the facts it was given.

A small model invents freely, so nothing it says is trusted. A reply passes only when
- every number in it appears in the facts text, and a number with a unit (minutes, floors, a
  building number) matches a fact with that same unit: "4 floors and 2 below ground" fails
  when 2 is the walking minutes,
- every campus place it names appears in the facts text (found by longest-name-first matching
  over all names and aliases in the knowledge base, so "사범대학 본관" is not read as "본관"),
- it states the facts the question asked for (the required numbers and places),
- its content words are in the facts (a claim like "the largest building" is not),
- it is in the visitor's language and script (plain Latin in English; Hangul in Korean),
- it leaks no prompt text, does not repeat itself, and is one to three sentences.
Otherwise the caller speaks the answer composed from the knowledge base instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.dialog.sentences import split_sentences

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"\d+")
# Characters a spoken reply may contain, per language (anything else: another script, noise).
SCRIPT = {
    "en": re.compile(r"^[\x20-\x7e’‘“”–—…·\u00c0-\u00ff]*$"),
    "ko": re.compile(r"^[\x20-\x7e’‘“”–—…·\u00c0-\u00ff\uac00-\ud7a3]*$"),
}
UNITS: dict[str, list[re.Pattern[str]]] = {
    "minutes": [re.compile(r"(\d+)\s*-?\s*(?:minutes?|mins?\b|분)")],
    "floors": [re.compile(r"(\d+)(?:st|nd|rd|th)?\s*-?\s*(?:floors?|stor(?:e)?ys?|층|levels?)"),
               re.compile(r"(\d+)\s+(?:above|below|under)\s*ground"),
               re.compile(r"(?:지상|지하)\s*(\d+)")],
    "code": [re.compile(r"(?:building|bldg\.?|number|no\.)\s*#?\s*(\d+)"),
             re.compile(r"(\d+)\s*(?:번|동|호관)(?!\s*출구)")],
    "exit": [re.compile(r"exit\s*(\d+)"), re.compile(r"(\d+)\s*번\s*출구")],
}
# Words any answer may use without a fact behind them (glue, units, directions, politeness).
GLUE_EN = frozenset("""
a an the is are was it its it's you your you'll we i of to from at in on by for and or but
about around roughly approximately some just only also then there here this that these those
which who what where when how will would can could may be been being has have had with as
minute minutes min walk walking walks foot feet on-foot away takes take taking get go going
head find found see located location sits stands lies building buildings number no called
known named right left front behind back above below beside next near nearby close closest
nearest second further down up side across opposite straight ahead turn way route path
direction directions floor floors storey storeys story stories level levels ground gate
exit station out come coming out of into inside there's it'll lot short few first
than is's that's has inside area place campus university hanyang aeji univ kiosk yes sure
both also either each not don doesn isn aren t s ll ve
""".split())
GLUE_KO = ("있어요", "있습니다", "있고", "있는", "있으며", "이에요", "예요", "입니다", "이고",
           "걸려요", "걸립니다", "정도", "약", "걸어서", "건물", "건물이에요", "위치해", "위치한",
           "곳", "가면", "나오면", "바로", "돼요", "됩니다", "거리", "도보로", "번", "분",
           "층", "지상", "지하", "그리고", "또", "또한", "있어서", "이", "그", "저", "여기",
           "에서", "까지", "쪽", "쪽에", "옆", "옆에", "근처", "근처에", "가까이", "가까운",
           "가장", "다음", "번째", "안내", "해요", "드릴게요", "있답니다", "이곳", "애지문",
           "위", "아래", "왼쪽", "오른쪽", "앞", "뒤", "앞쪽", "뒤쪽", "위쪽", "아래쪽", "바로",
           "시설이라", "없어요", "층이", "층은")
DIRECTION_WORDS = frozenset({"left", "right", "front", "behind", "up", "down", "above", "below",
                             "왼쪽", "오른쪽", "앞쪽", "뒤쪽", "위쪽", "아래쪽", "위", "아래", "옆",
                             "앞", "뒤"})
NOT_A_DIRECTION = re.compile(r"\bright (?=by|next|above|at|beside|behind|in front|there|here)")
CLAUSE = re.compile(r";|\band\b|\bwhile\b|있고|이고|그리고")


def direction_words(text: str) -> set[str]:
    folded = NOT_A_DIRECTION.sub(" ", _fold(text))
    return {w for w in re.findall(r"\w+", folded) if w in DIRECTION_WORDS} | {
        w for w in DIRECTION_WORDS if HANGUL.search(w) and w in text and len(w) > 1}


def wrong_direction(text: str, mentions: MentionFinder,
                    directions: tuple[tuple[str, frozenset[str]], ...]) -> str:
    """The code of a neighbour named in a clause with a direction that is not its own."""
    allowed = dict(directions)
    for clause in CLAUSE.split(text):
        named = mentions.codes(clause) & allowed.keys()
        if len(named) == 1:
            code = next(iter(named))
            if direction_words(clause) - allowed[code]:
                return code
    return ""


# Facts are digits; a number spelt out would slip past the number checks.
NUMBER_WORDS = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                          r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
                          r"twenty|thirty|hundred)\b")
KO_ENDINGS = ("이에요", "예요", "입니다", "에서", "까지", "으로", "에는", "에도", "이고",
              "이며", "은", "는", "이", "가", "을", "를", "에", "의", "도", "로", "과", "와")
LEAK_MARKERS = ("facts:", "question:", "answer:", "<start_of_turn>", "<end_of_turn>",
                "instructions", "system prompt", "<bos>", "사실:", "질문:",
                # the labels of the fact lines (kiosk/campus/answers.py), copied verbatim
                "route:", "nearest:", "second:", "floors:", "features:", "category:",
                "building number:", "가는 길:", "가장 가까운 곳:",
                "그다음 가까운 곳:", "층수:", "시설:", "종류:", "건물 번호:")
PARENTHESISED = re.compile(r"\((\d+)\)")
GLUED = re.compile(r"[a-z가-힣][.!?][A-Za-z가-힣]")  # "Gate.iatrics": junk after a full stop
MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 220
MIN_CHARS = 6


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class MentionFinder:
    """Finds which places a text names, longest name first, each span counted once."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        usable = {(_fold(n).strip(), code) for n, code in names
                  if len(n.strip()) >= (2 if HANGUL.search(n) else 3)}
        self._names = sorted(usable, key=lambda item: -len(item[0]))
        self._patterns = [
            (re.compile(re.escape(name) if HANGUL.search(name)
                        else rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])"), code)
            for name, code in self._names
        ]

    def find(self, text: str) -> list[tuple[int, str]]:
        """(position, code) of each mention, in order of position."""
        folded = _fold(text)
        taken = [False] * len(folded)
        found: list[tuple[int, str]] = []
        for pattern, code in self._patterns:
            for match in pattern.finditer(folded):
                start, end = match.span()
                if any(taken[start:end]):
                    continue
                taken[start:end] = [True] * (end - start)
                found.append((start, code))
        return sorted(found)

    def codes(self, text: str) -> set[str]:
        return {code for _, code in self.find(text)}


@dataclass(frozen=True)
class Requirements:
    """What a reply to this question must state, beyond stating nothing false."""

    numbers: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()   # matched case-insensitively, spaces ignored
    # place code → the words of its direction ("to the left"): a clause naming that place
    # may use no other direction word ("the Main Building to the left" when it is below).
    directions: tuple[tuple[str, frozenset[str]], ...] = ()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def _grams(text: str, n: int = 6) -> list[tuple[str, ...]]:
    words = [w for w in re.findall(r"\w+", _fold(text)) if w not in ("the", "a", "an")]
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def _repeats(text: str, facts_text: str = "") -> bool:
    """A run of six words said twice (unless the facts say it twice), or a sentence twice."""
    grams = _grams(text)
    in_facts = _grams(facts_text)
    if any(grams.count(g) > max(1, in_facts.count(g)) for g in set(grams)):
        return True
    sentences = split_sentences(text)
    return len(sentences) != len(set(sentences))


def sentence_count(text: str) -> int:
    return len(split_sentences(text))


def _language_ok(text: str, lang: str) -> bool:
    if not SCRIPT[lang].match(text):
        return False
    hangul = len(HANGUL.findall(text))
    if lang == "en":
        return hangul == 0
    return hangul > 0 and hangul >= len(LATIN.findall(text))


def typed_numbers(text: str) -> dict[str, set[str]]:
    """Numbers by the unit written next to them: minutes, floors, building code, exit."""
    folded = _fold(text)
    return {unit: {m.group(1) for p in patterns for m in p.finditer(folded)}
            for unit, patterns in UNITS.items()}


def _stem_en(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def novel_words(reply: str, facts_text: str, lang: str) -> list[str]:
    """Content words of `reply` that nothing in `facts_text` supports."""
    facts = _fold(facts_text)
    if lang == "en":
        known = {_stem_en(w) for w in re.findall(r"[a-z]+", facts)}
        words = [w for w in re.findall(r"[a-z]+", _fold(reply)) if w not in GLUE_EN]
        return [w for w in words if _stem_en(w) not in known and len(w) > 2]
    compact = facts.replace(" ", "")
    novel = []
    for word in re.findall(r"[\uac00-\ud7a3]+", reply):
        stem = word
        for ending in KO_ENDINGS:
            if stem.endswith(ending) and len(stem) > len(ending):
                stem = stem[: -len(ending)]
                break
        bare = word[1:] if word[0] in "번층분호" else word   # "104번이고" → "이고"
        if len(word) == 1 or word in GLUE_KO or stem in GLUE_KO or stem in compact \
                or word in compact or bare in KO_ENDINGS or not bare:
            continue
        if len(stem) >= 2 and stem[:2] in compact and len(stem) <= 3:
            continue
        novel.append(word)
    return novel


def leaks_instructions(reply: str, instructions: str, words: int = 4) -> bool:
    """True when the reply repeats any run of `words` words of the instructions."""
    said = re.findall(r"\w+", _fold(reply))
    source = " ".join(re.findall(r"\w+", _fold(instructions)))
    return any(" ".join(said[i:i + words]) in source for i in range(len(said) - words + 1))


# "about a minute", "한 층": the number one said as a word states the fact (the KB sentence
# added for a "missing" 1 said the walk time twice: "about a minute … about 1 minute").
_ONE_SAID = re.compile(r"\b(a|an|one) (minute|floor|storey|story)\b|(?<![가-힣])(한|일) ?(분|층)")


def missing(text: str, required: Requirements, mentions: MentionFinder) -> list[str]:
    """The required facts `text` does not state, as "number:6", "place:501", "word:rooms"."""
    compact = _fold(text).replace(" ", "")
    stated = set(NUMBER.findall(_ONE_SAID.sub(" 1 ", text)))
    return ([f"number:{n}" for n in sorted(required.numbers - stated)]
            + [f"place:{p}" for p in sorted(required.places - mentions.codes(text))]
            + [f"word:{w}" for w in sorted(required.words)
               if _fold(w).replace(" ", "") not in compact])


def check(reply: str, facts_text: str, lang: str, mentions: MentionFinder,
          required: Requirements = Requirements(), instructions: str = "") -> Verdict:
    """Accept `reply` only if it is grounded in `facts_text` and answers what was asked."""
    text = reply.strip()
    if len(text) < MIN_CHARS:
        return Verdict(False, "empty")
    if len(text) > MAX_SENTENCE_CHARS * MAX_SENTENCES:
        return Verdict(False, "too-long")
    folded = _fold(text)
    if text.count(":") > 1 or any(marker in folded for marker in LEAK_MARKERS) or (
            instructions and leaks_instructions(text, instructions)):
        return Verdict(False, "prompt-leak")
    if not _language_ok(text, lang):
        return Verdict(False, "language")
    if GLUED.search(text):
        return Verdict(False, "malformed")
    allowed_numbers = set(NUMBER.findall(facts_text))
    stray = [n for n in NUMBER.findall(text) if n not in allowed_numbers]
    if stray:
        return Verdict(False, f"number-not-in-facts:{stray[0]}")
    if lang == "en" and NUMBER_WORDS.search(folded):
        return Verdict(False, "number-word")
    stated, given = typed_numbers(text), typed_numbers(facts_text)
    given["code"] |= set(PARENTHESISED.findall(facts_text))  # "Main Building (102)"
    for unit, numbers in stated.items():
        wrong = numbers - given[unit]
        if wrong:
            return Verdict(False, f"wrong-{unit}:{sorted(wrong)[0]}")
    stated_places = mentions.codes(text)
    unknown = stated_places - mentions.codes(facts_text)
    if unknown:
        return Verdict(False, f"place-not-in-facts:{sorted(unknown)[0]}")
    novel = novel_words(text, facts_text, lang)
    if novel:
        return Verdict(False, f"unsupported-words:{novel[0]}")
    absent = missing(text, required, mentions)
    if absent:
        return Verdict(False, f"missing-{absent[0]}")
    swapped = wrong_direction(text, mentions, required.directions)
    if swapped:
        return Verdict(False, f"wrong-direction:{swapped}")
    if _repeats(text, facts_text):
        return Verdict(False, "repetition")
    if sentence_count(text) > MAX_SENTENCES:
        return Verdict(False, "too-long")
    return Verdict(True)
