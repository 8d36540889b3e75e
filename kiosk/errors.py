"""One exception type per boundary, each carrying a message fit for an operator.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``; no traceback.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base class: an operator-facing, one-line error."""

    exit_code: int = 1


class ConfigError(KioskError):
    """A bad config file or value (names the key, the value and what is allowed)."""

    exit_code = 2


class ModelError(KioskError):
    """A model file that is missing, corrupt, or cannot be loaded."""

    exit_code = 4


class KnowledgeError(KioskError):
    """The campus knowledge base is missing or inconsistent."""

    exit_code = 5


class AudioError(KioskError):
    """Unreadable audio input, or an audio device that is missing or vanished."""

    exit_code = 6


class BudgetError(KioskError):
    """A model cannot fit in the configured memory budget."""

    exit_code = 7


def one_line(error: BaseException) -> str:
    """The first line of an error's message, or its type name when the message is empty: what
    a log line or a one-line CLI error shows."""
    text = (str(error).strip().splitlines() or [""])[0]
    return text or type(error).__name__
