"""Question phrasings for the generated dataset, per question kind and language.

Why templates with ids: validation must hold out whole ways of asking, not rows of a way the
model has already seen, so every question carries the id of the template it came from.
Korean placeholders carry their particle (`{n_eun}` = name + 은/는) so a template reads right
for every name; `noisy()` adds the spoken-input variants a kiosk hears (no particles, no
spaces, dropped punctuation, a typo, a filler word), which keep the template's id.
"""

from __future__ import annotations

import random
import re

from kiosk.campus.answers import josa
from kiosk.campus.retrieval import Intent

T = dict[Intent, dict[str, list[str]]]

TEMPLATES: T = {
    Intent.LOCATION: {
        "en": ["Where is the {n}?", "where's {n}", "Can you tell me where {n} is?",
               "I'm looking for {n}.", "Excuse me, where can I find the {n}?",
               "which way is {n}", "Where is {n} located?", "do you know where {n} is",
               "Where exactly is the {n} on campus?", "Sorry, where's the {n} please?"],
        "ko": ["{n} 어디에 있어요?", "{n} 어디야?", "{n_i} 어디 있나요?", "{n} 위치 알려주세요.",
               "{n_eul} 찾고 있어요.", "저기요 {n} 어디예요?", "{n} 어딨어",
               "{n_eun} 어디에 있습니까?",
               "{n} 어느 쪽이에요?", "혹시 {n} 위치가 어디인가요?"],
    },
    Intent.CODE: {
        "en": ["What number is the {n}?", "what's the building number of {n}",
               "Which building number is {n}?", "{n} building number?",
               "What is the number of the {n}?", "tell me the number for {n}",
               "Does {n} have a building number?", "what number building is {n}"],
        "ko": ["{n} 건물 번호가 뭐예요?", "{n} 몇 번 건물이야?", "{n_eun} 몇 번이에요?",
               "{n} 번호 알려줘", "{n} 건물 번호 좀 알려주세요.", "{n_i} 몇 번 건물인가요?",
               "{n} 몇번이야", "{n}의 건물 번호는 무엇입니까?"],
    },
    Intent.WALK_TIME: {
        "en": ["How long does it take to walk to the {n}?", "how far is {n}",
               "How many minutes to {n} on foot?", "Is {n} far from here?",
               "how long to walk to {n}", "How far is the {n} from Aeji Gate?",
               "How long will it take me to get to the {n}?", "is it a long walk to {n}"],
        "ko": ["{n}까지 걸어서 얼마나 걸려요?", "{n} 멀어?", "{n}까지 몇 분 걸려요?",
               "여기서 {n} 얼마나 걸리나요?", "{n}까지 얼마나 걸려", "{n} 가는데 몇 분이에요?",
               "{n}까지 걸어가면 오래 걸려요?", "애지문에서 {n}까지 거리가 얼마나 돼요?"],
    },
    Intent.NEIGHBOURS: {
        "en": ["What is next to the {n}?", "what's near {n}", "What buildings are around {n}?",
               "What's close to the {n}?", "which buildings are beside {n}",
               "What is nearby the {n}?", "tell me what's around {n}"],
        "ko": ["{n} 옆에 뭐가 있어요?", "{n} 근처에 뭐 있어?", "{n} 주변에 어떤 건물이 있나요?",
               "{n} 옆 건물이 뭐예요?", "{n} 근처 건물 알려줘", "{n} 가까이에 뭐가 있습니까?",
               "{n} 주변 건물이 뭐야"],
    },
    Intent.ROUTE: {
        "en": ["How do I get to the {n}?", "how do i get to {n}", "How can I go to {n}?",
               "Directions to the {n}, please.", "what's the way to {n}",
               "Could you show me the way to the {n}?", "how to go to {n} from here",
               "Which route should I take to the {n}?"],
        "ko": ["{n} 어떻게 가요?", "{n} 가는 길 알려줘", "{n_euro} 가려면 어떻게 해요?",
               "{n}까지 가는 방법 좀 알려주세요.", "{n} 어떻게 가", "{n_euro} 어떻게 가나요?",
               "여기서 {n} 가는 길이 어떻게 돼요?", "{n} 찾아가려면 어디로 가야 해요?"],
    },
    Intent.CATEGORY: {
        "en": ["What kind of building is the {n}?", "what is {n}", "What is the {n} used for?",
               "What type of building is {n}?", "what sort of place is the {n}",
               "Tell me about the {n}."],
        "ko": ["{n_eun} 어떤 건물이에요?", "{n_i} 뭐하는 곳이야?", "{n_eun} 무슨 건물인가요?",
               "{n} 어떤 곳이에요?", "{n_eun} 뭐하는 건물이야", "{n}에 대해 알려주세요."],
    },
    Intent.FLOORS: {
        "en": ["How many floors does the {n} have?", "how many floors is {n}",
               "How tall is the {n}?", "how many stories does {n} have",
               "What floors does {n} have?", "How many levels are in the {n}?"],
        "ko": ["{n} 몇 층이에요?", "{n} 몇층이야?", "{n_eun} 몇 층까지 있어요?",
               "{n} 층수가 어떻게 돼요?", "{n} 지하도 있어요?", "{n_eun} 몇 층 건물인가요?"],
    },
    Intent.FEATURES: {
        "en": ["What is in the {n}?", "what's inside {n}", "What facilities does the {n} have?",
               "what can I find in {n}", "What does the {n} have?",
               "Are there any facilities in {n}?"],
        "ko": ["{n}에는 뭐가 있어요?", "{n} 안에 뭐 있어?", "{n}에 어떤 시설이 있나요?",
               "{n} 시설 알려줘", "{n}에서 뭘 할 수 있어요?", "{n} 안에는 무엇이 있습니까?"],
    },
}

