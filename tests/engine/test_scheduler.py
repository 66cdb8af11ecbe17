"""The scheduler service in-process: catchup, idempotence, max_active_runs, pause, triggers,
backfill, and adoption of runs left behind by a scheduler that died."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.services import operate, queries
from legato.store import runs as run_store
from legato.store.db import open_engine

DAY = timedelta(days=1)


def _midnight_days_ago(n: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - n * DAY


@pytest.fixture()
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    return folder


def write_dag(folder: Path, dag_id: str, *, catchup: bool = True, max_active_runs: int = 16,
              days_ago: int = 3, body: str = "EmptyTask('a') >> EmptyTask('b')") -> None:
    start = _midnight_days_ago(days_ago).isoformat()
    (folder / f"{dag_id}.py").write_text(textwrap.dedent(f"""
        from legato import DAG
        from legato.tasks import EmptyTask, PythonTask
        with DAG({dag_id!r}, schedule="@daily", start_date={start!r}, catchup={catchup},
                 max_active_runs={max_active_runs}) as dag:
            {body}
    """))


@pytest.fixture()
def scheduler(dags_folder: Path) -> Iterator[Scheduler]:
    executor = make_executor("local")
    yield Scheduler(load_settings(), executor, poll_s=0.05)
    executor.shutdown()


def _runs(dag_id: str) -> list[run_store.RunRow]:
    return sorted(queries.list_runs(load_settings(), dag_id, 1000), key=lambda r: r.logical_date)


def test_catchup_creates_every_missed_interval_once(dags_folder: Path,
                                                    scheduler: Scheduler) -> None:
    write_dag(dags_folder, "daily", days_ago=3)
    scheduler.run_until_idle(timeout_s=30)
    runs = _runs("daily")
    assert [r.logical_date for r in runs] == [_midnight_days_ago(n) for n in (3, 2, 1)]
    assert all(r.state == "success" and r.run_type == "scheduled" for r in runs)
    assert runs[0].data_interval_end == runs[0].logical_date + DAY
    again = Scheduler(load_settings(), scheduler.executor, poll_s=0.05)
    again.run_until_idle(timeout_s=30)
    assert len(_runs("daily")) == 3                # a second scheduler creates nothing new


def test_no_catchup_creates_only_the_latest(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "latest", catchup=False, days_ago=5)
    scheduler.run_until_idle(timeout_s=30)
    assert [r.logical_date for r in _runs("latest")] == [_midnight_days_ago(1)]


def test_max_active_runs_one_runs_in_sequence(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "serial", max_active_runs=1, days_ago=3,
              body="PythonTask('slow', python_callable=lambda: __import__('time').sleep(0.05))")
    scheduler.run_until_idle(timeout_s=30)
    runs = _runs("serial")
    assert len(runs) == 3
    for earlier, later in itertools.pairwise(runs):
        assert later.start_date >= earlier.end_date


def test_paused_dag_gets_no_runs_until_unpaused(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "held", days_ago=2)
    operate.set_paused(load_settings(), "held", True)
    scheduler.run_until_idle(timeout_s=30)
    assert _runs("held") == []
    operate.set_paused(load_settings(), "held", False)
    scheduler.run_until_idle(timeout_s=30)
    assert len(_runs("held")) == 2


def test_manual_trigger_is_picked_up(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "manual", catchup=False, days_ago=0)
    run = operate.trigger(load_settings(), "manual", "2023-05-06", {"x": 1})
    assert run.state == "queued"
    scheduler.run_until_idle(timeout_s=30)
    shown = queries.show_run(load_settings(), run.run_id)
    assert shown.state == "success" and shown["b"].state == "success"


def test_backfill_is_idempotent_unless_rerun(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "bf", catchup=False, days_ago=0)
    settings = load_settings()
    created = operate.backfill(settings, "bf", "2023-01-01", "2023-01-03")
    assert [r.logical_date.day for r in created] == [1, 2, 3]
    scheduler.run_until_idle(timeout_s=30)
    assert operate.backfill(settings, "bf", "2023-01-01", "2023-01-03") == []
    assert len(operate.backfill(settings, "bf", "2023-01-02", "2023-01-02", rerun=True)) == 1


def test_broken_file_does_not_stop_other_dags(dags_folder: Path, scheduler: Scheduler) -> None:
    write_dag(dags_folder, "fine", days_ago=1)
    (dags_folder / "broken.py").write_text("import nonexistent_module_xyz\n")
    scheduler.run_until_idle(timeout_s=30)
    assert len(_runs("fine")) == 1
    assert [Path(e.file).name for e in scheduler.errors] == ["broken.py"]
    assert scheduler.errors[0].line == 1


def test_adopts_a_run_left_running_and_reaps_its_lost_try(dags_folder: Path,
                                                          scheduler: Scheduler) -> None:
    write_dag(dags_folder, "orphan", catchup=False, days_ago=0,
              body="PythonTask('work', python_callable=lambda: 'done', retries=1, retry_delay=0)")
    run = operate.trigger(load_settings(), "orphan", "2023-02-02")
    engine = open_engine(load_settings().database_url)
    with engine.begin() as conn:                   # as a scheduler that died mid-try left it
        run_store.claim_run(conn, run.run_id, datetime.now(UTC))
        conn.exec_driver_sql("UPDATE task_instances SET state='running', try_number=1 "
                             "WHERE run_id=?", (run.run_id,))
    scheduler.run_until_idle(timeout_s=30)
    shown = queries.show_run(load_settings(), run.run_id)
    assert shown.state == "success"
    assert shown["work"].tries == 2 and shown["work"].result == "done"
    with engine.connect() as conn:
        tries = [(t.try_number, t.state, t.error_type)
                 for t in __import__("legato.store.tries", fromlist=["x"]).tries_of(conn, run.run_id)]
    assert tries == [(1, "failed", "TryLost"), (2, "success", None)]


def test_sla_misses_are_recorded_once_and_published(dags_folder: Path,
                                                    scheduler: Scheduler) -> None:
    from legato.engine.bus import SlaMissed
    from legato.store import sla as sla_store

    write_dag(dags_folder, "late", days_ago=2)
    write_dag(dags_folder, "relaxed", days_ago=2)
    for name, sla in (("late", "timedelta(hours=1)"), ("relaxed", "timedelta(days=30)")):
        path = dags_folder / f"{name}.py"
        path.write_text(path.read_text().replace(
            "max_active_runs=16)", f"max_active_runs=16, sla={sla})").replace(
            "from legato import DAG", "from datetime import timedelta\nfrom legato import DAG"))
    seen: list[SlaMissed] = []
    scheduler.bus.subscribe(SlaMissed, seen.append)
    scheduler.run_until_idle(timeout_s=30)
    scheduler.check_slas(datetime.now(UTC))
    assert sorted(e.dag_id for e in seen) == ["late", "late"]
    assert all(e.deadline < e.at for e in seen)
    with open_engine(load_settings().database_url).connect() as conn:
        rows = sla_store.misses(conn)
    assert sorted(r.dag_id for r in rows) == ["late", "late"]
    runs = {r.run_id: r for r in _runs("late")}
    for r in rows:
        assert r.deadline == runs[r.run_id].data_interval_end + timedelta(hours=1)


def test_timezone_of_start_date_drives_the_cron(dags_folder: Path, scheduler: Scheduler) -> None:
    start = (datetime.now(UTC) - 3 * DAY).date().isoformat()
    (dags_folder / "ams.py").write_text(textwrap.dedent(f"""
        from datetime import datetime
        from zoneinfo import ZoneInfo
        from legato import DAG
        from legato.tasks import EmptyTask
        AMS = ZoneInfo("Europe/Amsterdam")
        with DAG("ams", schedule="0 2 * * *", catchup=True,
                 start_date=datetime.fromisoformat({start!r}).replace(tzinfo=AMS)) as dag:
            EmptyTask("t")
    """))
    scheduler.run_until_idle(timeout_s=30)
    from zoneinfo import ZoneInfo

    local = [r.logical_date.astimezone(ZoneInfo("Europe/Amsterdam")) for r in _runs("ams")]
    assert len(local) >= 2 and all((d.hour, d.minute) == (2, 0) for d in local)
