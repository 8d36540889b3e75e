"""The dialog engine on whole conversations: several asks in one answer, relations, checks,
what the KB does not know, "say that again", "slower", "in Korean please", goodbye.

Templates only (the model is off): these are about what is answered, not how it is phrased.
"""

from __future__ import annotations

import pytest

from kiosk.config import Config
from kiosk.dialog.engine import SLOWER_PACE, DialogEngine
from kiosk.dialog.understanding_eval import DEFAULT_SET, evaluate


@pytest.fixture(scope="module")
def engine(config: Config) -> DialogEngine:
    no_model = config.without_llm()
    return DialogEngine(no_model)


def test_several_asks_get_one_answer_with_every_fact(engine: DialogEngine) -> None:
    reply = engine.answer("퓨전테크센터 몇 층이고 걸어서 몇 분 걸려?", "multi")
    assert "13층" in reply.answer and "8분" in reply.answer and reply.places == ("208",)
    reply = engine.answer("What's the building number of the IT/BT building? Also, what's "
                          "the weather like today?", "multi-en")
    assert "305" in reply.answer and "don't know the weather" in reply.answer


def test_two_places_are_answered_as_a_relation(engine: DialogEngine) -> None:
    closer = engine.answer("Which is closer, the main library or Engineering Building 1?", "rel")
    assert closer.verdicts == (("compare", ("501", "212"), "501"),)
    assert "6 minutes" in closer.answer and "10 minutes" in closer.answer
    side = engine.answer("재성토목관 기준으로 건축관은 어느 쪽에 있어요?", "rel")
    assert "오른쪽" in side.answer and set(side.places) == {"201", "202"}


def test_checks_say_yes_or_no_and_then_the_fact(engine: DialogEngine) -> None:
    basement = engine.answer("백남학술정보관은 지하가 없죠?", "check")
    assert basement.answer.startswith("아니요") and "지하 3층" in basement.answer
    number = engine.answer("Is Hanyang Plaza building 105?", "check-en")
    assert number.answer.startswith("Yes") and number.verdicts[0][2] == "yes"


@pytest.mark.parametrize(("said", "verdict", "fact"), [
    ("The library is closer than the museum, right?", "no", "The Museum (building 109) is closer"),
    # a tag asking for agreement is no negative claim (it flipped the verdict to "yes")
    ("The library is closer than the museum, isn't it?", "no", "The Museum (building 109)"),
    ("Is the gym nearer than the library?", "yes", "Olympic Gymnasium"),
    ("박물관보다 도서관이 가깝죠?", "no", "박물관(109번)이 더 가까워요"),
    ("한양플라자가 역사관보다 더 가까워요?", "yes", "한양플라자(105번)가 더 가까워요"),
    ("Is Engineering Building II to the left of Engineering Building I?", "no", "to the right"),
    ("Is Hanyang Plaza left of the gate? And how many floors is it?", "yes", "4 floors"),
    ("When I come out of the gate, Hanyang Plaza is on my right, yes?", "no", "to the left"),
    ("퓨텍이랑 HIT 붙어 있어?", "yes", "퓨전테크센터"),
])
def test_a_claim_offered_to_confirm_gets_yes_or_no_and_the_fact(
        engine: DialogEngine, said: str, verdict: str, fact: str) -> None:
    """Comparisons, sides and neighbours said as claims ("…, right?", "…보다 가깝죠?") are
    checks; asked as a choice ("which is closer?") they stay comparisons."""
    reply = engine.answer(said, f"claim-{said}")
    assert [v[2] for v in reply.verdicts if v[0] == "check"] == [verdict], reply.verdicts
    assert fact in reply.answer, reply.answer
    choice = engine.answer("Which is closer, the library or the museum?", "claim-choice")
    assert [v[0] for v in choice.verdicts] == ["compare"]


def test_is_it_next_to_asks_about_the_place_just_talked_about(engine: DialogEngine) -> None:
    engine.answer("Where is the Guest House?", "next-to")
    reply = engine.answer("Is it next to Hannuri Hall?", "next-to")
    assert reply.verdicts and reply.verdicts[0][:2] == ("check", ("807", "806"))
    neighbours = engine.answer("What is next to it?", "next-to")
    assert not neighbours.verdicts  # a question word: the neighbours are asked


def test_one_of_a_kind_is_found_by_what_only_it_has(engine: DialogEngine) -> None:
    """"The women's dormitory", "고시반 있는 기숙사": one dormitory of eight, not the list."""
    women = engine.answer("My daughter lives in the women's dormitory. Where is it?", "kind")
    assert women.places == ("804",) and "16 minutes" in women.answer
    assert engine.answer("고시반 있는 기숙사가 어디야", "kind-ko").places == ("803",)
    assert len(engine.answer("where are the dorms?", "kind-all").places) == 8