# Follow-ups that point back with a pronoun; the engine resolves the place from the history.
FOLLOWUPS: T = {
    Intent.LOCATION: {"en": ["Where is it?", "where is that building"],
                      "ko": ["거기 어디예요?", "그 건물 어디 있어?"]},
    Intent.CODE: {"en": ["What number is it?", "what's its building number"],
                  "ko": ["거기 몇 번 건물이에요?", "그 건물 번호가 뭐야?"]},
    Intent.WALK_TIME: {"en": ["How long does it take to walk there?", "how far is it"],
                       "ko": ["거기까지 얼마나 걸려요?", "그곳까지 몇 분 걸려?"]},
    Intent.NEIGHBOURS: {"en": ["What is next to it?", "what's near that building"],
                        "ko": ["거기 옆에 뭐 있어요?", "그 건물 근처에 뭐가 있어?"]},
    Intent.ROUTE: {"en": ["How do I get there?", "how can i go there"],
                   "ko": ["거기 어떻게 가요?", "그곳까지 가는 길 알려줘"]},
    Intent.CATEGORY: {"en": ["What kind of building is it?", "what is that building"],
                      "ko": ["거기는 어떤 건물이에요?", "그 건물 뭐하는 곳이야?"]},
    Intent.FLOORS: {"en": ["How many floors does it have?", "how many floors is that building"],
                    "ko": ["거기 몇 층이에요?", "그 건물 몇 층까지 있어?"]},
    Intent.FEATURES: {"en": ["What is in it?", "what facilities does that building have"],
                      "ko": ["거기에는 뭐가 있어요?", "그 건물 안에 뭐 있어?"]},
}

KO_PARTICLES = re.compile(r"(?<=[가-힣])(은|는|이|가|을|를|에는|에|으로|로|까지)(?=\s|$|\?)")
FILLERS = {"en": ["um ", "uh ", "hey, ", "hi, ", ""],
           "ko": ["저기 ", "음 ", "혹시 ", "저기요 ", ""]}


def fill(template: str, name: str) -> str:
    """The template with `name` and the particle each Korean placeholder asks for."""
    return template.format(n=name, n_eun=josa(name, "은/는"), n_i=josa(name, "이/가"),
                           n_eul=josa(name, "을/를"), n_euro=josa(name, "으로/로"))


def template_ids(table: T = TEMPLATES) -> list[str]:
    return [f"{lang}.{intent.value}.{i:02d}" for intent, langs in table.items()
            for lang, items in langs.items() for i in range(len(items))]


def _typo(text: str, rng: random.Random, protect: str) -> str:
    """Swap two neighbouring letters outside the place name (names must stay findable)."""
    start = text.find(protect)
    spans = [i for i in range(len(text) - 1)
             if text[i].isalpha() and text[i + 1].isalpha()
             and not (start <= i < start + len(protect) + 1 and start >= 0)]
    if not spans:
        return text
    i = rng.choice(spans)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def noisy(text: str, lang: str, name: str, rng: random.Random) -> str:
    """One spoken-input variant of a question: what ASR or a hurried visitor produces."""
    kind = rng.choice(["asr", "particles", "typo", "filler"] if lang == "ko"
                      else ["asr", "typo", "filler", "lower"])
    if kind == "asr":  # ASR output: no punctuation, sometimes lower case
        text = re.sub(r"[?.!,]", "", text).strip()
        return text.lower() if lang == "en" else text
    if kind == "particles":
        return " ".join(KO_PARTICLES.sub("", text).split())
    if kind == "typo":
        return _typo(text, rng, name)
    if kind == "lower":
        return text.lower().rstrip("?.!")
    return rng.choice(FILLERS[lang]) + text
