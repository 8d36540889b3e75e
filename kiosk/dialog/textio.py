"""Text front ends of the dialog engine: one question, JSON lines, and an interactive chat.

`kiosk ask --json -` is the scripting interface used by tests and by operators over SSH: one
JSON object per input line, answered in order and flushed at once, with the model loaded once.
A bad line gets an `{"error": ...}` object and the loop goes on.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk.dialog.engine import DialogEngine
from kiosk.errors import one_line

log = logging.getLogger(__name__)


class AskLine(BaseModel):
    """One request line of `kiosk ask --json -`."""

    model_config = ConfigDict(extra="ignore")
    text: str
    session: str | None = None


MAX_LINE_BYTES = 64 * 1024
"""A request is a short JSON object; a longer line is answered with an error, not parsed."""


def _decode(raw: bytes | str) -> str:
    """One input line as text; bytes are decoded here, line by line, so one line of invalid
    UTF-8 costs that line only (a strict text stream raised for the whole buffered chunk and
    the valid lines read with it were lost)."""
    if isinstance(raw, str):
        return raw
    return raw.decode("utf-8")


def _answer_one(engine: DialogEngine, number: int, raw: bytes | str) -> dict[str, object]:
    if len(raw) > MAX_LINE_BYTES:
        raise ValueError(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
    try:
        text = _decode(raw)
    except UnicodeDecodeError as error:
        raise ValueError(f"line {number}: not valid UTF-8 (byte {error.start})") from None
    try:
        request = AskLine.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        raise ValueError(f"line {number}: {where}: {first['msg']}") from None
    session = request.session or f"oneshot-{uuid.uuid4().hex}"
    result = engine.answer(request.text, session).as_json()
    if request.session is None:
        engine.sessions.reset(session)
    else:
        result["session"] = request.session
    return result


def answer_lines(engine: DialogEngine, lines: Iterable[bytes | str], out: TextIO) -> int:
    """Answer JSON lines in order; returns how many lines were bad.

    Every non-empty line gets exactly one output line: its answer or ``{"error": ...}``. A
    line that breaks the engine is logged and answered with an error; the next one is read."""
    bad = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            result = _answer_one(engine, number, raw)
        except ValueError as error:
            bad += 1
            result = {"error": str(error)}
        except Exception as error:  # one bad turn never ends the stream
            bad += 1
            log.error("event=ask_line_failed line=%d error=%s", number, one_line(error))
            result = {"error": f"line {number}: failed: {one_line(error)}"}
        out.write(_json_line(result))
        out.flush()
    return bad


def _json_line(result: dict[str, object]) -> str:
    """Readable UTF-8 when it can be; escaped when a lone surrogate from a JSON escape
    ("\\ud800" in a session name) cannot be encoded by a strict UTF-8 stdout."""
    text = json.dumps(result, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(result)
    return text + "\n"


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
