"""The dialog engine: a visitor's question (text) in, a grounded answer out.

Order of work for one turn:
1. clean the text, detect its language, fetch the visitor's session;
2. greeting / help / off-topic / prompt injection are answered without the model;
3. retrieval finds the place (names, aliases, fuzzy ASR variants, codes, or a pronoun resolved
   from the history) and the question kind; no place means an honest "I don't know";
4. the model phrases the answer from only the facts for that question kind; it streams, and
   each finished sentence is checked by the guard before it is handed on (to TTS);
5. if the first sentence fails the guard, or the model is off, slow or broken, the answer
   composed from the knowledge base is given instead (source "template"); a fact the model's
   checked sentences left out is added as the knowledge base's sentence for it.
The model never decides a fact: retrieval and the guard do.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from kiosk.campus import answers, groups, replies
from kiosk.campus.knowledge import KnowledgeBase, Place
from kiosk.campus.query import ONE_PLACE_KINDS, Act, Lang, Query
from kiosk.campus.retrieval import Intent
from kiosk.campus.understand import understand
from kiosk.config import Config
from kiosk.dialog import guard
from kiosk.dialog.examples import ExampleBank
from kiosk.dialog.history import Session, SessionStore, Turn
from kiosk.dialog.llm import LanguageModel
from kiosk.dialog.prefetch import Prefetch
from kiosk.dialog.prompt import INSTRUCTIONS, STOP, build_prompt
from kiosk.dialog.sentences import SentenceBuffer, looks_finished, split_sentences
from kiosk.errors import KioskError, one_line

log = logging.getLogger(__name__)

Source = Literal["llm", "template", "refusal"]
SentenceSink = Callable[[str], None]
_POLL_S = 0.05  # how often a wait for the model's next token looks at deadline and barge-in
SLOWER_PACE = 1.35  # length-scale factor for "slower please" (Piper's 1.0 is brisk for a kiosk)


@dataclass(frozen=True)
class Reply:
    answer: str
    lang: Lang
    places: tuple[str, ...]
    source: Source
    intent: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    guard: str = ""
    answer_en: str = ""   # for a Korean reply: the same answer in English (spoken fallback)
    act: str = ""         # the visitor's act (question, thanks, repeat, ...)
    verdicts: tuple[replies.Verdict, ...] = ()  # yes/no checks and comparisons decided
    slower: bool = False  # "slower please": speak this reply with a longer length scale
    query: Query | None = None

    def as_json(self) -> dict[str, object]:
        return {"answer": self.answer, "lang": self.lang, "places": list(self.places),
                "source": self.source, "intent": self.intent, "act": self.act,
                "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}}


class DialogEngine:
    """Answers questions for many visitor sessions; the model is loaded once, lazily."""

    def __init__(self, config: Config, kb: KnowledgeBase | None = None,
                 llm: LanguageModel | None = None) -> None:
        self._config = config
        self.kb = kb or KnowledgeBase.load()
        self.llm = llm if llm is not None else LanguageModel(config)
        self.sessions = SessionStore(config.dialog.history_turns, config.dialog.idle_timeout_s)
        self.mentions = guard.MentionFinder(
            (name, p.code) for p in self.kb.places
            for lang in ("ko", "en") for name in (p.name(lang), *p.aliases(lang)))
        self._examples = ExampleBank(self.kb, config.llm.few_shot)

    def apply_settings(self, config: Config) -> None:
        """Adopt dialog and generation settings from a reloaded config; models stay loaded."""
        self._config = config
        self.sessions.configure(config.dialog.history_turns, config.dialog.idle_timeout_s)
        self.llm.configure(config.llm)
        self._examples = ExampleBank(self.kb, config.llm.few_shot)

    def answer(self, text: str, session_id: str = "default",
               on_sentence: SentenceSink | None = None,
               cancel: threading.Event | None = None,
               on_english: SentenceSink | None = None,
               yield_to: threading.Event | None = None,
               on_pace: Callable[[float], None] | None = None) -> Reply:
        """Answer one utterance; `on_sentence` receives each sentence as soon as it is final.

        For a Korean reply, `on_english` receives the English version of the answer (what
        the fallback voice says) sentence by sentence, as soon as it is known: the facts come
        from the knowledge base, so it need not wait for the model's Korean phrasing.
        Setting `cancel` (barge-in) stops generation after the current token; while
        `yield_to` is set (speech being synthesised) the model waits between tokens.
        `on_pace` is told the speaking pace of this reply (1.0, or slower for a repeat asked
        for slowly) before its template sentences are handed on.
        """
        started = time.perf_counter()
        text = self._as_heard(text)
        session = self.sessions.get(session_id)
        query = understand(text, self.kb, session.recent_places(), session.last_question())
        lang = query.reply_lang
        english = _Once(on_english if lang == "ko" else None)
        reply = self._decide(query, session, on_sentence, cancel, yield_to, english)
        reply = dataclasses.replace(reply, act=reply.act or query.act.value, query=query)
        if reply.lang == "ko":
            reply = dataclasses.replace(reply,
                                        answer_en=reply.answer_en or self._in_english(reply))
            english.send(reply.answer_en)
        reply.timings_ms["total"] = (time.perf_counter() - started) * 1000
        session.add(Turn(text, reply.answer, reply.lang, reply.places, query))
        if query.act is Act.GOODBYE:
            self.sessions.reset(session_id)  # the next voice is a new visitor
        if on_pace is not None:  # before the sentences: "slower please" is heard slower
            on_pace(SLOWER_PACE if reply.slower else 1.0)
        if reply.source != "llm" and on_sentence:
            for sentence in split_sentences(reply.answer):
                on_sentence(sentence)
        log.info("event=turn session=%s lang=%s act=%s intent=%s source=%s places=%s guard=%s "
                 "total_ms=%.0f%s", session_id, reply.lang, reply.act, reply.intent,
                 reply.source, ",".join(reply.places), reply.guard or "-",
                 reply.timings_ms["total"],
                 f" text={text!r}" if self._config.dialog.log_transcripts else "")
        return reply

    def understood(self, text: str, session_id: str = "default") -> Query:
        """What `text` would be taken to mean in this conversation, without answering it or
        touching the history: the voice loop asks it of what it heard over its own reply (a
        nod or a noise lets the reply go on; a question is answered)."""
        session = self.sessions.get(session_id)
        return understand(self._as_heard(text), self.kb, session.recent_places(),
                          session.last_question())

    def _as_heard(self, text: str) -> str:
        """One-spaced and cut to `dialog.max_input_chars`: what both calls understand."""
        return " ".join(text.split())[: self._config.dialog.max_input_chars]

    def _decide(self, query: Query, session: Session, on_sentence: SentenceSink | None,
                cancel: threading.Event | None, yield_to: threading.Event | None,
                english: _Once) -> Reply:
        lang = query.reply_lang
        act = query.act
        if act is Act.NOTHING:
            return Reply(answers.help_text(lang), lang, (), "refusal", Intent.HELP.value)
        if act in (Act.REPEAT, Act.SLOWER):
            return self._repeat(session, lang, slower=act is Act.SLOWER)
        if act is Act.OFF_TOPIC or (act is Act.INJECTION and not query.asks):
            reason: answers.RefusalReason = "injection" if act is Act.INJECTION else "offtopic"
            return Reply(answers.refusal(lang, reason), lang, (), "refusal", Intent.OFFTOPIC.value
                         if reason == "offtopic" else Intent.UNKNOWN.value, guard=reason)
        if act not in (Act.QUESTION, Act.INJECTION, Act.SWITCH_LANGUAGE):
            intent = {Act.GREETING: Intent.GREETING}.get(act, Intent.HELP)
            return Reply(replies.conversation(act, lang, query.text), lang, (), "refusal",
                         intent.value)
        if not query.asks:
            return self._nothing_found(query)
        single = query.asks[0] if len(query.asks) == 1 else None
        if (single is None or single.kind not in ONE_PLACE_KINDS or act is not Act.QUESTION
                or not single.places):
            return self._composed(query, guard="injection" if act is Act.INJECTION else "")
        place = self.kb.by_code(single.places[0])
        assert place is not None
        intent = Intent(single.kind.value)
        template = answers.compose(place, intent, lang, self.kb)
        if not self._config.llm.enabled:
            return Reply(template, lang, (place.code,), "template", intent.value,
                         guard="llm-disabled")
        if intent.value not in self._config.llm.phrased_kinds or query.lang != lang:
            # A one-fact answer the model would only restate (see config llm.phrased_kinds)
            return Reply(template, lang, (place.code,), "template", intent.value,
                         guard="kb-answer")
        english.send(answers.compose(place, intent, "en", self.kb))
        return self._phrase(query.text, lang, place, intent, template, on_sentence, cancel,
                            yield_to)

    def _nothing_found(self, query: Query) -> Reply:
        """No place understood: several of a kind ("the dorms"), else an honest "I don't know"."""
        lang = query.reply_lang
        if act_is_plain := query.act is Act.QUESTION:
            group = groups.find_group(query.text, self.kb)
            meant = groups.the_one_meant(group, query.text, self.kb) if group else None
            place = self.kb.by_code(meant) if meant else None
            if place is not None:
                said = answers.compose(place, Intent.LOCATION, lang, self.kb)
                return Reply(said, lang, (place.code,), "template", Intent.LOCATION.value,
                             guard="kb-answer",
                             answer_en=answers.compose(place, Intent.LOCATION, "en", self.kb)
                             if lang == "ko" else "")
            if group:
                in_english = answers.several(group.codes, group.noun_en, "en", self.kb)
                said = (answers.several(group.codes, group.noun_ko, "ko", self.kb)
                        if lang == "ko" else in_english)
                return Reply(said, lang, group.codes, "template", Intent.LOCATION.value,
                             guard="several", answer_en=in_english)
        reason: answers.RefusalReason = "unknown_place" if act_is_plain else "injection"
        return Reply(answers.refusal(lang, reason), lang, (), "refusal", Intent.UNKNOWN.value,
                     guard=reason)

    def _composed(self, query: Query, guard: str = "") -> Reply:
        """Several asks, relations, checks, unknowns: one answer from the KB, in order."""
        lang = query.reply_lang
        composed = replies.compose_query(query, self.kb, lang)
        in_english = (replies.compose_query(query, self.kb, "en").text if lang == "ko" else "")
        first = query.asks[0].kind.value
        # only what the KB does not know, about no place: a polite no, like an unknown place
        source: Source = "template" if composed.places or composed.verdicts else "refusal"
        return Reply(composed.text, lang, composed.places, source, first,
                     guard=guard or "composed", answer_en=in_english,
                     verdicts=composed.verdicts)

    def _repeat(self, session: Session, lang: Lang, slower: bool) -> Reply:
        """The last answer again, as it was said (re-spoken, not re-generated)."""
        turn = session.last_answer()
        if turn is None:
            return Reply(answers.help_text(lang), lang, (), "refusal", Intent.HELP.value)
        said = Reply(turn.assistant, turn.lang, turn.places, "template", "repeat",
                     guard="repeat", slower=slower)
        if turn.lang != "ko":
            return said
        kind = turn.query.asks[0].kind.value if turn.query and turn.query.asks else "help"
        as_first = dataclasses.replace(said, intent=kind, guard="", query=turn.query)
        return dataclasses.replace(said, answer_en=self._in_english(as_first))

    def _in_english(self, reply: Reply) -> str:
        """The same answer in English, from the KB (what a fallback voice can say clearly)."""
        query = reply.query
        if (query is not None and query.asks and reply.guard not in ("several", "repeat")
                and (len(query.asks) > 1 or query.asks[0].kind not in ONE_PLACE_KINDS)):
            return replies.compose_query(query, self.kb, "en").text
        if reply.places and reply.intent in {i.value for i in Intent}:
            place = self.kb.by_code(reply.places[0])
            if place is not None:
                return answers.compose(place, Intent(reply.intent), "en", self.kb)
        if query is not None and query.act not in (Act.QUESTION, Act.INJECTION, Act.OFF_TOPIC,
                                                   Act.REPEAT, Act.SLOWER):
            return replies.conversation(query.act, "en", query.text)
        if reply.intent == Intent.HELP.value:
            return answers.help_text("en")
        return answers.refusal("en", reply.guard or "unknown_place")  # type: ignore[arg-type]

    def facilities(self, place: Place, intent: Intent, lang: Lang) -> dict[str, str]:
        """For a facilities question, each facility's required word ("word:café") and how to
        name it ("a café")."""
        if intent is not Intent.FEATURES:
            return {}
        features = place.features_ko if lang == "ko" else place.features_en
        return {f"word:{_key_word(f, lang, place.name(lang))}": f for f in features}

    def requirements(self, place: Place, intent: Intent, lang: Lang) -> guard.Requirements:
        """The facts an answer to this kind of question must state to count as an answer."""
        numbers: set[str] = set()
        places: set[str] = set()
        words: set[str] = set()
        if intent is Intent.CODE and place.kind == "building":
            numbers.add(place.code)
        if intent in (Intent.WALK_TIME, Intent.LOCATION) and place.minutes_from_gate:
            numbers.add(str(place.minutes_from_gate))
        if intent in (Intent.LOCATION, Intent.ROUTE):
            route = place.route_ko if lang == "ko" else place.route_en
            places |= self.mentions.codes(route) - {place.code, self.kb.gate.code, "station"}
            if not places:  # no building on the way: the way itself must be said
                if place.minutes_from_gate:
                    numbers.add(str(place.minutes_from_gate))
                words.add(_route_word(route, lang))
        if intent is Intent.FLOORS and place.floors_above:
            numbers.add(str(place.floors_above))
        directions: list[tuple[str, frozenset[str]]] = []
        if intent is Intent.NEIGHBOURS:
            places.update(n.code for n in place.neighbours)
            directions = [(n.code, frozenset(guard.direction_words(
                n.direction_ko if lang == "ko" else n.direction_en))) for n in place.neighbours]
        words.update(key.removeprefix("word:") for key in self.facilities(place, intent, lang))
        if intent is Intent.CATEGORY:
            category = place.category_ko if lang == "ko" else place.category_en
            words.add(_key_word(category, lang, place.name(lang)))
        return guard.Requirements(numbers=frozenset(numbers), places=frozenset(places),
                                  words=frozenset(w for w in words if w),
                                  directions=tuple(directions))

    def _phrase(self, text: str, lang: Lang, place: Place, intent: Intent, template: str,
                on_sentence: SentenceSink | None, cancel: threading.Event | None,
                yield_to: threading.Event | None) -> Reply:
        """Let the model phrase the facts; fall back to the template on any doubt."""
        facts = " ".join(answers.facts(place, intent, lang, self.kb))
        prompt = build_prompt(facts, text, self._examples.for_question(intent, lang, place.code))
        reply = GuardedReply(facts, lang, self.requirements(place, intent, lang), self.mentions,
                             on_sentence, template, self.facilities(place, intent, lang))
        timings: dict[str, float] = {}
        failure = ""
        started = time.perf_counter()
        buffer = SentenceBuffer()
        deadline = started + self._config.llm.first_sentence_timeout_s
        # Read on a worker thread: the deadline holds even when no token comes at all (a
        # stalled llama.cpp kept the KB answer waiting for its first token before).
        feed = Prefetch(self.llm.stream(prompt, STOP, yield_to=yield_to))
        try:
            while True:
                if cancel and cancel.is_set():
                    break
                left = deadline - time.perf_counter()
                if not reply.spoken and left <= 0:
                    failure = "slow"
                    break
                kind, value = feed.next(min(left, _POLL_S) if not reply.spoken else _POLL_S)
                if kind == "wait":
                    continue
                if kind == "error":
                    raise value  # type: ignore[misc]
                if kind == "done":  # an unfinished last fragment is dropped; finish() adds
                    reply.accept(s for s in buffer.flush() if looks_finished(s))
                    break
                timings.setdefault("llm_first_token", (time.perf_counter() - started) * 1000)
                if not reply.accept(buffer.feed(str(value))):
                    break
        except (KioskError, RuntimeError, ValueError, OSError) as error:
            log.error("event=llm_error error=%s", one_line(error))
            failure = "llm-error"
        finally:
            feed.close()
        timings["llm"] = (time.perf_counter() - started) * 1000
        if reply.spoken:  # already handed on to be spoken: that is the reply
            if not (cancel and cancel.is_set()):
                reply.finish()
            return Reply(" ".join(reply.spoken), lang, (place.code,), "llm", intent.value,
                         timings, guard="completed-from-kb" if reply.completed else "")
        return Reply(template, lang, (place.code,), "template", intent.value, timings,
                     guard=failure or reply.rejection or "no-output")


class _Once:
    """Hands an answer's sentences to a sink once per turn (the first `send` wins)."""

    def __init__(self, sink: SentenceSink | None) -> None:
        self._sink = sink

    def send(self, answer: str) -> None:
        if self._sink is not None:
            for sentence in split_sentences(answer):
                self._sink(sentence)
            self._sink = None


