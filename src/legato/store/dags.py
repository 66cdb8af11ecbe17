"""The dags table: the latest spec of each DAG that has been run or scheduled."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from . import dialect
from .datasets import sync_dag as sync_datasets
from .schema import dags


def upsert_dag(conn: sa.Connection, dag_id: str, fileloc: str, spec_json: str,
               now: datetime, *, paused: bool = False) -> None:
    """Record a DAG's current spec; `paused` is its state if this creates it (a DAG seen
    before keeps the pause state its operators gave it)."""
    query = sa.select(dags.c.spec_json, dags.c.fileloc).where(dags.c.dag_id == dag_id)
    existing = conn.execute(query).first()
    if existing is None:
        # two schedulers seeing a new DAG file at once must not fail on the primary key
        values = {"dag_id": dag_id, "fileloc": fileloc, "spec_json": spec_json,
                  "is_paused": paused, "updated_at": now}
        if dialect.insert_if_absent(conn, dags, values, ["dag_id"], dags.c.dag_id) is not None:
            sync_datasets(conn, dag_id, spec_json, now)      # catalog, producers and consumers
            return
        existing = conn.execute(query).one()                 # another writer inserted it
    if existing.spec_json != spec_json or existing.fileloc != fileloc:
        conn.execute(dags.update().where(dags.c.dag_id == dag_id)
                     .values(fileloc=fileloc, spec_json=spec_json, updated_at=now))
    if existing.spec_json != spec_json:
        sync_datasets(conn, dag_id, spec_json, now)      # catalog, producers and consumers


def set_paused(conn: sa.Connection, dag_id: str, paused: bool) -> bool:
    """Pause or unpause; False if the DAG is not in the store."""
    done = conn.execute(dags.update().where(dags.c.dag_id == dag_id).values(is_paused=paused))
    return done.rowcount == 1


def paused_ids(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.select(dags.c.dag_id).where(dags.c.is_paused.is_(True))).scalars())


def list_dags(conn: sa.Connection) -> list[tuple[str, str, bool]]:
    """(dag_id, fileloc, is_paused) for every stored DAG."""
    q = sa.select(dags.c.dag_id, dags.c.fileloc, dags.c.is_paused).order_by(dags.c.dag_id)
    return [(r.dag_id, r.fileloc, bool(r.is_paused)) for r in conn.execute(q)]


def stored_spec(conn: sa.Connection, dag_id: str) -> tuple[str, str] | None:
    """(fileloc, spec_json) of a DAG as last recorded, or None."""
    row = conn.execute(sa.select(dags.c.fileloc, dags.c.spec_json)
                       .where(dags.c.dag_id == dag_id)).first()
    return None if row is None else (row.fileloc, row.spec_json)


def is_paused(conn: sa.Connection, dag_id: str) -> bool:
    row = conn.execute(sa.select(dags.c.is_paused).where(dags.c.dag_id == dag_id)).first()
    return bool(row and row.is_paused)
