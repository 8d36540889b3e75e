"""The guard accepts a reply only when every fact in it is in the facts it was given."""

from __future__ import annotations

import pytest

from kiosk.campus.knowledge import KnowledgeBase
from kiosk.dialog import guard
from kiosk.dialog.prompt import INSTRUCTIONS
from kiosk.dialog.sentences import SentenceBuffer, split_sentences

FACTS_EN = ("Olympic Gymnasium (building 306): 2 minutes walk from Aeji Gate "
            "floors: 4 floors above ground")
FACTS_KO = "올림픽체육관 (306번): 애지문에서 걸어서 2분 층수: 지상 4층"
FACTS_NB = ("Paiknam Library (building 501): 6 minutes walk from Aeji Gate "
            "nearest: Main Building (102), further down second: Humanities Building (508), "
            "to the left")


@pytest.fixture(scope="module")
def mentions() -> guard.MentionFinder:
    kb = KnowledgeBase.load()
    return guard.MentionFinder((n, p.code) for p in kb.places for lang in ("ko", "en")
                               for n in (p.name(lang), *p.aliases(lang)))


@pytest.mark.parametrize("reply", [
    "The Olympic Gymnasium (building 306) has 4 floors above ground.",
    "The Olympic Gymnasium is about a 2-minute walk from Aeji Gate.",
])
def test_grounded_english_replies_pass(reply: str, mentions: guard.MentionFinder) -> None:
    assert guard.check(reply, FACTS_EN, "en", mentions, instructions=INSTRUCTIONS).ok


@pytest.mark.parametrize(("reply", "reason"), [
    ("The Olympic Gymnasium has 4 floors above ground and 2 below ground.", "wrong-floors:2"),
    ("The Olympic Gymnasium has 5 floors.", "number-not-in-facts:5"),
    ("The Olympic Gymnasium is 4 minutes from Aeji Gate.", "wrong-minutes:4"),
    ("The Olympic Gymnasium is building 999.", "number-not-in-facts:999"),
    ("It is building 2.", "wrong-code:2"),
    ("The Olympic Gymnasium is the 306th floor.", "wrong-floors:306"),
    ("The Olympic Gymnasium is the largest building on campus.", "unsupported-words:largest"),
    ("The Olympic Gymnasium is two minutes away.", "number-word"),
    ("The Olympic Gymnasium (올림픽체육관) has 4 floors.", "language"),
    ("The gym has 4 floors. で購入する", "language"),
    ("It has 4 floors.iatrics", "malformed"),
    ("Facts: Olympic Gymnasium (building 306)", "prompt-leak"),
    ("Answer the visitor only from the facts, please.", "prompt-leak"),
    ("Hanyang Plaza has 4 floors.", "place-not-in-facts:105"),
    ("", "empty"),
])
def test_ungrounded_english_replies_fail(reply: str, reason: str,
                                         mentions: guard.MentionFinder) -> None:
    verdict = guard.check(reply, FACTS_EN, "en", mentions, instructions=INSTRUCTIONS)
    assert not verdict.ok and verdict.reason == reason


def test_korean_replies(mentions: guard.MentionFinder) -> None:
    ok = guard.check("올림픽체육관(306번)은 지상 4층 건물이에요.", FACTS_KO, "ko", mentions)
    assert ok.ok, ok.reason
    assert guard.check("올림픽체육관은 지상 4층, 지하 2층이에요.", FACTS_KO, "ko",
                       mentions).reason == "wrong-floors:2"
    assert guard.check("Olympic Gymnasium has 4 floors.", FACTS_KO, "ko",
                       mentions).reason == "language"
    assert not guard.check("올림픽체육관은 캠퍼스에서 제일 큰 수영장이에요.", FACTS_KO, "ko",
                           mentions).ok


def test_required_facts_must_be_stated(mentions: guard.MentionFinder) -> None:
    need = guard.Requirements(places=frozenset({"102", "508"}))
    both = ("Next to Paiknam Library are the Main Building (102), further down, and the "
            "Humanities Building (508), to the left.")
    assert guard.check(both, FACTS_NB, "en", mentions, need).ok
    one = "Next to Paiknam Library is the Main Building (102), further down."
    assert guard.check(one, FACTS_NB, "en", mentions, need).reason == "missing-place:508"
    minutes = guard.Requirements(numbers=frozenset({"6"}))
    assert guard.check("Paiknam Library is building 501.", FACTS_NB, "en", mentions,
                       minutes).reason == "missing-number:6"