def _key_word(phrase: str, lang: str, name: str) -> str:
    """The word of a feature/category phrase that an answer must say: the English head noun
    (last word, "student club rooms" → "rooms") or the whole Korean compound. A word of the
    place's own name proves nothing ("an indoor gymnasium" at the Olympic Gymnasium →
    "indoor", else "The Olympic Gymnasium is 2 minutes away" would pass for its facilities)."""
    if lang == "ko":
        return phrase.split("(")[0].strip()
    own = {w.lower() for w in re.findall(r"[A-Za-z]+", name)}
    words = [w for w in re.findall(r"[A-Za-z]+", phrase) if w.lower() not in _GLUE]
    telling = [w for w in words if w.lower() not in own]
    return (telling or words or [""])[-1]


_GLUE = frozenset({"a", "an", "the", "of", "and", "for", "with", "in", "on", "at", "to"})
_ROUTE_WORDS = {"en": ("hill", "left", "right", "front", "behind", "below", "above"),
                "ko": ("언덕", "왼쪽", "왼편", "오른쪽", "오른편", "앞", "뒤", "아래", "위")}


def _route_word(route: str, lang: str) -> str:
    """The first landmark or turn of a route that names no building ("go over the hill",
    "on your left"): a "where is" answer that only gives the minutes has not said where."""
    text = guard.NOT_A_DIRECTION.sub(" ", route.lower()) if lang == "en" else route
    found = [(m.start(), word) for word in _ROUTE_WORDS[lang]
             if (m := re.search(rf"\b{word}\b" if lang == "en" else word, text))]
    return min(found)[1] if found else ""


