"""Worked examples for the prompt, built from the knowledge base itself.

The untuned base model answers by imitation, so each prompt starts with examples of the same
question kind in the visitor's language. Their answers are the knowledge base's own composed
answers about other buildings, so the examples are always true, always in the kiosk's voice,
and cached by llama.cpp as a shared prompt prefix (the same kind of question reuses it).
"""

from __future__ import annotations

from functools import lru_cache

from kiosk.campus import answers
from kiosk.campus.knowledge import KnowledgeBase, Lang
from kiosk.campus.retrieval import Intent
from kiosk.dialog.prompt import Example

# Buildings with every kind of fact, in order of preference; the asked place is skipped.
EXAMPLE_PLACES = ("102", "501", "306", "107", "508")

QUESTIONS: dict[Intent, dict[str, str]] = {
    Intent.LOCATION: {"en": "Where is the {name}?", "ko": "{name} 어디에 있어요?"},
    Intent.CODE: {"en": "What number is the {name}?", "ko": "{name} 건물 번호가 뭐예요?"},
    Intent.WALK_TIME: {"en": "How long does it take to walk to the {name}?",
                       "ko": "{name}까지 걸어서 얼마나 걸려요?"},
    Intent.NEIGHBOURS: {"en": "What is next to the {name}?", "ko": "{name} 옆에 뭐가 있어요?"},
    Intent.ROUTE: {"en": "How do I get to the {name}?", "ko": "{name} 어떻게 가요?"},
    Intent.CATEGORY: {"en": "What kind of building is the {name}?",
                      "ko": "{name}은 어떤 건물이에요?"},
    Intent.FLOORS: {"en": "How many floors does the {name} have?", "ko": "{name} 몇 층이에요?"},
    Intent.FEATURES: {"en": "What is in the {name}?", "ko": "{name}에는 뭐가 있어요?"},
}


class ExampleBank:
    """`count` examples per question kind and language, never about the asked place."""

    def __init__(self, kb: KnowledgeBase, count: int) -> None:
        self._kb = kb
        self._count = count
        self.for_question = lru_cache(maxsize=256)(self._build)

    def _build(self, intent: Intent, lang: Lang, asked_code: str) -> tuple[Example, ...]:
        questions = QUESTIONS.get(intent, QUESTIONS[Intent.LOCATION])
        chosen: list[Example] = []
        for code in EXAMPLE_PLACES:
            place = self._kb.by_code(code)
            if place is None or code == asked_code or len(chosen) >= self._count:
                continue
            chosen.append(Example(
                facts=" ".join(answers.facts(place, intent, lang, self._kb)),
                question=questions[lang].format(name=place.name(lang)),
                answer=answers.compose(place, intent, lang, self._kb)))
        return tuple(chosen)