def test_sides_asked_in_korean_with_a_latin_name(engine: DialogEngine) -> None:
    """"HIT에서 퓨텍은 어느 쪽?" (the particle after a Latin name is a word of its own) and
    "HIT 오른쪽엔 뭐 있어?" (what stands on that side, not what is inside)."""
    side = engine.answer("HIT에서 퓨텍은 어느 쪽?", "latin-side")
    assert side.places[:2] == ("208", "701") and "왼쪽" in side.answer, side.answer
    right = engine.answer("그럼 HIT 오른쪽엔 뭐 있어?", "latin-side")
    assert "707" in right.answer, right.answer


def test_what_is_further_down_asks_the_neighbours(engine: DialogEngine) -> None:
    engine.answer("Where's the ROTC building?", "further")
    assert "801" in engine.answer("What's further down from there?", "further").answer


def test_a_hall_number_said_as_a_word(engine: DialogEngine) -> None:
    """"한양사이버대학교 이관은": hall two (Whisper writes the number as it was said)."""
    assert engine.answer("한양사이버대학교 이관은 어떻게 가요", "hall-word").places[0] == "703"
    assert engine.answer("한양사이버대학교 일관 어디예요?", "hall-word-1").places[0] == "702"


def test_what_the_kb_does_not_know_is_said_plainly(engine: DialogEngine) -> None:
    hours = engine.answer("What time does the library open tomorrow?", "hours")
    assert hours.answer.startswith("Sorry, I don't know opening hours")
    assert "6 minutes" in hours.answer  # and where it is
    nowhere = engine.answer("What's the building number of Engineering Building 5?", "none")
    assert "There is no Engineering Building 5" in nowhere.answer and not nowhere.places


def test_say_again_slower_and_in_korean(engine: DialogEngine) -> None:
    paces: list[float] = []
    first = engine.answer("Where is the museum?", "again", on_pace=paces.append)
    again = engine.answer("Sorry, can you say that again?", "again", on_pace=paces.append)
    assert again.answer == first.answer and again.act == "repeat"
    slower = engine.answer("slower please", "again", on_pace=paces.append)
    assert slower.answer == first.answer and slower.slower
    assert paces == [1.0, 1.0, SLOWER_PACE]
    korean = engine.answer("한국어로 다시 설명해 주세요.", "again")
    assert korean.lang == "ko" and "109번" in korean.answer and korean.act == "switch_language"


def test_a_language_asked_for_holds_until_another_is_asked_for(engine: DialogEngine) -> None:
    """"영어로 부탁해요" for a friend, then the visitor goes on asking in Korean: the answers
    stay English; "한국어로 해 주세요" brings Korean back. A new session starts in the language
    spoken."""
    engine.answer("사회과학관 어디예요?", "sticky")
    english = engine.answer("영어로 부탁해요", "sticky")
    assert english.lang == "en" and "504" in english.answer
    floors = engine.answer("거기 몇 층이에요?", "sticky")
    assert floors.lang == "en" and "6 floors" in floors.answer
    back = engine.answer("이제 한국어로 해 주세요", "sticky")
    assert back.lang == "ko"
    assert engine.answer("박물관 어디예요?", "sticky").lang == "ko"
    assert engine.answer("거기 몇 층이에요?", "another-visitor").lang == "ko"


def test_follow_ups_and_goodbye(engine: DialogEngine) -> None:
    engine.answer("공업센터 본관은 몇 번이에요?", "follow")
    annex = engine.answer("그럼 별관은요?", "follow")
    assert annex.places == ("207",) and "207" in annex.answer
    bye = engine.answer("Bye!", "follow")
    assert bye.act == "goodbye" and not bye.places
    assert engine.sessions.is_fresh("follow")  # the next voice is a new visitor


def test_conversation_acts_get_their_own_answer(engine: DialogEngine) -> None:
    thanks = engine.answer("고마워요", "acts")
    assert thanks.act == "thanks" and "천만에요" in thanks.answer
    who = engine.answer("Who are you?", "acts")
    assert who.act == "who_are_you" and "kiosk" in who.answer
    languages = engine.answer("Do you speak English?", "acts")
    assert languages.answer.startswith("Yes, I speak English and Korean")


