"""Human-readable `kiosk status`: a daemon snapshot as a few lines an operator reads over SSH."""

from __future__ import annotations

import time
from typing import Any


def duration(seconds: float) -> str:
    """3725 → "1h 02m", 75 → "1m 15s", 4.2 → "4s"."""
    seconds = int(seconds)
    if seconds >= 86400:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds}s"


def _clock(at: Any) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at)) if isinstance(at, int | float) else "?"


def _models(models: Any) -> list[str]:
    if isinstance(models, dict) and "error" in models:
        return [f"models: unknown ({models['error']})"]
    if not models:
        return ["models: none reported"]
    lines = ["models:"]
    for m in models:
        loaded = "loaded" if m.get("loaded") else "not loaded"
        size = m.get("size_mb")
        size_text = f"{size:7.0f} MB" if isinstance(size, int | float) else "      ? MB"
        lines.append(f"  {m.get('name', '?'):28} {m.get('role', '?'):8} {size_text}  {loaded}")
    return lines


def _turns(turns: list[dict[str, Any]], limit: int) -> list[str]:
    if not turns:
        return ["last turns: none yet"]
    lines = [f"last turns ({min(limit, len(turns))} of {len(turns)} kept):"]
    for turn in turns[-limit:]:
        timings = ", ".join(f"{k} {v:.0f}" for k, v in turn.get("timings_ms", {}).items())
        lines.append(f"  {_clock(turn.get('at'))} {turn.get('lang', '?'):2} "
                     f"{turn.get('source', '?'):8} {timings or '-'} (ms)")
    return lines


def _errors(counts: dict[str, int], last: dict[str, Any] | None) -> list[str]:
    if not counts:
        return ["errors: none"]
    total = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    lines = [f"errors: {total}"]
    if last:
        lines.append(f"  last: {_clock(last.get('at'))} {last.get('kind')}: {last.get('message')}")
    return lines


HEALTH_WORD = {"input": "DEAF: cannot listen", "output": "MUTE: cannot speak"}


def _health(snap: dict[str, Any]) -> list[str]:
    """One loud line per part that does not work: read first by an operator over SSH."""
    lines = []
    for part, entry in sorted((snap.get("health") or {}).items()):
        if isinstance(entry, dict) and not entry.get("ok", True):
            lines.append(f"{HEALTH_WORD.get(part, part)} since {_clock(entry.get('since'))}: "
                         f"{entry.get('detail') or '?'}")
    return lines


def healthy(snap: dict[str, Any]) -> bool:
    """The daemon can both listen and speak (`kiosk status` exits 1 otherwise)."""
    return snap.get("can_listen", True) is not False and snap.get("can_speak", True) is not False


def format_status(snap: dict[str, Any], turns: int = 5) -> str:
    """The snapshot from ``query_status`` as text (state, memory, models, turns, errors)."""
    rss, peak, budget = snap.get("rss_mb", 0), snap.get("peak_rss_mb", 0), snap.get("budget_mb")
    share = f" ({100 * rss / budget:.0f}%)" if budget else ""
    lines = [
        f"kiosk {snap.get('version', '?')}: {snap.get('state', '?')} for "
        f"{duration(snap.get('state_for_s', 0))} (pid {snap.get('pid', '?')}, up "
        f"{duration(snap.get('uptime_s', 0))})",
        f"memory: rss {rss:.0f} MB, peak {peak:.0f} MB, budget {budget} MB{share}",
        *_models(snap.get("models")),
    ]
    audio = snap.get("audio")
    if isinstance(audio, dict):
        lines.append("audio: " + ", ".join(f"{k} {v}" for k, v in audio.items()))
    elif audio is not None:
        lines.append(f"audio: {audio}")
    lines += _health(snap)
    lines += _turns(snap.get("last_turns") or [], turns)
    lines += _errors(snap.get("error_counts") or {}, snap.get("last_error"))
    if snap.get("log_records_dropped"):
        lines.append(f"log: {snap['log_records_dropped']} records lost to failed writes "
                     "(disk full or journal gone?)")
    return "\n".join(lines)
