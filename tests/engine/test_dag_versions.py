"""A DAG file that changes while a run of it is queued or running: the run goes on with the
version on disk. Rows of tasks the new version lacks become `removed` (Airflow's state) and no
longer count; tasks it added get instances. Before, the scheduler crashed on every restart with
KeyError: '<old task id>' (issue 10, item 2)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.runs_create import create_run
from legato.engine.scheduler import Scheduler
from legato.services import queries
from legato.store.db import open_engine
from legato.store.schema import task_instances

V1 = """
    from legato import DAG
    from legato.tasks import EmptyTask
    with DAG("versioned", schedule=None, start_date="2024-01-01") as dag:
        EmptyTask("extract") >> EmptyTask("old_load")
"""
V2 = """
    from legato import DAG
    from legato.tasks import EmptyTask
    with DAG("versioned", schedule=None, start_date="2024-01-01") as dag:
        EmptyTask("extract") >> EmptyTask("new_load") >> EmptyTask("report")
"""


@pytest.fixture()
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    return folder


@pytest.fixture()
def scheduler(dags_folder: Path) -> Iterator[Scheduler]:
    executor = make_executor("local")
    yield Scheduler(load_settings(), executor, poll_s=0.05)
    executor.shutdown()


def _write(folder: Path, text: str) -> Path:
    path = folder / "versioned.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_run_queued_under_the_old_version_finishes_under_the_new(
        backend: str, dags_folder: Path, scheduler: Scheduler) -> None:
    path = _write(dags_folder, V1)
    old = load_file(path).dags[0]
    run = create_run(open_engine(load_settings().database_url), old, old.start_date)
    _write(dags_folder, V2)                          # renamed old_load, added report

    scheduler.run_until_idle(timeout_s=30)

    result = queries.show_run(load_settings(), run.run_id)
    states = {t: r.state for t, r in result.tasks.items()}
    assert result.state == "success"
    assert states == {"extract": "success", "old_load": "removed", "new_load": "success",
                      "report": "success"}


def test_a_removed_failed_leaf_no_longer_fails_the_run(dags_folder: Path,
                                                       scheduler: Scheduler) -> None:
    path = _write(dags_folder, V1)
    old = load_file(path).dags[0]
    engine = open_engine(load_settings().database_url)
    run = create_run(engine, old, old.start_date)
    with engine.begin() as conn:                     # old_load had failed under V1
        conn.execute(task_instances.update().where(task_instances.c.run_id == run.run_id,
                                                   task_instances.c.task_id == "old_load")
                     .values(state="failed", try_number=1))
    _write(dags_folder, V2)

    scheduler.run_until_idle(timeout_s=30)

    result = queries.show_run(load_settings(), run.run_id)
    assert result.tasks["old_load"].state == "removed"
    assert result.state == "success"
