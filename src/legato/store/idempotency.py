"""Idempotency keys of triggers: (dag_id, key) -> the run the first trigger created.

A trigger first *claims* its key (an insert with `run_id` NULL); the primary key on
(dag_id, key) makes a second claim fail with IntegrityError, on SQLite and PostgreSQL alike,
so of two concurrent triggers with one key exactly one creates a run. The winner then records
its run id (`settle`), or gives the key back (`release`) if creating the run failed.
Each function takes the connection; a claim should be its own transaction, so that a losing
insert does not abort other work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .schema import idempotency_keys

MAX_KEY_LENGTH = 250


@dataclass(frozen=True)
class KeyRow:
    dag_id: str
    key: str
    run_id: str | None            # None while the claiming trigger is still creating its run
    created_at: datetime


def claim(conn: sa.Connection, dag_id: str, key: str, now: datetime) -> None:
    """Insert an unsettled claim; raises sqlalchemy.exc.IntegrityError if the key is taken."""
    conn.execute(sa.insert(idempotency_keys).values(dag_id=dag_id, key=key, run_id=None,
                                                    created_at=now))


def settle(conn: sa.Connection, dag_id: str, key: str, run_id: str) -> None:
    conn.execute(sa.update(idempotency_keys)
                 .where(idempotency_keys.c.dag_id == dag_id, idempotency_keys.c.key == key)
                 .values(run_id=run_id))


def release(conn: sa.Connection, dag_id: str, key: str, claimed_at: datetime | None = None) -> None:
    """Drop an unsettled claim (its trigger failed, or died); a settled key is never dropped.
    With `claimed_at`, only the claim made at that time (not a newer one that replaced it)."""
    q = sa.delete(idempotency_keys).where(
        idempotency_keys.c.dag_id == dag_id, idempotency_keys.c.key == key,
        idempotency_keys.c.run_id.is_(None))
    if claimed_at is not None:
        q = q.where(idempotency_keys.c.created_at == claimed_at)
    conn.execute(q)


def get(conn: sa.Connection, dag_id: str, key: str) -> KeyRow | None:
    r = conn.execute(sa.select(idempotency_keys).where(
        idempotency_keys.c.dag_id == dag_id, idempotency_keys.c.key == key)).first()
    return None if r is None else KeyRow(r.dag_id, r.key, r.run_id, r.created_at)
