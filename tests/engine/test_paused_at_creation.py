"""New DAGs start paused, as in Airflow (issue 10 item 30): dropping a file into the watched
folder no longer starts its schedule within a second. LEGATO_DAGS_PAUSED_AT_CREATION=false and
DAG(is_paused_upon_creation=False) opt out; `legato run` still runs a paused DAG, and a trigger
of one says it will wait for an unpause. A bad schedule string is shown, not hidden behind
"no DAG found" (item 25)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.services import queries
from process_support import base_env, cli

START = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0,
                                                       microsecond=0).isoformat()


def _write(folder: Path, dag_id: str, extra: str = "", schedule: str = "@daily") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dag_id}.py"
    path.write_text(textwrap.dedent(f"""
        from legato import DAG
        from legato.tasks import EmptyTask
        with DAG({dag_id!r}, schedule={schedule!r}, start_date={START!r}, catchup=True{extra}) as dag:
            EmptyTask("only")
    """))
    return path


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEGATO_DAGS", str(tmp_path / "dags"))
    monkeypatch.setenv("LEGATO_DAGS_PAUSED_AT_CREATION", "true")      # the default
    return tmp_path / "dags"


def _run_scheduler() -> Scheduler:
    scheduler = Scheduler(load_settings(), make_executor("inline"), poll_s=0.05)
    scheduler.run_until_idle(timeout_s=30)
    return scheduler


def test_a_new_dag_waits_for_an_unpause(folder: Path) -> None:
    _write(folder, "fresh")
    _write(folder, "eager", extra=", is_paused_upon_creation=False")
    scheduler = _run_scheduler()
    assert set(scheduler.dags) == {"fresh", "eager"}
    assert queries.list_runs(load_settings(), "fresh", 10) == []
    assert len(queries.list_runs(load_settings(), "eager", 10)) == 3
    assert cli(base_env(load_settings().home, folder), "dags", "unpause", "fresh").returncode == 0
    _run_scheduler()
    assert len(queries.list_runs(load_settings(), "fresh", 10)) == 3


def test_the_setting_opts_out(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_DAGS_PAUSED_AT_CREATION", "false")
    _write(folder, "fresh")
    _run_scheduler()
    assert len(queries.list_runs(load_settings(), "fresh", 10)) == 3


def test_run_and_trigger_of_a_paused_dag(folder: Path) -> None:
    path = _write(folder, "fresh")
    env = base_env(load_settings().home, folder)
    ran = cli(env, "run", str(path), "--json")
    assert ran.returncode == 0, ran.stderr                 # legato run runs it anyway
    queued = cli(env, "dags", "trigger", "fresh")
    assert queued.returncode == 0
    assert "fresh is paused" in queued.stderr and "legato dags unpause fresh" in queued.stderr


def test_a_bad_schedule_is_shown_by_backfill(folder: Path) -> None:
    _write(folder, "odd", schedule="@fortnightly")
    done = cli(base_env(load_settings().home, folder), "backfill", "odd", "--start",
               "2024-01-01", "--end", "2024-01-03")
    assert done.returncode == 2
    assert "no DAG 'odd'" in done.stderr and "odd.py" in done.stderr
    assert "@fortnightly" in done.stderr and "Traceback" not in done.stderr
