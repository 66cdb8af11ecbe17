"""The catalog follows DAG syncs, and dataset_events rows are written for successful tries
only, inside the commit that records the success (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from lhelpers import CONSUMER, PRODUCER, load, record, write

from legato.config import load_settings
from legato.engine.bus import TaskFinished
from legato.lineage.listener import LineageListener
from legato.store import datasets as store
from legato.store.db import open_engine
from legato.store.schema import dataset_events, task_tries

SALES = "duckdb://warehouse/sales.daily"


def _engine() -> sa.Engine:
    return open_engine(load_settings().database_url)


def test_catalog_follows_dag_sync(backend: str, tmp_path: Path) -> None:
    record(load(write(tmp_path, "producer", PRODUCER)))
    record(load(write(tmp_path, "consumer", CONSUMER)))       # a bare Dataset(uri) of SALES
    with _engine().connect() as conn:
        entry = store.entry(conn, SALES)
        assert entry is not None
        assert (entry.owner, entry.domain, entry.freshness_s, entry.declared_by) == (
            "ana", "sales", 24 * 3600, "sales_producer")
        assert entry.schema["required"] == ["day"]
        assert {(r.dag_id, r.task_id, r.role) for r in store.refs(conn, SALES)} == {
            ("sales_producer", "load", "outlet"), ("sales_report", "report", "inlet")}
    # the producer's file is edited: a new SLO, and its task no longer reads the raw file
    edited = write(tmp_path, "producer", PRODUCER.replace("inlets=[RAW], ", ""), FRESH_HOURS=2)
    record(load(edited))
    with _engine().connect() as conn:
        assert store.entry(conn, SALES).freshness_s == 2 * 3600
        assert store.refs(conn, "s3://raw/orders.csv") == []          # no reader any more
        assert store.entry(conn, "s3://raw/orders.csv") is not None   # the entry stays


def _events(conn: sa.Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(dataset_events).order_by(dataset_events.c.id)))


def test_updates_only_for_the_successful_try(backend: str, tmp_path: Path) -> None:
    flaky = "if ctx.try_number == 1: raise RuntimeError('flaky')"
    run = load(write(tmp_path, "producer", PRODUCER, RETRIES=1, FAIL_BLOCK=flaky)).run()
    assert run.state == "success"
    with _engine().connect() as conn:
        rows = _events(conn)
        assert [(r.uri, r.dag_id, r.task_id, r.run_id, r.map_index) for r in rows] == [
            (SALES, "sales_producer", "load", run.run_id, -1)]
        assert json.loads(rows[0].extra_json) == {"try_number": 2}     # not the failed try
        ok = conn.execute(sa.select(task_tries.c.try_number).where(
            task_tries.c.run_id == run.run_id, task_tries.c.state == "success")).scalar()
        assert ok == 2

    broken = "raise RuntimeError('always')"
    failed = load(write(tmp_path, "producer", PRODUCER, RETRIES=1, FAIL_BLOCK=broken)).run()
    assert failed.state == "failed"
    with _engine().connect() as conn:
        assert len(_events(conn)) == 1                  # two failed tries wrote nothing


def test_updates_commit_or_roll_back_with_the_state_change(backend: str, tmp_path: Path) -> None:
    record(load(write(tmp_path, "producer", PRODUCER)))
    listener = LineageListener(None)
    now = datetime.now(UTC)
    ok = TaskFinished("sales_producer", "r1", "load", -1, 1, "success", None, None, now, now)
    failed = TaskFinished("sales_producer", "r2", "load", -1, 1, "failed", "x", "E", now, now)
    engine = _engine()
    with pytest.raises(RuntimeError), engine.begin() as conn:
        listener.on_tasks(conn, [ok, failed])
        assert len(_events(conn)) == 1                  # written through the engine's connection
        raise RuntimeError("the engine's commit fails")
    with engine.connect() as conn:
        assert _events(conn) == []                      # ...and gone with its transaction
    with engine.begin() as conn:
        listener.on_tasks(conn, [ok, failed])
    with engine.connect() as conn:
        assert [r.run_id for r in _events(conn)] == ["r1"]
        assert store.last_updates(conn)[SALES].run_id == "r1"
