"""Conversation history per visitor session.

A kiosk serves one walk-up visitor after another: a session keeps at most `history_turns`
user+assistant pairs (oldest dropped first) and is forgotten after `idle_timeout_s` without a
turn, so the next person starts fresh. The history feeds pronoun resolution ("거기", "it") with
the places discussed, and records what the kiosk actually said (a reply cut by barge-in is
stored truncated).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.campus.query import Act, Lang, Query


@dataclass(frozen=True)
class Turn:
    user: str
    assistant: str
    lang: Lang
    places: tuple[str, ...]
    query: Query | None = None  # what was understood: follow-ups and "say that again" use it


@dataclass
class Session:
    max_turns: int
    turns: deque[Turn] = field(default_factory=deque)
    last_active: float = 0.0

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        while len(self.turns) > self.max_turns:
            self.turns.popleft()

    def recent_places(self) -> list[str]:
        """Place codes mentioned, most recent first, without repeats."""
        seen: list[str] = []
        for turn in reversed(self.turns):
            for code in turn.places:
                if code not in seen:
                    seen.append(code)
        return seen

    def last_question(self) -> Query | None:
        """The latest question that asked something (a repeat or "thanks" asks nothing)."""
        for turn in reversed(self.turns):
            if turn.query is not None and turn.query.asks and turn.query.act in (
                    Act.QUESTION, Act.SWITCH_LANGUAGE):
                return turn.query
        return None

    def last_answer(self) -> Turn | None:
        """The latest turn that gave an answer worth repeating (not "stop", "ok" or a repeat)."""
        for turn in reversed(self.turns):
            if turn.query is None or turn.query.act not in (Act.REPEAT, Act.SLOWER, Act.STOP,
                                                            Act.ACKNOWLEDGE):
                return turn
        return None

    def truncate_last(self, spoken_text: str) -> None:
        """Keep only what was actually said of the last reply (barge-in)."""
        if self.turns:
            last = self.turns.pop()
            self.turns.append(Turn(last.user, spoken_text, last.lang, last.places, last.query))


class SessionStore:
    """Sessions keyed by id; expired ones are dropped on access."""

    def __init__(self, max_turns: int, idle_timeout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max_turns = max_turns
        self._idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    def configure(self, max_turns: int, idle_timeout_s: float) -> None:
        """New limits (config reload); sessions keep their turns, trimmed on the next add."""
        self._max_turns = max_turns
        self._idle_timeout_s = idle_timeout_s
        for session in self._sessions.values():
            session.max_turns = max_turns

    def get(self, session_id: str) -> Session:
        now = self._clock()
        session = self._sessions.get(session_id)
        if session is None or now - session.last_active > self._idle_timeout_s:
            session = Session(self._max_turns)
            self._sessions[session_id] = session
        session.last_active = now
        self._expire(now)
        return session

    def is_fresh(self, session_id: str) -> bool:
        """True when the next turn of this id starts a new visitor session (greeting due)."""
        session = self._sessions.get(session_id)
        return session is None or not session.turns or (
            self._clock() - session.last_active > self._idle_timeout_s)

    def reset(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def _expire(self, now: float) -> None:
        stale = [k for k, s in self._sessions.items()
                 if now - s.last_active > self._idle_timeout_s]
        for key in stale:
            del self._sessions[key]

    def __len__(self) -> int:
        return len(self._sessions)
