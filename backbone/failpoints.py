"""Failpoints: crash or stall a process at a named point, to prove what survives a crash there.

`SP_FAILPOINTS="consumer.after-commit=kill,relay.after-xadd=kill-after:3"` is read once, when the
process starts; a point it does not name costs one dict lookup. Actions:

- `kill`: SIGKILL this process at once: no cleanup, no flush, like the OOM killer or a power cut;
- `kill-after:N`: SIGKILL on the Nth time this process passes the point;
- `sleep:S`: wait S seconds there (to widen a race).

With `SP_FAILPOINTS_DIR` set, each point fires at most once among all the processes that share the
directory (a Celery pool's next child, a process restarted with the same environment), and leaves
a file there named after the point, holding the pid of the process that fired it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ENV = "SP_FAILPOINTS"
DIR_ENV = "SP_FAILPOINTS_DIR"


@dataclass
class Action:
    kind: str
    argument: float = 0
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def due(self) -> bool:
        """Count a pass; whether the action fires on this one."""
        with self.lock:
            self.hits += 1
            return self.kind != "kill-after" or self.hits == self.argument


def parse(spec: str) -> dict[str, Action]:
    """`name=action,...` as a table of actions; a malformed spec fails loudly (a fault test must not pass by typo)."""
    points = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, action = item.partition("=")
        kind, _, argument = action.partition(":")
        if not name or kind not in ("kill", "kill-after", "sleep") or (kind != "kill") != bool(argument):
            raise ValueError(f"{ENV}: cannot read {item!r} (name=kill | name=kill-after:N | name=sleep:S)")
        points[name] = Action(kind, float(argument) if argument else 0)
    return points


_POINTS = parse(os.environ.get(ENV, ""))


def failpoint(name: str) -> None:
    """Act here if the environment named this point; otherwise do nothing."""
    action = _POINTS.get(name)
    if action is None or not action.due() or not _claim(name):
        return
    os.write(2, f"failpoint {name}: {action.kind} (pid {os.getpid()})\n".encode())
    if action.kind == "sleep":
        time.sleep(action.argument)
    else:
        os.kill(os.getpid(), signal.SIGKILL)


def _claim(name: str) -> bool:
    # Once among every process sharing the directory: whoever creates the file fires.
    directory = os.environ.get(DIR_ENV)
    if not directory:
        return True
    try:
        fd = os.open(Path(directory) / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as marker:
        marker.write(str(os.getpid()))
    return True


def fired(directory: Path, name: str) -> int | None:
    """The pid of the process that fired `name` (with SP_FAILPOINTS_DIR=directory), or None."""
    path = Path(directory) / name
    try:
        return int(path.read_text() or 0) or None
    except FileNotFoundError:
        return None
