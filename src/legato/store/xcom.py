"""Results and pushed values (XCom rows). The bytes live in results.py's encoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from .results import StoredValue
from .schema import xcom


@dataclass(frozen=True, slots=True)
class XComRow:
    run_id: str
    task_id: str
    map_index: int
    key: str
    value: StoredValue


def write(conn: sa.Connection, rows: Sequence[XComRow]) -> None:
    """Insert the values of successful tries (only a success writes, and only once)."""
    if not rows:
        return
    conn.execute(xcom.insert(), [
        {"run_id": r.run_id, "task_id": r.task_id, "map_index": r.map_index, "key": r.key,
         "value_json": r.value.inline, "path": r.value.path, "size": r.value.size}
        for r in rows])


def read(conn: sa.Connection, run_id: str, task_id: str,
         key: str) -> list[tuple[int, str | None, str | None]]:
    """(map_index, inline JSON, path) for every instance of `task_id`, by map index."""
    q = (sa.select(xcom.c.map_index, xcom.c.value_json, xcom.c.path)
         .where(xcom.c.run_id == run_id, xcom.c.task_id == task_id, xcom.c.key == key)
         .order_by(xcom.c.map_index))
    return [(r.map_index, r.value_json, r.path) for r in conn.execute(q)]


def delete_of(conn: sa.Connection, run_id: str, task_ids: Sequence[str]) -> None:
    """Drop every value of these tasks in the run (they were cleared and will run again)."""
    if task_ids:
        conn.execute(xcom.delete().where(xcom.c.run_id == run_id,
                                         xcom.c.task_id.in_(list(task_ids))))
