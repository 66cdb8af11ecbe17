"""Where replay finds a contract or destination by name, long after the task that used it.

Contracts and destinations register themselves when constructed, with the file that built
them. A dead letter remembers its DAG file and the names; `resolve` imports that file (once
per process) so its module-level definitions register, then looks the name up, preferring an
object defined in that file. A contract built inside a task function cannot be found this
way: the error says to define it at module level.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

_objects: dict[tuple[str, str], list[tuple[str, Any]]] = {}   # (kind, name) -> [(file, obj)]
_loaded: dict[str, float] = {}                                 # file -> mtime when imported
_lock = threading.RLock()


class NotResolvable(LookupError):
    """The contract or destination a dead letter names cannot be found."""


def caller_file(depth: int = 2) -> str:
    """The file of the user code that called into this package (skipping our own frames)."""
    frame = sys._getframe(depth)
    here = str(Path(__file__).parent)
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else "<unknown>"


def register(kind: str, name: str, obj: Any, origin: str) -> None:
    with _lock:
        entries = _objects.setdefault((kind, name), [])
        entries[:] = [(f, o) for f, o in entries if f != origin]
        entries.append((origin, obj))


def _load(fileloc: str) -> None:
    from ..authoring.loader import load_file

    with _lock:
        mtime = Path(fileloc).stat().st_mtime
        if _loaded.get(fileloc) == mtime:
            return
        result = load_file(fileloc)
        if result.errors:
            raise NotResolvable(f"cannot import {fileloc}: {result.errors[0]}")
        _loaded[fileloc] = mtime


def lookup(kind: str, name: str, fileloc: str | None) -> Any | None:
    with _lock:
        entries = _objects.get((kind, name), [])
        if fileloc is not None:
            same = [o for f, o in entries if _same_file(f, fileloc)]
            if same:
                return same[-1]
        return entries[-1][1] if entries else None


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def resolve(kind: str, name: str, fileloc: str | None) -> Any:
    """The `kind` ("contract" or "destination") called `name` that `fileloc` defines, as the
    file is now (it is imported again when it changed since this process last imported it)."""
    if fileloc is not None and Path(fileloc).is_file():
        _load(fileloc)
    found = lookup(kind, name, fileloc)
    if found is None:
        where = f" in {fileloc}" if fileloc else ""
        raise NotResolvable(f"no {kind} named {name!r}{where}; define it at module level in the "
                            f"DAG file (not inside a task) so replay can find it")
    return found
