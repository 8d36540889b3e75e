"""`kiosk install-service`: write systemd/kiosk.service with /opt/kiosk replaced by a prefix.

Only the unit file is written; creating the user, `daemon-reload` and `enable --now` stay
explicit steps for the operator (systemd/README.md), so nothing changes the system silently.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from kiosk.config import REPO_ROOT
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

UNIT_TEMPLATE = REPO_ROOT / "systemd" / "kiosk.service"
UNIT_NAME = "kiosk.service"
DEFAULT_PREFIX = Path("/opt/kiosk")
DEFAULT_UNIT_DIR = Path("/etc/systemd/system")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")
"""systemd unit paths with spaces or specifiers (%) need quoting/escaping: refuse them."""


class InstallError(KioskError):
    """The unit cannot be rendered or written."""

    exit_code = 1


def render_unit(prefix: str | Path = DEFAULT_PREFIX, template: Path = UNIT_TEMPLATE) -> str:
    """The unit text with every ``/opt/kiosk`` replaced by ``prefix`` (an absolute path)."""
    prefix_text = str(prefix).rstrip("/") or "/"
    if not _SAFE_PATH.match(prefix_text) or prefix_text == "/":
        raise InstallError(f"install error: prefix {str(prefix)!r} must be an absolute path "
                           "of letters, digits and . _ - + /")
    try:
        text = template.read_text(encoding="utf-8")
    except OSError as error:
        raise InstallError(f"install error: cannot read {template}: {error.strerror}") from None
    return re.sub(rf"{re.escape(str(DEFAULT_PREFIX))}(?=[/\s]|$)", prefix_text, text,
                  flags=re.MULTILINE)


def write_unit(text: str, unit_dir: str | Path = DEFAULT_UNIT_DIR) -> Path:
    """Write the unit atomically into ``unit_dir``; returns its path."""
    target = Path(unit_dir) / UNIT_NAME
    partial = target.with_name(UNIT_NAME + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.chmod(0o644)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InstallError(f"install error: cannot write {target}: {error.strerror} "
                           "(run as root)") from None
    log.info("event=unit_written path=%s", target)
    return target
