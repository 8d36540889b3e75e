"""Prompt format, shared by the kiosk at run time and by `kiosk train` (they must match).

Gemma's chat format has no system role, so the instructions go at the top of the first user
turn. Each user turn carries only the facts retrieved for this question (never the whole
knowledge base) and the question; the model turn is the answer. For an untuned base model a
few worked examples of the same question kind, in the visitor's language, come first as
earlier turns: the 270M base model copies their shape but, told nothing, echoes the prompt.
A fine-tuned adapter is trained on the zero-example form (config `llm.few_shot = 0`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BOS = "<bos>"
START = "<start_of_turn>"
END = "<end_of_turn>"
STOP = [END, START, "\n", "Question:", "Facts:", "질문:"]

INSTRUCTIONS = (
    "You are the campus guide kiosk at Aeji Gate of Hanyang University. Answer the visitor "
    "only from the facts, in one to three short full sentences, in the visitor's language, "
    "using English names in English and Korean names in Korean. Never add other facts."
)


@dataclass(frozen=True)
class Example:
    facts: str
    question: str
    answer: str


def user_turn(facts: str, question: str) -> str:
    return f"Facts: {facts}\nQuestion: {question}"


def _turn(role: str, text: str) -> str:
    return f"{START}{role}\n{text}{END}\n"


def build_prompt(facts: str, question: str, examples: Sequence[Example] = ()) -> str:
    """The full prompt text up to the start of the model's answer.

    llama.cpp adds BOS itself, so it is not written here.
    """
    parts: list[str] = []
    first = True
    for example in examples:
        head = INSTRUCTIONS + "\n\n" if first else ""
        parts.append(_turn("user", head + user_turn(example.facts, example.question)))
        parts.append(_turn("model", example.answer))
        first = False
    head = INSTRUCTIONS + "\n\n" if first else ""
    parts.append(_turn("user", head + user_turn(facts, question)))
    parts.append(f"{START}model\n")
    return "".join(parts)
