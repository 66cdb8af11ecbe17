"""Task logs for the web UI: which file, read safely, in pieces, never naming a server path.

The UI follows a running try by asking for the bytes after an offset, so a page opened before
the try's log exists shows "no lines yet" and then every line from the first one (the runner
keeps a young try's lines in memory and writes its file after WRITE_THROUGH_AFTER_S, or at its
end). Errors say what is missing in the run's terms (try 3 of 'load'), not where the file
would be: log paths stay on the server. A read never leaves the logs folder (ids are data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..config import Settings
from ..engine.tasklog import log_path
from ..store import runs as run_store
from ..store import tries as try_store
from ..store.db import open_engine
from ..store.schema import task_instances
from . import queries
from .queries import NotFound

MAX_CHUNK = 512 * 1024                 # bytes per read; a bigger log arrives in several reads
LINE_START = re.compile(r"^\[\d{4}-\d\d-\d\dT[\d:]+Z\] (\w+)\s")


@dataclass(frozen=True)
class LogRef:
    """One try of one task instance, and where its log would be (server side only)."""

    run: run_store.RunRow
    task_id: str
    map_index: int
    try_number: int                       # 0: the task has not started a try yet
    latest: int                           # the instance's latest try number
    state: str
    map_indexes: tuple[int, ...]          # of a mapped task; () otherwise
    path: Path | None                     # None when outside the logs folder or no try yet
    inline: bytes | None = None           # a finished short try's log, kept in its row

    @property
    def label(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass(frozen=True)
class Chunk:
    text: str
    offset: int                           # where `text` starts
    next_offset: int                      # ask for this next
    size: int                             # the file's size now (0: no file yet)
    exists: bool


def _safe_path(settings: Settings, run: run_store.RunRow, task_id: str, map_index: int,
               number: int) -> Path | None:
    path = log_path(settings.logs_dir, run.dag_id, run.run_id, task_id, map_index, number).resolve()
    return path if path.is_relative_to(settings.logs_dir.resolve()) else None


def find_log(settings: Settings, run_id: str, task_id: str, try_number: int | None = None,
             map_index: int = -1) -> LogRef:
    """The log of one try (default: the latest); a mapped task asked for without a map index
    gives its first instance. A try number beyond the latest is NotFound."""
    run_id = queries.resolve_run_id(settings, run_id)
    with open_engine(settings.database_url).connect() as conn:
        run = run_store.get_run(conn, run_id)
        rows = conn.execute(sa.select(task_instances.c.map_index, task_instances.c.try_number,
                                      task_instances.c.state).where(
            task_instances.c.run_id == run_id, task_instances.c.task_id == task_id)).all()
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    found = {r.map_index: r for r in rows}
    mapped = tuple(sorted(i for i in found if i >= 0))
    if map_index == -1 and -1 not in found and mapped:
        map_index = mapped[0]
    row = found.get(map_index)
    if row is None:
        raise NotFound(f"run {run_id!r} has no task {task_id!r}"
                       + ("" if map_index < 0 else f" with map index {map_index}"))
    number = row.try_number if try_number is None else try_number
    if try_number is not None and not 1 <= try_number <= max(row.try_number, 1):
        raise NotFound(f"task {task_id!r} in run {run_id!r} has "
                       + (f"tries 1..{row.try_number}" if row.try_number else "not started a try yet")
                       + f", not {try_number}")
    path = _safe_path(settings, run, task_id, map_index, number) if number >= 1 else None
    if number >= 1 and path is None:
        raise NotFound(f"the log of try {number} of {task_id!r} falls outside the logs folder")
    inline = None
    if number >= 1:
        with open_engine(settings.database_url).connect() as conn:
            kept = try_store.log_of(conn, run.run_id, task_id, map_index, number)
        if kept is not None and kept.text is not None:
            note = f"[{kept.error}; its last lines follow]\n" if kept.error else ""
            inline = (note + kept.text).encode()
    return LogRef(run, task_id, map_index, number, row.try_number, row.state, mapped, path,
                  inline)


def _read(ref: LogRef, offset: int, limit: int) -> tuple[bytes, int] | None:
    """(data from `offset`, total size) of the log, or None while it has none."""
    if ref.inline is not None:
        offset = min(max(offset, 0), len(ref.inline))
        return ref.inline[offset:offset + limit], len(ref.inline)
    if ref.path is None or not ref.path.is_file():
        return None
    with ref.path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(min(max(offset, 0), size))
        return f.read(limit), size


def read_chunk(ref: LogRef, offset: int = 0, limit: int = MAX_CHUNK) -> Chunk:
    """The bytes of the log from `offset` (cut at the last whole line when the read is full)."""
    found = _read(ref, offset, limit)
    if found is None:
        return Chunk("", offset, offset, 0, False)
    data, size = found
    offset = min(max(offset, 0), size)
    if len(data) == limit and b"\n" in data:
        data = data[:data.rfind(b"\n") + 1]
    return Chunk(data.decode("utf-8", errors="replace"), offset, offset + len(data), size, True)


def log_size(ref: LogRef) -> int:
    if ref.inline is not None:
        return len(ref.inline)
    try:
        return ref.path.stat().st_size if ref.path is not None else 0
    except OSError:
        return 0


def traceback_in(text: str) -> str | None:
    """The last Python traceback written in a log (the runner logs one per failed try)."""
    lines = text.splitlines()
    start = max((i for i, line in enumerate(lines) if "Traceback (most recent call last):" in line),
                default=None)
    if start is None:
        return None
    block = [lines[start][lines[start].index("Traceback"):]]
    for line in lines[start + 1:]:
        if LINE_START.match(line):
            break
        block.append(line)
    return "\n".join(block).rstrip() or None


def read_all(ref: LogRef, limit: int = 64 * 1024 * 1024) -> str:
    """The whole log (for a download), NotFound when the try has written none yet."""
    found = _read(ref, 0, limit)
    if found is None:
        raise NotFound(f"try {ref.try_number} of {ref.label!r} has no log yet")
    return found[0].decode("utf-8", errors="replace")
