"""A mapped task expands by the length of what it maps over, wherever that length comes from:
a task mapped over a literal list (its instances), or an upstream whose result was recorded
before this driver began (a restart, an adoption) — before, both failed with "not a list"."""

from __future__ import annotations

from datetime import UTC, datetime

from legato import DAG, task
from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.runs_create import create_run
from legato.engine.scheduler import Scheduler
from legato.services import queries
from legato.store import tries as try_store
from legato.store import xcom as xcom_store
from legato.store.db import open_engine
from legato.store.results import encode


def test_mapping_over_a_task_mapped_over_a_literal_list() -> None:
    with DAG("literal_then_upstream") as dag:
        @task
        def double(x: int) -> int:
            return 2 * x

        @task
        def plus_one(y: int) -> int:
            return y + 1

        plus_one.expand(y=double.expand(x=[1, 2, 3]))
    result = dag.run()
    assert result.state == "success", {t: r.error for t, r in result.tasks.items()}
    assert result["plus_one"].result == [3, 5, 7]


def test_a_mapped_task_expands_after_a_restart(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    (folder / "restart.py").write_text(
        "from legato import DAG, task\n"
        "with DAG('restart_map') as dag:\n"
        "    @task\n"
        "    def items():\n"
        "        return ['a', 'b']\n"
        "    @task\n"
        "    def shout(x):\n"
        "        return x.upper()\n"
        "    shout.expand(x=items())\n")
    from legato.authoring.loader import load_file

    (dag,) = load_file(folder / "restart.py").dags
    settings = load_settings()
    engine = open_engine(settings.database_url)
    run = create_run(engine, dag, datetime(2024, 1, 1, tzinfo=UTC))
    stored = encode(["a", "b"], what="result", results_dir=settings.results_dir, relpath="x")
    with engine.begin() as conn:          # `items` finished under a scheduler that then died
        try_store.update_instances(conn, [try_store.InstanceRow(
            run.run_id, "items", -1, "success", 1, None, None, None, None, None)])
        xcom_store.write(conn, [xcom_store.XComRow(run.run_id, "items", -1, "return_value",
                                                   stored)])
    scheduler = Scheduler(settings, make_executor("local"), poll_s=0.05)
    try:
        scheduler.run_until_idle(timeout_s=30)
    finally:
        scheduler.executor.shutdown()
    shown = queries.show_run(settings, run.run_id)
    assert shown.state == "success", {t: r.error for t, r in shown.tasks.items()}
    assert shown["shout"].result == ["A", "B"]
