"""Text front ends of the dialog engine: one question, JSON lines, and an interactive chat.

`kiosk ask --json -` is the scripting interface used by tests and by operators over SSH: one
JSON object per input line, answered in order and flushed at once, with the model loaded once.
A bad line gets an `{"error": ...}` object and the loop goes on.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk.dialog.engine import DialogEngine


class AskLine(BaseModel):
    """One request line of `kiosk ask --json -`."""

    model_config = ConfigDict(extra="ignore")
    text: str
    session: str | None = None


def answer_lines(engine: DialogEngine, lines: Iterable[str], out: TextIO) -> int:
    """Answer JSON lines in order; returns how many lines were bad."""
    bad = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            request = AskLine.model_validate_json(raw)
        except ValidationError as error:
            bad += 1
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            result: dict[str, object] = {"error": f"line {number}: {where}: {first['msg']}"}
        else:
            session = request.session or f"oneshot-{uuid.uuid4().hex}"
            result = engine.answer(request.text, session).as_json()
            if request.session is None:
                engine.sessions.reset(session)
            else:
                result["session"] = request.session
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def chat(engine: DialogEngine, stdin: TextIO, out: TextIO, session: str = "chat") -> None:
    """Interactive conversation: /reset starts a new visitor, /quit leaves."""
    out.write("kiosk chat: ask about Hanyang University buildings (/reset, /quit)\n")
    while True:
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line or line.strip() in {"/quit", "/exit"}:
            out.write("\n")
            return
        if line.strip() == "/reset":
            engine.sessions.reset(session)
            out.write("(new visitor)\n")
            continue
        if not line.strip():
            continue
        reply = engine.answer(line, session)
        out.write(f"{reply.answer}\n   [{reply.source}, {reply.lang}, "
                  f"{reply.timings_ms['total']:.0f} ms]\n")
