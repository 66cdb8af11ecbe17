"""A task callback that raises (issue 14): the try reports it (TryFinished.callback_error, one
masked line), the driver keeps it in the try's row, and the try's state is what the task made
it — Airflow's rule: a failing callback never fails the task. On the thread, process and Dask
executors (the report crosses a process boundary pickled)."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path
from typing import Any

import pytest

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.engine.executors.base import TryFinished
from legato.services import queries
from legato.store import tries as try_store
from legato.store.db import open_engine

SOURCE = """
from legato import DAG, task
from legato.security.masking import mask_secret

def helpdesk(context):
    raise RuntimeError("helpdesk unreachable")

def ticket(context):
    mask_secret("s3cr3t-token")
    raise ValueError(f"ticket for {context.task_id} refused: token s3cr3t-token\\nsecond line")

def pager(context):
    raise KeyError("pager")

with DAG("DAG_ID") as dag:
    @task(on_success_callback=helpdesk)
    def works():
        return 1

    @task(retries=1, retry_delay=0, on_retry_callback=pager, on_failure_callback=ticket)
    def breaks():
        raise RuntimeError("fails on purpose")

    @task(on_success_callback=lambda context: None)
    def quiet():
        return 2

    works()
    breaks()
    quiet()
"""


def run_dag(tmp_path: Path, dag_id: str, executor: str) -> Any:
    path = tmp_path / f"{dag_id}.py"
    path.write_text(textwrap.dedent(SOURCE.replace("DAG_ID", dag_id)))
    return load_file(path).dags[0].run(executor=executor)


def check(result: Any) -> None:
    # the callbacks raised, and no task's state changed for it
    assert {t: r.state for t, r in result.tasks.items()} == {
        "works": "success", "breaks": "failed", "quiet": "success"}
    assert result.state == "failed"
    with open_engine(load_settings().database_url).connect() as conn:
        rows = {(t.task_id, t.try_number): t for t in try_store.tries_of(conn, result.run_id)}
    assert {k: (r.state, r.callback_error) for k, r in rows.items()} == {
        ("works", 1): ("success", "on_success_callback raised RuntimeError: helpdesk unreachable"),
        ("breaks", 1): ("failed", "on_retry_callback raised KeyError: 'pager'"),
        ("breaks", 2): ("failed", ("on_failure_callback raised ValueError: ticket for breaks "
                                   "refused: token *** second line")),
        ("quiet", 1): ("success", None),
    }
    # the run as `legato runs show` and the API read it: each task's latest
    errors = {t: r.callback_error for t, r in queries.show_run(load_settings(),
                                                               result.run_id).tasks.items()}
    assert errors == {"quiet": None, "works": rows[("works", 1)].callback_error,
                      "breaks": rows[("breaks", 2)].callback_error}


@pytest.mark.parametrize("executor", ["local", "local:process"])
def test_a_raising_task_callback_is_kept_with_its_try(tmp_path: Path, executor: str) -> None:
    check(run_dag(tmp_path, f"task_cb_{executor.replace(':', '_')}", executor))


def test_on_a_dask_cluster_too(tmp_path: Path, dask_cluster: Any) -> None:
    address = "dask://" + dask_cluster.scheduler_address.removeprefix("tcp://")
    check(run_dag(tmp_path, "task_cb_dask", address))


def test_the_report_pickles_with_its_callback_error_and_defaults_to_none() -> None:
    ev = TryFinished("r", "t", -1, 1, "success", 0.0, 1.0, callback_error="x raised")
    assert pickle.loads(pickle.dumps(ev)).callback_error == "x raised"
    assert TryFinished("r", "t", -1, 1, "success", 0.0, 1.0).callback_error is None
