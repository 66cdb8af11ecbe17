"""The events pass: a pending event becomes exactly one run, even when the pass runs twice
or two schedulers race on one database; dataset schedules run once all their datasets were
updated; ctx.event reaches the task (thread and process executors); paused DAGs wait."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from events_support import Polls, result_of, runs_of, write_dag

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.engine.event_runs import create_event_runs
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.services import events as event_service
from legato.services import operate
from legato.store import dags as dag_store
from legato.store import events as event_store
from legato.store.db import open_engine
from legato.store.schema import dataset_events


def _engine() -> sa.Engine:
    return open_engine(load_settings().database_url)


def _receive(dag_id: str, key: str, payload: object) -> bool:
    with _engine().begin() as conn:
        return event_store.receive(conn, dag_id, "queue", key, payload, datetime.now(UTC))[1]


def _dags(folder: Path) -> dict:
    return {d.dag_id: d for d in load_folder(folder).dags}


def test_a_pending_event_becomes_one_run_however_often_the_pass_runs(
        backend: str, dags_folder: Path) -> None:
    write_dag(dags_folder, "onq", "events.Queue('orders')")
    dags = _dags(dags_folder)
    assert _receive("onq", "m1", {"order": 1}) is True
    assert _receive("onq", "m1", {"order": 1}) is False      # a redelivery: the same row
    now = datetime.now(UTC)
    assert create_event_runs(_engine(), dags, now) == 1
    assert create_event_runs(_engine(), dags, now) == 0
    runs = runs_of("onq")
    assert len(runs) == 1 and runs[0].run_type == "event" and runs[0].event == {"order": 1}
    [row] = event_service.list_events(load_settings(), dag_id="onq")
    assert row.run_id == runs[0].run_id and row.consumed_at is not None


def test_two_schedulers_racing_never_make_two_runs_of_one_event(
        backend: str, dags_folder: Path) -> None:
    write_dag(dags_folder, "race", "events.Queue('race')")
    for i in range(20):
        _receive("race", f"m{i}", {"i": i})
    with _engine().begin() as conn:           # as the schedulers' DAG refresh does first
        for dag in _dags(dags_folder).values():
            dag_store.upsert_dag(conn, dag.dag_id, dag.fileloc, dag.spec_json(), datetime.now(UTC))
    start = threading.Barrier(4)
    created: list[int] = []

    def one_scheduler() -> None:
        dags = _dags(dags_folder)
        start.wait()
        created.append(create_event_runs(_engine(), dags, datetime.now(UTC)))

    threads = [threading.Thread(target=one_scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    runs = runs_of("race")
    assert sum(created) == 20 and len(runs) == 20
    assert sorted(r.event["i"] for r in runs) == list(range(20))


def test_a_failed_run_insert_leaves_the_event_pending(dags_folder: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim and the run commit together: a crash in between loses nothing."""
    from legato.engine import event_runs

    write_dag(dags_folder, "crash", "events.Queue('crash')")
    _receive("crash", "m1", {"x": 1})
    dags = _dags(dags_folder)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed mid-transaction")

    with monkeypatch.context() as patch:
        patch.setattr(event_runs.event_store, "claim", boom)
        with pytest.raises(RuntimeError):
            create_event_runs(_engine(), dags, datetime.now(UTC))
    assert runs_of("crash") == []
    assert create_event_runs(_engine(), dags, datetime.now(UTC)) == 1


def _dataset_update(uri: str, producer: str = "producer") -> None:
    with _engine().begin() as conn:
        conn.execute(dataset_events.insert().values(
            uri=uri, dag_id=producer, task_id="load", run_id="r1", map_index=-1,
            extra_json=json.dumps({"rows": 3}), created_at=datetime.now(UTC)))


def test_a_dataset_schedule_runs_once_every_dataset_was_updated(backend: str,
                                                                dags_folder: Path) -> None:
    write_dag(dags_folder, "consumer", "[Dataset('s3://a'), Dataset('s3://b')]")
    dags = _dags(dags_folder)
    now = datetime.now(UTC)
    _dataset_update("s3://a")
    _dataset_update("s3://a")
    _dataset_update("s3://other")
    assert create_event_runs(_engine(), dags, now) == 0          # only a so far
    _dataset_update("s3://b")
    assert create_event_runs(_engine(), dags, now) == 1
    assert create_event_runs(_engine(), dags, now) == 0          # consumed: nothing twice
    [run] = runs_of("consumer")
    assert run.run_type == "dataset"
    assert [e["uri"] for e in run.event] == ["s3://a", "s3://a", "s3://b"]
    _dataset_update("s3://b")
    assert create_event_runs(_engine(), dags, now) == 0          # a not updated since
    _dataset_update("s3://a")
    assert create_event_runs(_engine(), dags, now) == 1
    assert [e["uri"] for e in runs_of("consumer")[-1].event] == ["s3://b", "s3://a"]


def test_ctx_event_reaches_a_task_in_a_worker_process(dags_folder: Path, polls: Polls) -> None:
    write_dag(dags_folder, "proc", "events.Queue('proc')")
    polls()                                                      # the listener sees the DAG
    event_service.publish(load_settings(), "proc", {"po": "PO-1", "lines": [1, 2]})
    assert polls() == 1
    executor = make_executor("local:process", 1)
    try:
        Scheduler(load_settings(), executor, poll_s=0.05).run_until_idle(timeout_s=60)
    finally:
        executor.shutdown()
    [run] = runs_of("proc")
    assert run.state == "success"
    assert result_of(run.run_id) == {"po": "PO-1", "lines": [1, 2]}


def test_a_paused_dag_keeps_its_events_until_unpaused(dags_folder: Path) -> None:
    write_dag(dags_folder, "held", "events.Queue('held')")
    dags = _dags(dags_folder)
    _receive("held", "m1", {})
    operate.set_paused(load_settings(), "held", True)
    assert create_event_runs(_engine(), dags, datetime.now(UTC)) == 0
    operate.set_paused(load_settings(), "held", False)
    assert create_event_runs(_engine(), dags, datetime.now(UTC)) == 1