def test_one_of_the_two_just_asked_about(engine: DialogEngine) -> None:
    """"The closer one", "the second one", "두 번째 거", "더 가까운 곳": one of the places the last
    question named, by order or by the walk from the gate."""
    engine.answer("Which is closer, the Museum or International Hall?", "two")
    assert engine.answer("How many floors does the closer one have?", "two").places == ("109",)
    engine.answer("Which is closer, the Museum or International Hall?", "two-again")
    assert engine.answer("And the second one, how many floors?", "two-again").places == ("108",)
    engine.answer("제1법학관이랑 제2법학관 중에 어디가 더 가까워요?", "two-ko")
    assert engine.answer("그럼 두 번째 거 몇 층이에요?", "two-ko").places == ("408",)
    engine.answer("Where is Engineering Building I?", "sibling")  # one place: its sibling
    assert engine.answer("what about the second one?", "sibling").places == ("211",)


@pytest.mark.parametrize(("turns", "verdict"), [
    (["Where's Engineering Building I?", "Engineering Building 2 is next to it, right?"], "yes"),
    (["Where is the Business School?",
      "and the Convergence Education Building, is it closer?"], "yes"),
    (["Is the main building taller than 4 floors?"], "yes"),
    # the KB gives floors above ground only: no basement listed is no "no basement"
    (["Does the Olympic Gymnasium have a basement?"], "unknown"),
    (["백남학술정보관은 지하가 없죠?"], "no"),
])
def test_claims_about_the_place_before_and_bounds(engine: DialogEngine, turns: list[str],
                                                  verdict: str) -> None:
    session = f"claims-{abs(hash(tuple(turns)))}"
    for said in turns:
        reply = engine.answer(said, session)
    assert [v for k, _, v in reply.verdicts if k == "check"][-1] == verdict, reply.answer


def test_the_same_relation_to_another_place(engine: DialogEngine) -> None:
    """"그럼 행원파크는요?" after a direction, "and to the main building?" after a route
    between two places: the same relation, from the same place, to the one now named."""
    engine.answer("경영관에서 보면 종기원은 어느 쪽이에요?", "again-rel")
    side = engine.answer("그럼 행원파크는요?", "again-rel")
    assert side.query is not None and [(a.kind.value, a.places) for a in side.query.asks] == [
        ("direction", ("707", "706"))]
    engine.answer("How do I get from the library to the museum?", "again-route")
    route = engine.answer("and to the main building?", "again-route")
    assert route.query is not None and [(a.kind.value, a.places) for a in route.query.asks] == [
        ("route_between", ("501", "102"))]
    floors = engine.answer("And how many floors does the Main Building have?", "again-route")
    assert floors.places == ("102",) and "5 floors" in floors.answer


def test_stop_says_nothing_and_a_nod_is_not_a_new_question(engine: DialogEngine) -> None:
    """"Stop" gets silence; "ok" / "네" a short prompt, not "I only know campus places"; "say
    that again" after either still repeats the last real answer."""
    first = engine.answer("Where is the museum?", "nod")
    nod = engine.answer("Okay.", "nod")
    assert nod.act == "acknowledge" and nod.answer.startswith("Sure") and not nod.places
    stop = engine.answer("stop", "nod")
    assert stop.act == "stop" and stop.answer == ""
    assert engine.answer("Sorry, can you say that again?", "nod").answer == first.answer
    korean = engine.answer("네, 알겠어요", "nod-ko")
    assert korean.act == "acknowledge" and korean.lang == "ko" and "궁금한" in korean.answer
    assert engine.answer("그만", "nod-ko").answer == ""


@pytest.mark.parametrize(("name", "correct", "hallucinated"), [
    ("understanding_questions.jsonl", 94.0, 1.5),    # 95.8 / 1.0 on 2026-12-01
    ("understanding_questions_2.jsonl", 92.5, 2.0),  # 94.1 / 1.6
    ("understanding_questions_3.jsonl", 93.0, 2.0),  # 94.7 / 1.4
    ("understanding_questions_4.jsonl", 92.5, 2.0),  # 86.2 / 3.3 blind; 94.0 / 1.2 tuned once
    ("understanding_questions_5.jsonl", 92.0, 3.0),  # 84.6 / 5.3 blind; 93.6 / 2.5 tuned once
    ("understanding_questions_6.jsonl", 92.0, 3.0),  # 86.7 / 4.8 blind; 93.8 / 2.1 tuned once
    ("understanding_questions_7.jsonl", 87.5, 3.5),  # 85.1 / 3.5 blind; 88.6 / 2.8 not tuned on
])
def test_the_blind_understanding_sets_stay_above_their_floors(
        engine: DialogEngine, name: str, correct: float, hallucinated: float) -> None:
    """Sets 1-6 were each measured before their misses were read, then used once to fix the
    rules; set 7 is measured and not tuned on (docs/answer-quality.md). All seven are
    regression floors here, not blind figures."""
    summary, _ = evaluate(engine, DEFAULT_SET.with_name(name))
    assert summary["correct_pct"] >= correct
    assert summary["hallucinated_pct"] <= hallucinated
