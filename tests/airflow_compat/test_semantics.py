"""Airflow semantics beyond the recorded corpus: pendulum in contexts (and its absence),
notes reported once at load, params validated per run, Airflow 2 names."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from legato.authoring.loader import load_file

PENDULUM_DAG = """
from datetime import datetime
from airflow.sdk import DAG, task

with DAG("dates", schedule="@daily", start_date=datetime(2024, 1, 1)):
    @task
    def when(logical_date=None, data_interval_start=None):
        return [type(logical_date).__module__, logical_date.isoformat(),
                data_interval_start.isoformat()]
    when()
"""


def _run_in_subprocess(path, home, prelude: str = "") -> str:
    code = textwrap.dedent(f"""
        import sys, json
        {prelude}
        from legato.authoring.loader import load_file
        dag = load_file({str(path)!r}).dags[0]
        r = dag.run(logical_date="2024-01-03", executor="inline")
        print(json.dumps([r.state, r.tasks["when"].result]))
    """)
    env = {"LEGATO_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_contexts_hand_out_pendulum_datetimes_and_the_airflow_manual_interval(tmp_path):
    path = tmp_path / "dates.py"
    path.write_text(PENDULUM_DAG)
    out = _run_in_subprocess(path, tmp_path / "h1")
    # Airflow 3's default CronTriggerTimetable: a manual run's interval is its logical date
    assert out == ('["success", ["pendulum.datetime", "2024-01-03T00:00:00+00:00", '
                   '"2024-01-03T00:00:00+00:00"]]')


def test_a_data_interval_timetable_infers_the_last_complete_interval(tmp_path):
    path = tmp_path / "dates.py"
    path.write_text(PENDULUM_DAG.replace(
        'schedule="@daily"', 'schedule=CronDataIntervalTimetable("@daily", timezone="UTC")'
    ).replace("from airflow.sdk import DAG, task",
              "from airflow.sdk import DAG, task\n"
              "from airflow.timetables.interval import CronDataIntervalTimetable"))
    out = _run_in_subprocess(path, tmp_path / "h3")
    assert out.endswith('"2024-01-03T00:00:00+00:00", "2024-01-02T00:00:00+00:00"]]')


def test_without_pendulum_contexts_hand_out_plain_datetimes(tmp_path):
    path = tmp_path / "dates.py"
    path.write_text(PENDULUM_DAG)
    out = _run_in_subprocess(path, tmp_path / "h2", prelude="sys.modules['pendulum'] = None")
    assert out.startswith('["success", ["datetime", ')


def test_deprecated_spellings_are_noted_once_at_load(tmp_path, caplog):
    path = tmp_path / "old.py"
    path.write_text(textwrap.dedent("""
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator

        with DAG("old_style", schedule_interval="@hourly", start_date=datetime(2024, 1, 1)):
            for i in range(3):
                PythonOperator(task_id=f"t{i}", python_callable=print, provide_context=True)
    """))
    with caplog.at_level("WARNING", logger="legato.airflow"):
        loaded = load_file(path)
        load_file(path)
    assert loaded.errors == [] and loaded.dags[0].schedule == "@hourly"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("schedule_interval is deprecated" in m for m in messages) == 1
    assert sum("provide_context is deprecated" in m for m in messages) == 1


def test_params_are_validated_for_each_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    path = tmp_path / "p.py"
    path.write_text(textwrap.dedent("""
        from datetime import datetime
        from airflow.sdk import DAG, Param, task

        with DAG("p", schedule=None, start_date=datetime(2024, 1, 1),
                 params={"n": Param(5, type="integer", minimum=1)}):
            @task
            def double(params=None):
                return params["n"] * 2
            double()
    """))
    dag = load_file(path).dags[0]
    assert dag.run(params={"n": 4}, executor="inline")["double"].result == 8
    with pytest.raises(ValueError, match="Invalid input for param n"):
        dag.run(params={"n": 0}, executor="inline")


def test_a_deferrable_time_sensor_comes_back_at_its_target_not_a_poke_later(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    path = tmp_path / "wait.py"
    path.write_text(textwrap.dedent("""
        from datetime import datetime, timedelta
        from airflow.sdk import DAG
        from airflow.providers.standard.sensors.time_delta import TimeDeltaSensorAsync
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("wait_async", schedule=None, start_date=datetime(2024, 1, 1)):
            TimeDeltaSensorAsync(task_id="wait", delta=timedelta(seconds=1)) >> \\
                EmptyOperator(task_id="finish")
    """))
    dag = load_file(path).dags[0]
    t0 = time.monotonic()
    result = dag.run(executor="inline")                 # logical date: now
    elapsed = time.monotonic() - t0
    assert result.state == "success" and result["wait"].tries == 1
    assert 0.9 < elapsed < 15          # the poke interval is 60 s: it came back at the target


def test_native_dags_get_the_four_new_trigger_rules(tmp_path, monkeypatch):
    from legato import DAG, Skip, task
    from legato.tasks import EmptyTask

    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    with DAG("native_rules") as dag:
        @task
        def skipped():
            raise Skip("not today")

        @task
        def broken():
            raise RuntimeError("boom")

        s, b = skipped(), broken()
        for rule in ("one_done", "all_skipped", "all_done_min_one_success",
                     "all_done_setup_success"):
            s >> EmptyTask(f"after_skip_{rule}", trigger_rule=rule)
            b >> EmptyTask(f"after_fail_{rule}", trigger_rule=rule)
    result = dag.run(executor="inline")
    states = {t: r.state for t, r in result.tasks.items() if t.startswith("after_")}
    assert states == {
        "after_skip_one_done": "skipped", "after_fail_one_done": "success",
        "after_skip_all_skipped": "success", "after_fail_all_skipped": "skipped",
        "after_skip_all_done_min_one_success": "skipped",
        "after_fail_all_done_min_one_success": "upstream_failed",
        "after_skip_all_done_setup_success": "success",
        "after_fail_all_done_setup_success": "success",
    }


def test_log_url_links_the_ui_log_page_of_the_try(tmp_path, monkeypatch):
    """The article's callbacks put ti.log_url in a ticket: it is the link incidents send."""
    from legato.incidents.lifecycle import log_url

    monkeypatch.setenv("LEGATO_BASE_URL", "https://legato.example/")
    path = tmp_path / "links.py"
    path.write_text(textwrap.dedent("""
        from datetime import datetime, timedelta
        from airflow.sdk import DAG, task

        with DAG("links", schedule=None, start_date=datetime(2024, 1, 1)):
            @task(retries=1, retry_delay=timedelta(0))
            def flaky(ti=None):
                if ti.try_number == 1:
                    raise RuntimeError("first try fails")
                return ti.log_url

            @task
            def each(x, ti=None):
                return ti.log_url

            flaky() >> each.expand(x=[1, 2])
    """))
    result = load_file(path).dags[0].run(logical_date="2024-01-03", executor="inline")
    assert result.state == "success"
    base = "https://legato.example"
    assert result["flaky"].result == log_url(base, result.run_id, "flaky", 2)
    assert result["each"].result[1] == log_url(base, result.run_id, "each", 1) + "&map_index=1"


