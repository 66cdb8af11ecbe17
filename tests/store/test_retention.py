"""`legato db clean --older-than`: finished runs older than the cutoff lose their rows, logs
and result files; newer runs, running runs and what outlives runs (incidents, audit) stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from legato import DAG, task
from legato.config import load_settings
from legato.engine import tasklog
from legato.store.db import open_engine
from legato.store.schema import dag_runs, task_tries, xcom
from process_support import base_env, cli


def _two_runs(monkeypatch) -> tuple[str, str]:
    monkeypatch.setattr(tasklog, "WRITE_THROUGH_AFTER_S", 0.0)       # give each a log file
    with DAG("retained") as dag:
        @task
        def big() -> str:
            return "z" * 200_000                                      # a result file
        big()
    old, new = dag.run().run_id, dag.run().run_id
    with open_engine(load_settings().database_url).begin() as conn:   # the first ended long ago
        conn.execute(dag_runs.update().where(dag_runs.c.run_id == old).values(
            end_date=datetime.now(UTC) - timedelta(days=40)))
    return old, new


def _count(table: sa.Table, run_id: str) -> int:
    with open_engine(load_settings().database_url).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)
                            .where(table.c.run_id == run_id)).scalar_one()


def test_clean_forgets_old_runs_and_their_files(legato_home: Path, monkeypatch) -> None:
    old, new = _two_runs(monkeypatch)
    settings = load_settings()
    old_files = [settings.logs_dir / "retained" / old, settings.results_dir / "retained" / old]
    assert all(f.is_dir() for f in old_files)
    env = base_env(legato_home, legato_home / "dags")
    dry = cli(env, "db", "clean", "--older-than", "30d", "--dry-run", "--json")
    assert json.loads(dry.stdout)["runs"] == 1 and _count(dag_runs, old) == 1
    done = cli(env, "db", "clean", "--older-than", "30d", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["runs"] == 1 and report["files"] >= 2 and report["bytes"] > 200_000
    assert _count(dag_runs, old) == _count(task_tries, old) == _count(xcom, old) == 0
    assert not any(f.exists() for f in old_files)
    assert _count(dag_runs, new) == 1 and _count(xcom, new) == 1       # the new run stays
    assert (settings.results_dir / "retained" / new).is_dir()
    bad = cli(env, "db", "clean", "--older-than", "soon")
    assert bad.returncode == 2 and "30d" in bad.stderr


def test_a_run_reopened_while_clean_ran_keeps_its_files(legato_home: Path, monkeypatch) -> None:
    """`old_runs` found the run finished; by the time its batch is deleted it was cleared and
    runs again, so its rows stay (store.retention) and so must its log and result files."""
    from legato.services import retention as service
    from legato.store import retention as store

    old, _ = _two_runs(monkeypatch)
    settings = load_settings()
    found = store.old_runs

    def found_then_reopened(conn: sa.Connection, cutoff: datetime, **kw: int) -> list:
        batch = found(conn, cutoff, **kw)
        conn.execute(dag_runs.update().where(dag_runs.c.run_id == old).values(state="queued"))
        return batch

    monkeypatch.setattr(store, "old_runs", found_then_reopened)
    report = service.clean(settings, timedelta(days=30))
    assert report.runs == 0 and report.files == 0
    assert _count(dag_runs, old) == 1 and _count(xcom, old) == 1
    assert (settings.results_dir / "retained" / old).is_dir()
    assert (settings.logs_dir / "retained" / old).is_dir()
