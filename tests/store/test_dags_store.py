"""The dags table under two writers: schedulers that see a new DAG file at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from legato.config import load_settings
from legato.store import dags as dag_store
from legato.store.db import open_engine
from legato.store.schema import dags


def test_two_writers_recording_one_new_dag_both_succeed(backend: str) -> None:
    engine = open_engine(load_settings().database_url)
    barrier, errors = threading.Barrier(4), []
    spec = '{"dag_id": "fresh", "tasks": []}'

    def record(n: int) -> None:
        try:
            with engine.begin() as conn:
                barrier.wait(timeout=10)
                dag_store.upsert_dag(conn, "fresh", f"/dags/fresh_{n % 2}.py", spec,
                                     datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with engine.connect() as conn:
        rows = conn.execute(sa.select(dags.c.dag_id, dags.c.fileloc, dags.c.spec_json)).all()
    assert len(rows) == 1 and rows[0].dag_id == "fresh" and rows[0].spec_json == spec
    assert rows[0].fileloc in {"/dags/fresh_0.py", "/dags/fresh_1.py"}
