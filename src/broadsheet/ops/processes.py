"""Which running processes have the installation's files open (Linux's /proc).

The web server keeps its database connection open between requests and the worker keeps Huey's
queue open while it waits for tasks, so an open file is how a running installation shows itself.
Only processes this user may inspect are seen (all of them, for root); elsewhere the answer is
empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class User:
    pid: int
    command: str


def processes_using(paths: list[Path]) -> list[User]:
    """Processes other than this one with any of ``paths`` open."""
    wanted = {str(p.resolve()) for p in paths}
    found: list[User] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        if _has_open(entry, wanted):
            found.append(User(int(entry.name), _command(entry)))
    return sorted(found, key=lambda user: user.pid)


def _has_open(process: Path, wanted: set[str]) -> bool:
    try:
        for fd in (process / "fd").iterdir():
            try:
                if os.readlink(fd) in wanted:
                    return True
            except OSError:
                continue
    except OSError:  # gone, or not ours to look at
        return False
    return False


def _command(process: Path) -> str:
    try:
        raw = (process / "cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:120]
