"""The incident store, the in-transaction hook and the outbox on SQLite and PostgreSQL
(PostgreSQL: a database per test, dropped after; see the `backend` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from legato import DAG, task
from legato.config import load_settings
from legato.engine.bus import TaskFinished
from legato.incidents import Webhook
from legato.incidents.dispatcher import Dispatcher
from legato.services.incidents import list_incidents
from legato.store import incidents as store
from legato.store.db import open_engine

from .helpers import Driver, Recorder, serve


def test_open_occurrence_resolve_and_delivery(backend: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rec = serve(Recorder())
    try:
        with DAG(f"inc_{backend}", incidents=[Webhook(rec.url + "/h")]) as dag:
            @task
            def step(ctx):
                if ctx.var("mode") == "fail":
                    raise KeyError("missing column")
            step()
        monkeypatch.setenv("LEGATO_VAR_MODE", "fail")
        dag.run()
        dag.run()
        monkeypatch.setenv("LEGATO_VAR_MODE", "ok")
        dag.run()
        assert [r.json["event"] for r in rec.accepted] == [
            "incident.opened", "incident.updated", "incident.resolved"]
        (inc,) = list_incidents(load_settings())
        assert inc.state == "resolved" and inc.occurrences == 2
    finally:
        rec.server.shutdown()


def test_one_open_incident_per_fingerprint(backend: str) -> None:
    engine = open_engine(load_settings().database_url)
    now = datetime.now(UTC)
    values = {"uid": "u", "fingerprint": "f" * 32, "kind": "task_failure", "severity": "error",
              "dag_id": "d", "task_id": "t", "map_index": -1, "error_type": None, "error": None,
              "run_id": "r", "logical_date": None, "try_number": 1, "tries": 1, "occurrences": 1,
              "sinks": [], "opened_at": now, "updated_at": now}
    with engine.begin() as conn:
        first = store.insert_open(conn, values)
    with engine.begin() as conn:
        assert store.insert_open(conn, {**values, "uid": "v"}) is None
        assert store.resolve(conn, first, now)
        assert store.insert_open(conn, {**values, "uid": "w"}) not in (None, first)


def test_a_failing_in_transaction_subscriber_never_loses_the_state_change(backend: str) -> None:
    seen: list[str] = []

    def broken(conn: sa.Connection, events: list[TaskFinished]) -> None:
        seen.extend(e.task_id for e in events)
        conn.execute(sa.text("SELECT * FROM no_such_table"))

    with DAG(f"hook_{backend}") as dag:
        @task
        def fine():
            return 1
        fine()
    from legato.engine.bus import Bus

    original = Bus.__init__

    def with_broken(self: Bus) -> None:
        original(self)
        self.subscribe_in_tx(TaskFinished, broken)

    Bus.__init__ = with_broken            # type: ignore[method-assign]
    try:
        result = dag.run()
    finally:
        Bus.__init__ = original           # type: ignore[method-assign]
    assert seen == ["fine"] and result.state == "success" and result["fine"].state == "success"


def test_dispatcher_on_the_backend(backend: str) -> None:
    rec = serve(Recorder())
    try:
        drv = Driver([Webhook(rec.url + "/h")])
        drv.task("failed")
        drv.task("success")
        assert Dispatcher(drv.settings).drain(10)
        assert [r.json["event"] for r in rec.accepted] == ["incident.opened", "incident.resolved"]
    finally:
        rec.server.shutdown()
