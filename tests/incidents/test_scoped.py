"""Incidents of runs on one input (issue 10 item 26): in an event-driven DAG the ticket for a
bad file used to close itself when the next, good, file succeeded. Now the input (event key,
dataset updates, backfilled date) is part of the fingerprint and only a success on that input,
or an operator, resolves it; scheduled and manual runs keep "the next success resolves"."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.engine.bus import Bus, TaskFinished
from legato.engine.event_runs import create_event_runs
from legato.engine.executors import make_executor
from legato.engine.runs_create import create_run
from legato.engine.scheduler import Scheduler
from legato.incidents import lifecycle as lc
from legato.incidents.listener import resolve_by_hand
from legato.services.listeners import attach_all
from legato.store import events as event_store
from legato.store import incidents as store
from legato.store import outbox
from legato.store.db import open_engine

from .helpers import Driver, Recorder, serve


@pytest.fixture()
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    monkeypatch.setenv("LEGATO_DAGS_PAUSED_AT_CREATION", "false")
    (folder / "po_files.py").write_text(textwrap.dedent("""
        from legato import DAG, events, task
        with DAG("po_files", schedule=events.Queue("po_files")) as dag:
            @task
            def ingest(ctx):
                if ctx.event["bad"]:
                    raise ValueError(f"{ctx.event['file']}: line 3 has no total")
                return ctx.event["file"]
            ingest()
    """))
    return folder


def _engine() -> sa.Engine:
    return open_engine(load_settings().database_url)


def _receive(key: str, bad: bool) -> None:
    with _engine().begin() as conn:
        event_store.receive(conn, "po_files", "queue", key, {"file": key, "bad": bad},
                            datetime.now(UTC))


def _drain(dags_folder: Path) -> None:
    """The scheduler, with the incidents listener as `legato scheduler` has it, runs whatever
    events are pending."""
    settings = load_settings()
    bus = Bus()
    attach_all(bus, settings)
    executor = make_executor("local")
    try:
        Scheduler(settings, executor, bus=bus, poll_s=0.05).run_until_idle(timeout_s=60)
    finally:
        executor.shutdown()


def _open() -> list[store.IncidentRow]:
    with _engine().connect() as conn:
        return [i for i in store.list_incidents(conn, dag_id="po_files") if i.state == "open"]


def test_a_good_file_does_not_resolve_the_bad_files_incident(dags_folder: Path) -> None:
    _receive("incoming/a.csv", bad=True)
    _drain(dags_folder)
    [bad] = _open()
    _receive("incoming/b.csv", bad=False)        # the next file is fine
    _drain(dags_folder)
    assert [i.id for i in _open()] == [bad.id]    # closed itself here before the fix
    assert bad.fingerprint != lc.fingerprint("po_files", "ingest", "task_failure", "ValueError")
    _receive("incoming/c.csv", bad=True)         # another bad file: its own incident
    _drain(dags_folder)
    assert len(_open()) == 2
    assert resolve_by_hand(load_settings(), bad.id, "ops@example.com", "file re-sent fixed")
    assert not resolve_by_hand(load_settings(), bad.id, "ops@example.com")      # once
    assert [i.id for i in _open()] != [bad.id] and len(_open()) == 1


def _event_runs(folder: Path, keys: list[str]) -> dict[str, str]:
    for key in keys:
        _receive(key, bad=False)
    dags = {d.dag_id: d for d in load_folder(folder).dags}
    create_event_runs(_engine(), dags, datetime.now(UTC))
    with _engine().connect() as conn:
        rows = conn.execute(sa.text("SELECT key, run_id FROM received_events")).all()
    return dict(rows)


def _finished(run_id: str, state: str, try_number: int = 1) -> TaskFinished:
    failed = state != "success"
    return TaskFinished("po_files", run_id, "ingest", -1, try_number, state,
                        "bad total" if failed else None, "ValueError" if failed else None,
                        datetime.now(UTC))


def _record(driver: Driver, ev: TaskFinished) -> None:
    """What the driver commits: the try row, then the listener in the same transaction."""
    from legato.store.schema import task_tries

    with driver.engine.begin() as conn:
        conn.execute(task_tries.insert().values(
            run_id=ev.run_id, task_id=ev.task_id, map_index=-1, try_number=ev.try_number,
            state=ev.state, start_date=ev.at, end_date=ev.at, error=ev.error,
            error_type=ev.error_type, log_path=None))
        driver.bus.publish_in_tx(conn, [ev])


def test_only_a_success_on_the_same_input_resolves(dags_folder: Path) -> None:
    runs = _event_runs(dags_folder, ["a.csv", "b.csv"])
    driver = Driver([])
    _record(driver, _finished(runs["a.csv"], "failed"))
    [inc] = _open()
    _record(driver, _finished(runs["b.csv"], "up_for_retry"))     # no comment on a.csv's
    _record(driver, _finished(runs["b.csv"], "success", 2))
    with driver.engine.begin() as conn:
        assert driver.listener.reconcile(conn) == 0              # nor by the catch-up pass
    with driver.engine.connect() as conn:
        assert [e.reason for e in store.events_of(conn, inc.id)] == ["opened"]
    assert [i.id for i in _open()] == [inc.id]
    _record(driver, _finished(runs["a.csv"], "success", 2))      # a.csv again, now good
    assert _open() == []


def test_the_catch_up_pass_finds_a_success_on_the_same_input(dags_folder: Path) -> None:
    """reconcile() resolves what a stale cache missed, skipping successes on other inputs."""
    runs = _event_runs(dags_folder, ["a.csv", "b.csv"])
    driver = Driver([])
    _record(driver, _finished(runs["a.csv"], "failed"))
    later = Driver([])                      # another process, blind to the incident
    later.listener._open["po_files"] = (1e18, set())
    _record(later, _finished(runs["b.csv"], "success"))
    _record(later, _finished(runs["a.csv"], "success", 2))
    assert len(_open()) == 1
    with driver.engine.begin() as conn:
        assert driver.listener.reconcile(conn) == 1
    assert _open() == []


def test_a_backfilled_date_is_resolved_by_a_run_of_that_date(dags_folder: Path) -> None:
    dag = load_folder(dags_folder).dags[0]
    day1, day2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    b1 = create_run(_engine(), dag, day1, run_type="backfill").run_id
    b2 = create_run(_engine(), dag, day2, run_type="backfill").run_id
    driver = Driver([])
    _record(driver, _finished(b1, "failed"))
    _record(driver, _finished(b2, "success"))
    assert len(_open()) == 1
    again = create_run(_engine(), dag, day1, run_type="manual").run_id
    _record(driver, _finished(again, "success"))
    assert _open() == []


def test_scheduled_and_manual_runs_keep_the_next_success_resolving(dags_folder: Path) -> None:
    dag = load_folder(dags_folder).dags[0]
    first = create_run(_engine(), dag, datetime(2024, 1, 1, tzinfo=UTC), run_type="scheduled")
    second = create_run(_engine(), dag, datetime(2024, 1, 2, tzinfo=UTC) + timedelta(hours=1))
    driver = Driver([])
    _record(driver, _finished(first.run_id, "failed"))
    [inc] = _open()
    assert inc.fingerprint == lc.fingerprint("po_files", "ingest", "task_failure", "ValueError")
    _record(driver, _finished(second.run_id, "success"))
    assert _open() == []


def test_resolving_by_hand_tells_the_sinks(dags_folder: Path) -> None:
    hook = serve(Recorder())
    try:
        runs = _event_runs(dags_folder, ["a.csv"])
        from legato.incidents import Webhook

        driver = Driver([Webhook(hook.url + "/hook")])
        _record(driver, _finished(runs["a.csv"], "failed"))
        [inc] = _open()
        assert resolve_by_hand(load_settings(), inc.id, "ana", "handled in PO-7")
        with driver.engine.connect() as conn:
            events = store.events_of(conn, inc.id)
            queued = outbox.of_incident(conn, inc.id)
        assert [e.reason for e in events] == ["opened", "resolved"]
        assert [row.event for row in queued] == [lc.OPENED, lc.RESOLVED]
        assert "Resolved by ana: handled in PO-7" in queued[-1].payload["meta"]["note"]
    finally:
        hook.server.shutdown()
