"""Dead letters: records a contract refused, with every reason, waiting to be fixed or replayed.

Status moves pending -> replaying -> replayed (or pending -> discarded); a later try of the
same task supersedes the pending letters of earlier tries (the data was validated again).
Each transition is a conditional UPDATE on the expected status, so two replays racing on one
letter cannot both move it. Inserts are idempotent on `key` (a hash of run, task, map index,
try, the nth validate() call and the record index): writing the same letters twice stores
them once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import dialect
from .schema import dead_letters

STATUSES = ("pending", "replaying", "replayed", "discarded", "superseded")


@dataclass(frozen=True)
class DeadLetter:
    id: int
    key: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int
    try_number: int
    record_index: int
    fileloc: str | None
    source: str | None
    contract: str
    destination: str | None
    record: Any
    errors: list[dict[str, Any]]
    status: str
    created_at: datetime
    updated_at: datetime
    replayed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The documented entry shape, plus the attribution fields after it."""
        return {
            "id": self.id, "dag_id": self.dag_id, "task_id": self.task_id, "run_id": self.run_id,
            "contract": self.contract, "record": self.record, "errors": self.errors,
            "status": self.status, "created_at": self.created_at.isoformat(),
            "map_index": self.map_index, "try_number": self.try_number,
            "record_index": self.record_index, "source": self.source,
            "destination": self.destination, "updated_at": self.updated_at.isoformat(),
            "replayed_at": self.replayed_at.isoformat() if self.replayed_at else None,
        }


def _row(r: Any) -> DeadLetter:
    return DeadLetter(
        id=r.id, key=r.key, dag_id=r.dag_id, task_id=r.task_id, run_id=r.run_id,
        map_index=r.map_index, try_number=r.try_number, record_index=r.record_index,
        fileloc=r.fileloc, source=r.source, contract=r.contract, destination=r.destination,
        record=json.loads(r.record_json), errors=json.loads(r.errors_json), status=r.status,
        created_at=r.created_at, updated_at=r.updated_at, replayed_at=r.replayed_at)


def insert_many(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert letters (dicts of column values, `record`/`errors` as Python values), once each."""
    if not rows:
        return
    values = []
    for row in rows:
        v = dict(row)
        v["record_json"] = json.dumps(v.pop("record"), default=str)
        v["errors_json"] = json.dumps(v.pop("errors"), default=str)
        v.setdefault("status", "pending")
        v.setdefault("updated_at", v["created_at"])
        values.append(v)
    conn.execute(dialect.insert_ignoring(conn, dead_letters, ["key"]), values)   # once each


def supersede_earlier_tries(conn: sa.Connection, *, run_id: str, task_id: str, map_index: int,
                            call_seq: int, try_number: int, at: datetime) -> int:
    """Pending letters of earlier tries of this validate() call no longer stand: the task
    validated its data again. Returns how many were superseded."""
    c = dead_letters.c
    return conn.execute(sa.update(dead_letters).where(
        c.run_id == run_id, c.task_id == task_id, c.map_index == map_index,
        c.call_seq == call_seq, c.try_number < try_number, c.status == "pending",
    ).values(status="superseded", updated_at=at)).rowcount


def get(conn: sa.Connection, letter_id: int) -> DeadLetter | None:
    r = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == letter_id)).first()
    return None if r is None else _row(r)


def get_many(conn: sa.Connection, ids: Sequence[int]) -> list[DeadLetter]:
    q = sa.select(dead_letters).where(dead_letters.c.id.in_(list(ids))).order_by(dead_letters.c.id)
    return [_row(r) for r in conn.execute(q)]


def query(conn: sa.Connection, *, dag_id: str | None = None, status: str | None = None,
          task_id: str | None = None, run_id: str | None = None, limit: int | None = 1000,
          offset: int = 0) -> list[DeadLetter]:
    """Letters matching every filter given, oldest first."""
    c = dead_letters.c
    q = sa.select(dead_letters).order_by(c.id)
    for column, value in ((c.dag_id, dag_id), (c.status, status), (c.task_id, task_id),
                          (c.run_id, run_id)):
        if value is not None:
            q = q.where(column == value)
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return [_row(r) for r in conn.execute(q)]


def transition(conn: sa.Connection, letter_id: int, from_status: Sequence[str], to_status: str,
               at: datetime, **values: Any) -> bool:
    """Move one letter to `to_status` if it is in one of `from_status`; True if it moved."""
    if "record" in values:
        values["record_json"] = json.dumps(values.pop("record"), default=str)
    if "errors" in values:
        values["errors_json"] = json.dumps(values.pop("errors"), default=str)
    c = dead_letters.c
    result = conn.execute(sa.update(dead_letters)
                          .where(c.id == letter_id, c.status.in_(list(from_status)))
                          .values(status=to_status, updated_at=at, **values))
    return result.rowcount == 1


def counts_by_status(conn: sa.Connection, dag_id: str | None = None) -> dict[str, int]:
    c = dead_letters.c
    q = sa.select(c.status, sa.func.count()).group_by(c.status)
    if dag_id is not None:
        q = q.where(c.dag_id == dag_id)
    return dict(conn.execute(q).all())   # a Result has keys(): dict(result) would misread it
