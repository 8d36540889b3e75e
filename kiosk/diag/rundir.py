"""The runtime directory (status socket): private by default, and checked before it is trusted.

Why: the old default `/tmp/kiosk` lay in world-writable /tmp. A local user who created it
first could put their own socket there (root's `kiosk status` then showed a fake daemon) or
plant a file that kept the daemon from starting. A directory is trusted only when nobody but
its owner can write to it and its owner is this user or root; or when root made it in a place
only root can write to (systemd's RuntimeDirectory=/run/kiosk, owned by the service user).
The daemon repairs the mode of its own directory and refuses anyone else's; the client
refuses to believe a socket in an untrusted directory.
"""

from __future__ import annotations

import logging
import os
import pwd
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o750


def default_runtime_dir() -> Path:
    """`$XDG_RUNTIME_DIR/kiosk` (per user, 0700, made by logind), else `/run/kiosk` for root
    (what systemd's RuntimeDirectory gives the service), else `/tmp/kiosk-<uid>`, which is
    checked like any other directory before it is used."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_absolute() and Path(xdg).is_dir():
        return Path(xdg) / "kiosk"
    if os.geteuid() == 0:
        return Path("/run/kiosk")
    return Path(f"/tmp/kiosk-{os.geteuid()}")


def _user(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _root_only(directory: Path) -> bool:
    """Only root can create or replace entries in ``directory``."""
    try:
        info = directory.stat()
    except OSError:
        return False
    return info.st_uid == 0 and not info.st_mode & 0o022


def distrust(directory: Path) -> str | None:
    """Why ``directory`` must not hold the status socket, or None when it may."""
    try:
        info = directory.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot inspect {directory}: {error.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return f"{directory} is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} exists and is not a directory"
    if info.st_mode & 0o022:
        return f"{directory} is writable by others (mode {stat.S_IMODE(info.st_mode):04o})"
    if info.st_uid in (0, os.geteuid()) or _root_only(directory.parent):
        return None
    return (f"{directory} belongs to {_user(info.st_uid)}, not to this user or root, in "
            f"{directory.parent}, where anyone can create it")


def ensure_private(directory: Path) -> str | None:
    """Make ``directory`` (0750) or repair its mode if it is ours; the reason to refuse it
    otherwise (the caller raises)."""
    try:
        info = directory.lstat()
    except FileNotFoundError:
        try:
            directory.mkdir(mode=DIR_MODE, parents=True)
        except FileExistsError:  # created by someone else in between: check what is there
            return ensure_private(directory)
        except OSError as error:
            return f"cannot create {directory}: {error.strerror or error}"
        os.chmod(directory, DIR_MODE)  # mkdir's mode is reduced by the umask
        log.info("event=runtime_dir_created path=%s mode=0750", directory)
        return distrust(directory)
    except OSError as error:
        return f"cannot inspect {directory}: {error.strerror or error}"
    ours = info.st_uid == os.geteuid() and stat.S_ISDIR(info.st_mode)
    if ours and info.st_mode & 0o027:
        os.chmod(directory, DIR_MODE)
        log.warning("event=runtime_dir_repaired path=%s mode_was=%04o mode=0750", directory,
                    stat.S_IMODE(info.st_mode))
    return distrust(directory)


def distrust_socket(path: Path) -> str | None:
    """Why the socket file at ``path`` is not the daemon's, or None when it may be."""
    reason = distrust(path.parent)
    if reason:
        return reason
    try:
        info = path.lstat()
        parent = path.parent.lstat()
    except FileNotFoundError:
        return None  # the client reports "not running"
    except OSError as error:
        return f"cannot inspect {path}: {error.strerror}"
    if not stat.S_ISSOCK(info.st_mode):
        return f"{path} is not a socket"
    if info.st_uid not in (0, os.geteuid(), parent.st_uid):
        return f"{path} belongs to {_user(info.st_uid)}, not to the directory's owner"
    return None