def test_swapped_directions_are_rejected(mentions: guard.MentionFinder) -> None:
    need = guard.Requirements(places=frozenset({"102", "508"}), directions=(
        ("102", frozenset({"down"})), ("508", frozenset({"left"}))))
    right = ("Next to Paiknam Library are the Main Building (102), further down, and the "
             "Humanities Building (508), to the left.")
    assert guard.check(right, FACTS_NB, "en", mentions, need).ok
    swapped = ("Next to Paiknam Library are the Main Building (102), to the left, and the "
               "Humanities Building (508), further down.")
    assert guard.check(swapped, FACTS_NB, "en", mentions, need).reason == "wrong-direction:102"


def test_longest_name_wins_so_a_substring_is_not_a_mention(
        mentions: guard.MentionFinder) -> None:
    codes = mentions.codes("사범대학 본관 옆에 있어요")
    assert "505" in codes and "102" not in codes


def test_repetition_is_rejected(mentions: guard.MentionFinder) -> None:
    reply = "The Olympic Gymnasium has 4 floors. The Olympic Gymnasium has 4 floors."
    assert guard.check(reply, FACTS_EN, "en", mentions).reason == "repetition"


def test_sentence_buffer_streams_and_keeps_numbers_and_abbreviations() -> None:
    buffer = SentenceBuffer()
    out: list[str] = []
    for piece in ["It is 3.5 min", "utes away.", "junk", " at Hanyang Univ. Station! Then"]:
        out += buffer.feed(piece)
    out += buffer.flush()
    assert out == ["It is 3.5 minutes away.", "junk at Hanyang Univ. Station!", "Then"]
    assert split_sentences("플라자예요. 1분이에요!") == ["플라자예요.", "1분이에요!"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hello. It is 3.5 km away! Really?", ["Hello.", "It is 3.5 km away!", "Really?"]),
        ("왼쪽에 있습니다. 약 5분 걸려요!", ["왼쪽에 있습니다.", "약 5분 걸려요!"]),
        ('He said "go left." Then right.', ['He said "go left."', "Then right."]),
        ("line one\nline two", ["line one", "line two"]),
        ("", []),
        ("Wait... what?", ["Wait...", "what?"]),
    ],
)
def test_split_sentences(text, sentences):
    assert split_sentences(text) == sentences


def test_the_knowledge_bases_own_answers_pass_the_guard() -> None:
    """Calibration: a guard stricter than the truth would reject every good model answer."""
    from kiosk.campus import answers
    from kiosk.campus.retrieval import PLACE_INTENTS
    from kiosk.config import Config
    from kiosk.dialog.engine import DialogEngine

    engine = DialogEngine(Config(), llm=None)  # type: ignore[arg-type]
    failures = []
    total = 0
    for place in engine.kb.places:
        if place.kind != "building":
            continue
        for intent in PLACE_INTENTS:
            if intent.value == "floors" and place.floors_above is None:
                continue  # "no floor count is known": said by the KB template only
            for lang in ("ko", "en"):
                total += 1
                text = answers.compose(place, intent, lang, engine.kb)
                facts = " ".join(answers.facts(place, intent, lang, engine.kb))
                verdict = guard.check(text, facts, lang, engine.mentions,
                                      engine.requirements(place, intent, lang), INSTRUCTIONS)
                if not verdict.ok:
                    failures.append((place.code, intent.value, lang, verdict.reason))
    assert len(failures) <= 0.01 * total, failures


def test_one_said_as_a_word_states_the_fact() -> None:
    """Hardening item 15: "about a minute" was completed with "about 1 minute" as well."""
    required = guard.Requirements(numbers=frozenset({"1"}))
    finder = guard.MentionFinder([])
    assert guard.missing("Hanyang Plaza is about a minute on foot.", required, finder) == []
    assert guard.missing("한양플라자까지 걸어서 한 분 걸려요.", required, finder) == []
    assert guard.missing("Hanyang Plaza is close.", required, finder) == ["number:1"]
