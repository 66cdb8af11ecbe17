"""Run ownership: a scheduler drives only runs it claimed or adopted from a dead owner.

A second scheduler (or one starting beside `dag.run()`) leaves a live owner's runs alone; a
run whose owner stopped heartbeating, or whose owner's process on this host is gone, is
adopted and its lost tries reaped; a scheduler that lost a run writes nothing more to it.
Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.executors.base import Executor
from legato.engine.scheduler import Scheduler
from legato.services import operate
from legato.store import owners as owner_store
from legato.store import runs as run_store
from legato.store import tries as try_store
from legato.store.db import open_engine
from legato.store.schema import schedulers
from waiting import eventually

DEADLINE_S = 30


@pytest.fixture()
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> Iterator[Path]:
    """A DAG `gated` whose one task waits for the gate file, then returns; the gate is opened
    at the end whatever happens, so no worker thread outlives the test."""
    folder, gate_file = tmp_path / "dags", tmp_path / "gate"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    (folder / "gated.py").write_text(textwrap.dedent(f"""
        import os, time
        from legato import DAG, task
        with DAG("gated", schedule=None, default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def wait():
                deadline = time.monotonic() + 60
                while not os.path.exists({str(gate_file)!r}) and time.monotonic() < deadline:
                    time.sleep(0.01)
                return "done"
            wait()
    """))
    try:
        yield gate_file
    finally:
        gate_file.touch()


@pytest.fixture()
def executors() -> Iterator[Callable[[], Executor]]:
    made: list[Executor] = []

    def make() -> Executor:
        made.append(make_executor("local"))
        return made[-1]

    yield make
    for executor in made:
        executor.shutdown()


def _engine() -> sa.Engine:
    return open_engine(load_settings().database_url)


def _task_state(run_id: str) -> tuple[str, int]:
    with _engine().connect() as conn:
        row = next(r for r in try_store.instances_of_run(conn, run_id) if r.task_id == "wait")
    return row.state, row.try_number


def _tries(run_id: str) -> list[tuple[int, str, str | None]]:
    with _engine().connect() as conn:
        return [(t.try_number, t.state, t.error_type) for t in try_store.tries_of(conn, run_id)]


def _run(run_id: str) -> run_store.RunRow:
    with _engine().connect() as conn:
        run = run_store.get_run(conn, run_id)
    assert run is not None
    return run


def _until(check: Callable[[], bool], *tick: Scheduler) -> None:
    """Wait for `check`, ticking these schedulers between checks (the test drives them)."""
    step = (lambda: [scheduler.tick() for scheduler in tick]) if tick else None
    eventually(check, DEADLINE_S, step=step, interval_s=0.01)


def _foreign_owner(*, hostname: str, pid: int, age_s: float) -> str:
    """An owner row as another process would have written it; returns its id."""
    owner_id = os.urandom(16).hex()
    with _engine().begin() as conn:
        now = owner_store.clock(conn)
        conn.execute(schedulers.insert().values(
            id=owner_id, hostname=hostname, pid=pid, kind="scheduler", started_at=now,
            heartbeat_at=now - timedelta(seconds=age_s)))
    return owner_id


def _left_running_by(owner_id: str) -> str:
    """A run as its owner left it mid-try: running, its task's first try in flight."""
    run = operate.trigger(load_settings(), "gated", "2024-05-01")
    with _engine().begin() as conn:
        assert run_store.claim_run(conn, run.run_id, datetime.now(UTC), owner_id)
        conn.execute(sa.text("UPDATE task_instances SET state='running', try_number=1 "
                             "WHERE run_id=:r"), {"r": run.run_id})
    return run.run_id


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_second_scheduler_leaves_a_live_schedulers_run_alone(gate: Path, executors) -> None:
    run_id = operate.trigger(load_settings(), "gated", "2024-05-01").run_id
    first = Scheduler(load_settings(), executors(), poll_s=0.01)
    first.start()
    _until(lambda: _task_state(run_id)[0] == "running", first)
    second = Scheduler(load_settings(), executors(), poll_s=0.01)
    second.start()
    for _ in range(20):
        second.tick()
    assert run_id not in second.drivers and _run(run_id).owner == first.owner.id
    assert _task_state(run_id) == ("running", 1) and _tries(run_id) == []
    gate.touch()
    _until(lambda: _run(run_id).state == "success", first, second)
    assert _tries(run_id) == [(1, "success", None)]
    first.release()
    second.release()


def test_a_silent_owner_is_adopted_after_the_timeout(gate: Path, executors,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_OWNER_TIMEOUT_S", "1")
    gone = _foreign_owner(hostname="another-host", pid=1, age_s=0)
    run_id = _left_running_by(gone)
    scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
    scheduler.start()
    assert run_id not in scheduler.drivers          # its owner heartbeated just now
    gate.touch()
    _until(lambda: run_id in scheduler.drivers, scheduler)    # once it has been silent 1 s
    _until(lambda: _run(run_id).state == "success", scheduler)
    assert _tries(run_id) == [(1, "failed", "TryLost"), (2, "success", None)]
    assert _run(run_id).owner == scheduler.owner.id
    _until(lambda: gone not in _owner_ids(), scheduler)     # forgotten once it owns nothing
    scheduler.release()
    assert _owner_ids() == set()


def _owner_ids() -> set[str]:
    with _engine().connect() as conn:
        return set(owner_store.all_owners(conn))


def test_an_owner_whose_process_is_gone_is_adopted_at_once(gate: Path, executors) -> None:
    run_id = _left_running_by(_foreign_owner(hostname=owner_store.HOSTNAME, pid=_dead_pid(),
                                             age_s=0))
    scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
    scheduler.start()                       # default timeout of 30 s: no waiting for it
    assert run_id in scheduler.drivers
    gate.touch()
    _until(lambda: _run(run_id).state == "success", scheduler)
    assert _tries(run_id) == [(1, "failed", "TryLost"), (2, "success", None)]
    scheduler.release()


def test_a_run_with_no_owner_is_orphaned(gate: Path, executors) -> None:
    run = operate.trigger(load_settings(), "gated", "2024-05-01")
    with _engine().begin() as conn:             # as written before owners existed
        run_store.claim_run(conn, run.run_id, datetime.now(UTC))
    scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
    scheduler.start()
    assert run.run_id in scheduler.drivers
    gate.touch()
    _until(lambda: _run(run.run_id).state == "success", scheduler)
    scheduler.release()


def test_dag_run_in_another_thread_is_not_disturbed(gate: Path, executors) -> None:
    dag = load_folder(load_settings().dags_folder).dags[0]
    results = []
    runner = threading.Thread(target=lambda: results.append(dag.run()))
    runner.start()
    try:
        _until(lambda: _running_run_ids() != [])
        [run_id] = _running_run_ids()
        _until(lambda: _task_state(run_id)[0] == "running")
        scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
        scheduler.start()
        for _ in range(20):
            scheduler.tick()
        assert scheduler.drivers == {} and _task_state(run_id) == ("running", 1)
        assert _owner_kinds() == {"run", "scheduler"}
    finally:
        gate.touch()
        runner.join(timeout=DEADLINE_S)
    assert results[0].state == "success" and _tries(run_id) == [(1, "success", None)]
    scheduler.release()
    assert _owner_kinds() == set()                  # both deleted their rows on the way out


def _running_run_ids() -> list[str]:
    with _engine().connect() as conn:
        return [r.run_id for r in run_store.runs_in_state(conn, "running")]


def _owner_kinds() -> set[str]:
    with _engine().connect() as conn:
        return {o.kind for o in owner_store.all_owners(conn).values()}


def test_a_scheduler_that_lost_its_run_writes_nothing_more(gate: Path, executors) -> None:
    run_id = operate.trigger(load_settings(), "gated", "2024-05-01").run_id
    scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
    scheduler.start()
    _until(lambda: _task_state(run_id)[0] == "running", scheduler)
    other = _foreign_owner(hostname="another-host", pid=1, age_s=0)
    with _engine().begin() as conn:              # as if it froze and another adopted the run
        assert run_store.take_run(conn, run_id, scheduler.owner.id, other)
    gate.touch()                                 # its try ends: the report must not be written
    _until(lambda: run_id not in scheduler.drivers, scheduler)
    assert _task_state(run_id) == ("running", 1) and _tries(run_id) == []
    assert _run(run_id).state == "running" and _run(run_id).owner == other
    scheduler.release()


def test_a_scheduler_judged_dead_drops_its_runs_and_registers_anew(
        gate: Path, executors, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_OWNER_TIMEOUT_S", "0.4")          # heartbeats every 0.1 s
    run_id = operate.trigger(load_settings(), "gated", "2024-05-01").run_id
    scheduler = Scheduler(load_settings(), executors(), poll_s=0.01)
    scheduler.start()
    _until(lambda: _task_state(run_id)[0] == "running", scheduler)
    judged = scheduler.owner.id
    with _engine().begin() as conn:             # what another scheduler does to a dead owner
        conn.execute(schedulers.delete().where(schedulers.c.id == judged))
    _until(lambda: scheduler.owner.id != judged, scheduler)
    # It dropped the run, registered anew and, the run's owner being gone, adopted it back:
    # the try in flight under the old registration was reaped, not left to report.
    assert _tries(run_id) == [(1, "failed", "TryLost")]
    gate.touch()
    _until(lambda: _run(run_id).state == "success", scheduler)
    assert _run(run_id).owner == scheduler.owner.id
    assert [t[1] for t in _tries(run_id)] == ["failed", "success"]
    scheduler.release()


NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _row(owner_id: str, *, host: str = owner_store.HOSTNAME, pid: int,
         age_s: float) -> owner_store.OwnerRow:
    return owner_store.OwnerRow(owner_id, host, pid, "scheduler", NOW,
                                NOW - timedelta(seconds=age_s))


def test_is_dead_rules(tmp_path: Path) -> None:
    me = owner_store.Owner(open_engine(f"sqlite:///{tmp_path / 'o.db'}"), "scheduler", 30)
    me.register()
    dead = _dead_pid()
    cases = [
        (_row("a", host="elsewhere", pid=dead, age_s=5), False),      # another host: heartbeat
        (_row("b", host="elsewhere", pid=dead, age_s=31), True),
        (_row("c", pid=dead, age_s=0), True),                         # this host, process gone
        (_row("d", pid=os.getppid(), age_s=0), False),                # this host, process alive
        (_row("e", pid=os.getppid(), age_s=31), True),                # alive but silent
        (_row(me.id, pid=os.getpid(), age_s=0), False),               # this process, registered
        (_row("f", pid=os.getpid(), age_s=0), True),                  # this process, released
    ]
    assert [owner_store.is_dead(o, now=NOW, timeout_s=30) for o, _ in cases] == \
        [want for _, want in cases]
    me.release()


def test_owner_timeout_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().owner_timeout_s == 30
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv("LEGATO_OWNER_TIMEOUT_S", bad)
        with pytest.raises(ValueError, match="LEGATO_OWNER_TIMEOUT_S"):
            load_settings()
