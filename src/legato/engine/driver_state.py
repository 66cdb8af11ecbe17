"""The run driver's in-memory mirror of its run (one entry per instance, one per try in
flight) and the fenced writer that keeps a driver that lost its run from writing; shared by
the driver (engine/driver.py) and its operator actions (engine/driver_operations.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ..store import runs as run_store
from .states import TaskState


def from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class Instance:
    state: TaskState
    try_number: int = 0
    next_try_at: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    error: str | None = None
    error_type: str | None = None


@dataclass
class InFlight:
    try_number: int
    deadline: float | None = None
    cancelled_at: float | None = None


class RunLost(RuntimeError):
    """Another scheduler adopted this run (its owner looked dead): stop driving, write nothing."""


class FencedEngine:
    """The engine, as Batch uses it, whose every transaction first checks (and locks) that
    `owner` still owns the run: nothing is written by a driver that lost its run."""

    def __init__(self, engine: sa.Engine, run_id: str, owner: str) -> None:
        self.engine, self.run_id, self.owner = engine, run_id, owner

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            if not run_store.hold_run(conn, self.run_id, self.owner):
                raise RunLost(f"run {self.run_id} was adopted by another scheduler after "
                              f"this process stopped heartbeating; it stopped driving it")
            yield conn