def test_a_raising_task_callback_is_recorded_with_its_try_and_fails_nothing(tmp_path,
                                                                           monkeypatch):
    """Issue 14: Airflow's rule (a failing callback does not fail the task) and Airflow's list
    semantics (every callback of a list runs even when one raises); the try keeps the error."""
    from legato.config import load_settings
    from legato.store import tries as try_store
    from legato.store.db import open_engine

    monkeypatch.setenv("LEGATO_HOME", str(tmp_path / "home"))
    marker = tmp_path / "second-callback-ran"
    path = tmp_path / "cb_raises.py"
    path.write_text(textwrap.dedent(f"""
        from datetime import datetime
        from airflow.sdk import DAG, task

        def first(context):
            raise ValueError("ticket refused for " + context["ti"].task_id)

        def second(context):
            open({str(marker)!r}, "w").close()

        with DAG("cb_raises", schedule=None, start_date=datetime(2024, 1, 1)):
            @task(on_success_callback=[first, second])
            def works():
                return 1

            @task(on_failure_callback=lambda context: 1 / 0)
            def breaks():
                raise RuntimeError("fails on purpose")

            works(), breaks()
    """))
    result = load_file(path).dags[0].run(logical_date="2024-01-03", executor="inline")
    assert {t: r.state for t, r in result.tasks.items()} == {"works": "success",
                                                             "breaks": "failed"}
    assert marker.exists()                    # the second callback ran after the first raised
    with open_engine(load_settings().database_url).connect() as conn:
        raised = {t.task_id: t.callback_error for t in try_store.tries_of(conn, result.run_id)}
    assert raised == {
        "works": "on_success_callback raised ValueError: ticket refused for works",
        "breaks": "on_failure_callback raised ZeroDivisionError: division by zero"}