class GuardedReply:
    """One reply being generated: each finished sentence must pass the guard to be spoken.

    A sentence that passes is handed on at once, so the first one plays while the model is
    still writing the next. When generation ends, any fact the question asked for that the
    model left out (the minutes, the route's landmark, the floor count) is added as the knowledge
    base's own sentence for it: the visitor hears the answer either way. The first sentence that
    fails the guard ends the model's part of the reply.
    """

    def __init__(self, facts: str, lang: Lang, required: guard.Requirements,
                 mentions: guard.MentionFinder, on_sentence: SentenceSink | None,
                 template: str, facilities: Mapping[str, str] | None = None) -> None:
        self._facts = facts
        self._lang = lang
        self._required = required
        # Directions constrain every sentence; the rest of `required` only the whole reply.
        self._constraints = guard.Requirements(directions=required.directions)
        self.mentions = mentions
        self._on_sentence = on_sentence
        self._template = template
        # "word:카페" → "카페": facilities the answer must name, to add the missing ones briefly
        self._facilities = dict(facilities or {})
        self.spoken: list[str] = []
        self.completed = False   # a KB sentence was added for a fact the model left out
        self.rejection = ""

    def accept(self, sentences: Iterable[str]) -> bool:
        """False when generation should stop."""
        for sentence in sentences:
            if self._lang == "ko":
                sentence = answers.mend_copula(sentence, self._facts)
            verdict = self._check(sentence)
            if not verdict.ok:
                self.rejection = verdict.reason
                log.debug("event=guard_reject reason=%s", verdict.reason)
                return False
            self._say(sentence)
        return len(self.spoken) < guard.MAX_SENTENCES

    def finish(self) -> None:
        """End of generation: add the KB's sentence for each asked-for fact still missing."""
        if not self.spoken:
            return
        absent = self._missing()
        if absent and all(item in self._facilities for item in absent):
            # only facilities are missing: name them, rather than repeat the whole list
            self.completed = True
            self._say(answers.also_has([self._facilities[i] for i in absent], self._lang))
            return
        for sentence in split_sentences(self._template):
            absent = self._missing()
            if not absent:
                return
            if len(self._missing(sentence)) < len(absent):
                log.debug("event=guard_complete missing=%s", absent[0])
                self.completed = True
                self._say(sentence)

    def answers_question(self) -> bool:
        """The sentences spoken so far state every fact the question asked for."""
        return bool(self.spoken) and not self._missing()

    def _say(self, sentence: str) -> None:
        self.spoken.append(sentence)
        if self._on_sentence:
            self._on_sentence(sentence)

    def _missing(self, extra: str = "") -> list[str]:
        return guard.missing(" ".join([*self.spoken, extra]), self._required, self.mentions)

    def _check(self, sentence: str) -> guard.Verdict:
        verdict = guard.check(sentence, self._facts, self._lang, self.mentions,
                              self._constraints, INSTRUCTIONS)
        if verdict.ok and self.spoken:
            whole = guard.check(" ".join([*self.spoken, sentence]), self._facts, self._lang,
                                self.mentions, self._constraints)
            if not whole.ok:
                return whole
        return verdict
