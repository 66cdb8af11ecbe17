"""Task results and pushed values: JSON, inline in the database when small, on disk when large.

Values over `INLINE_LIMIT` (64 KiB of JSON) are written to `$LEGATO_HOME/results/` and the
database keeps only the relative path, so a 10 MB result never bloats the metadata tables.
The file is written atomically (legato.atomicfile) without an fsync: like a SQLite commit in
WAL mode with synchronous=NORMAL, it survives the death of the process, not a power loss.
Nothing is pickled. A value JSON cannot express fails its task with an error naming the task
and the offending type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomicfile import write_atomic

INLINE_LIMIT = 64 * 1024


class ResultNotSerializable(TypeError):
    """A task returned (or pushed) something JSON cannot hold."""


@dataclass(frozen=True, slots=True)
class StoredValue:
    """An encoded value: `inline` JSON text, or a `path` under the results folder."""

    inline: str | None
    path: str | None
    size: int
    length: int | None = None       # len() of a list result, for mapping over it


def _offending_type(value: Any) -> str:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str | int | float | bool) and k is not None:
                return type(k).__name__
            found = _offending_type(v)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for v in value:
            found = _offending_type(v)
            if found:
                return found
    elif not isinstance(value, str | int | float | bool) and value is not None:
        return type(value).__name__
    return ""


def encode(value: Any, *, what: str, results_dir: Path, relpath: str) -> StoredValue:
    """Serialize `value`; `what` names it in errors ("result of task 'load'")."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        kind = _offending_type(value) or type(value).__name__
        raise ResultNotSerializable(
            f"{what} is not JSON-serializable: contains a value of type {kind!r} ({exc})"
        ) from None
    length = len(value) if isinstance(value, list | tuple) else None
    size = len(text)
    if size <= INLINE_LIMIT:
        return StoredValue(inline=text, path=None, size=size, length=length)
    write_atomic(results_dir / relpath, text, fsync=False)
    return StoredValue(inline=None, path=relpath, size=size, length=length)


def decode(inline: str | None, path: str | None, results_dir: Path) -> Any:
    if inline is not None:
        return json.loads(inline)
    if path is None:
        return None
    target = (results_dir / path).resolve()
    if not target.is_relative_to(results_dir.resolve()):
        raise ValueError(f"stored result path {path!r} points outside the results folder")
    return json.loads(target.read_text(encoding="utf-8"))
