"""dag.run() end to end: real threads, a real SQLite store under a temporary $LEGATO_HOME."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from legato import DAG, Fail, Skip, task
from legato.config import load_settings
from legato.services import queries
from legato.store.results import INLINE_LIMIT
from legato.tasks import BranchTask, EmptyTask, PythonTask, ShellTask


def test_results_flow_downstream_and_run_succeeds() -> None:
    with DAG("flow") as dag:
        @task
        def extract() -> dict:
            return {"rows": 10}

        @task
        def load(data: dict) -> int:
            return data["rows"] * 2

        load(extract())
    result = dag.run(logical_date="2023-01-01")
    assert result.state == "success"
    assert result["load"].result == 20
    assert result["extract"].result == {"rows": 10}
    assert result["load"].tries == 1
    assert result["load"].start <= result["load"].end


def test_retries_then_success_with_exponential_backoff() -> None:
    starts: list[float] = []
    with DAG("flaky", default_args={"retries": 3, "retry_delay": 0.05,
                                    "retry_exponential_backoff": True}) as dag:
        @task
        def flaky(ctx) -> str:
            starts.append(time.monotonic())
            if ctx.try_number < 3:
                raise ConnectionError("temporary")
            return "ok"

        flaky()
    result = dag.run()
    assert result.state == "success"
    assert result["flaky"].tries == 3
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 0.05 * 0.8 - 0.005
    assert gaps[1] >= 0.1 * 0.8 - 0.005          # doubled on the second retry


def test_retries_exhausted_fails_and_downstream_upstream_failed() -> None:
    with DAG("exhaust", default_args={"retries": 1, "retry_delay": 0}) as dag:
        @task
        def boom() -> None:
            raise ValueError("bad input")

        after = EmptyTask("after")
        end = EmptyTask("end", trigger_rule="all_done")
        boom() >> after >> end
    result = dag.run()
    assert result["boom"].state == "failed"
    assert result["boom"].tries == 2
    assert "bad input" in result["boom"].error
    assert result["after"].state == "upstream_failed"
    assert result["end"].state == "success"
    assert result.state == "success"             # Airflow's rule: the leaves decide


def test_fail_does_not_retry_and_skip_skips() -> None:
    with DAG("control", default_args={"retries": 5, "retry_delay": 0}) as dag:
        @task
        def give_up() -> None:
            raise Fail("data will not change")

        @task
        def not_today() -> None:
            raise Skip("holiday")

        child = EmptyTask("child")
        not_today() >> child
        give_up()
    result = dag.run()
    assert result["give_up"].state == "failed" and result["give_up"].tries == 1
    assert result["not_today"].state == "skipped"
    assert result["child"].state == "skipped"
    assert result.state == "failed"


def test_branch_follows_chosen_path_only() -> None:
    with DAG("branchy") as dag:
        @task.branch
        def choose(params) -> str:
            return "big" if params["n"] > 5 else "small"

        big, small = EmptyTask("big"), EmptyTask("small")
        join = EmptyTask("join", trigger_rule="none_failed_min_one_success")
        choose() >> [big, small] >> join
    result = dag.run(params={"n": 9})
    assert result["big"].state == "success"
    assert result["small"].state == "skipped"
    assert result["join"].state == "success"


def test_branch_task_class_and_unknown_choice_fails() -> None:
    with DAG("branch_bad") as dag:
        b = BranchTask("b", python_callable=lambda: "nowhere")
        b >> EmptyTask("x")
    result = dag.run()
    assert result["b"].state == "failed"
    assert "nowhere" in result["b"].error


def test_expand_over_upstream_result_and_literal() -> None:
    with DAG("mapped") as dag:
        @task
        def numbers() -> list[int]:
            return [1, 2, 3]

        @task
        def square(x: int) -> int:
            return x * x

        @task
        def total(values: list[int]) -> int:
            return sum(values)

        @task
        def add(x: int, y: int) -> int:
            return x + y

        total(square.expand(x=numbers()))
        add.partial(y=10).expand(x=[1, 2])
    result = dag.run()
    assert result["square"].result == [1, 4, 9]
    assert result["square"].map_indexes == (0, 1, 2)
    assert result["total"].result == 14
    assert result["add"].result == [11, 12]


def test_expand_over_empty_list_skips_and_non_list_fails() -> None:
    with DAG("mapped_edge") as dag:
        @task
        def empty() -> list:
            return []

        @task
        def scalar() -> int:
            return 3

        @task
        def each(x: int) -> int:
            return x

        each.expand(x=empty())
        each.expand(x=scalar())
    result = dag.run()
    assert result["each"].state == "skipped"
    assert result["each__1"].state == "failed"
    assert "not a list" in result["each__1"].error


def test_xcom_push_pull_and_ti_compat() -> None:
    with DAG("xcom") as dag:
        @task
        def producer(ctx) -> str:
            ctx.xcom_push("extra", {"k": 1})
            return "main"

        @task
        def consumer(ti, ctx) -> list:
            return [ti.xcom_pull(task_ids="producer"), ctx.xcom_pull("producer", key="extra")]

        producer() >> consumer()
    assert dag.run()["consumer"].result == ["main", {"k": 1}]


def test_large_result_goes_to_results_folder(legato_home: Path) -> None:
    payload = "x" * (INLINE_LIMIT * 4)
    with DAG("big") as dag:
        @task
        def a() -> str:
            return payload

        @task
        def b(p: str) -> int:
            return len(p)

        b(a())
    result = dag.run()
    assert result["b"].result == len(payload)
    files = list((legato_home / "results").rglob("*.txt"))     # a str: UTF-8, no JSON
    assert len(files) == 1 and files[0].stat().st_size > INLINE_LIMIT
    import sqlite3

    db = sqlite3.connect(legato_home / "legato.db")
    sizes = db.execute("select length(coalesce(value_json, '')) from xcom").fetchall()
    assert max(s for (s,) in sizes) < INLINE_LIMIT


def test_unserializable_result_fails_naming_task_and_type() -> None:
    class Widget:
        pass

    with DAG("unserializable", default_args={"retries": 3, "retry_delay": 0}) as dag:
        @task
        def make() -> object:
            return {"w": Widget()}

        make()
    result = dag.run()
    assert result["make"].state == "failed"
    assert result["make"].tries == 1
    assert "'make'" in result["make"].error and "Widget" in result["make"].error


def test_task_callbacks_fire_once_each() -> None:
    calls: list[tuple[str, str, int]] = []

    def record(kind: str):
        return lambda ctx: calls.append((kind, ctx.task_id, ctx.try_number))

    with DAG("callbacks", default_args={"on_failure_callback": record("failure"),
                                        "on_retry_callback": record("retry"),
                                        "on_success_callback": record("success")}) as dag:
        @task(retries=1, retry_delay=0)
        def bad() -> None:
            raise RuntimeError("x")

        @task
        def good() -> None:
            return None

        bad()
        good()
    dag.run()
    assert sorted(calls) == [("failure", "bad", 2), ("retry", "bad", 1), ("success", "good", 1)]


def test_dag_callbacks() -> None:
    seen: list[str] = []
    with DAG("dag_cb", on_failure_callback=lambda c: seen.append("fail:" + c["run_id"]),
             on_success_callback=lambda c: seen.append("ok")) as dag:
        PythonTask("p", python_callable=lambda: 1 / 0)
    result = dag.run()
    assert seen == ["fail:" + result.run_id]


def test_execution_timeout_fails_the_try() -> None:
    with DAG("slow") as dag:
        @task(execution_timeout=timedelta(seconds=0.2))
        def spin() -> None:
            end = time.monotonic() + 10
            while time.monotonic() < end:
                pass

        spin()
    t0 = time.monotonic()
    result = dag.run()
    assert result["spin"].state == "failed"
    assert "execution_timeout" in result["spin"].error
    assert time.monotonic() - t0 < 5


def test_context_attributes_and_params(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_VAR_REGION", "eu")
    monkeypatch.setenv("LEGATO_CONN_WAREHOUSE", "postgresql://u:pw@db:5432/sales")
    with DAG("ctx", schedule="@daily", params={"threshold": 5}) as dag:
        @task
        def look(ctx) -> dict:
            return {
                "ds": ctx.ds, "ds_nodash": ctx["ds_nodash"], "ts": ctx.ts,
                "start": ctx.data_interval_start.isoformat(),
                "end": ctx.data_interval_end.isoformat(), "run_id": ctx.run_id,
                "dag_id": ctx.dag_id, "task_id": ctx.task_id, "try": ctx.try_number,
                "params": ctx.params, "event": ctx.event, "var": ctx.var("region"),
                "host": ctx.conn("warehouse").host, "logical": ctx.logical_date.isoformat(),
            }

        look()
    result = dag.run(logical_date="2023-03-04", params={"threshold": 3}, event={"file": "a"})
    got = result["look"].result
    assert got["ds"] == "2023-03-04" and got["ds_nodash"] == "20230304"
    assert got["ts"] == "2023-03-04T00:00:00+00:00"
    assert got["start"] == "2023-03-04T00:00:00+00:00"
    assert got["end"] == "2023-03-05T00:00:00+00:00"
    assert got["run_id"] == result.run_id and got["dag_id"] == "ctx" and got["task_id"] == "look"
    assert got["try"] == 1 and got["params"] == {"threshold": 3}
    assert got["event"] == {"file": "a"} and got["var"] == "eu" and got["host"] == "db"


def test_shell_task_templates_and_log(legato_home: Path) -> None:
    with DAG("shell", params={"who": "ops"}) as dag:
        ShellTask("say", "echo {{ ds_nodash }}-{{ params.who }} && echo done-{{ macros.ds_add(ds, 1) }}")
        ShellTask("skip", "exit 99")
        ShellTask("fail", "echo oops; exit 3")
    result = dag.run(logical_date="2023-01-31")
    assert result["say"].result == "done-2023-02-01"
    assert result["skip"].state == "skipped"
    assert result["fail"].state == "failed" and "exited with 3" in result["fail"].error
    log = queries.read_log(load_settings(), result.run_id, "say", 1).text
    assert "20230131-ops" in log


def test_prints_and_ctx_log_reach_the_try_log(legato_home: Path) -> None:
    with DAG("logs") as dag:
        @task
        def talk(ctx) -> None:
            print("hello from print")
            ctx.log.warning("careful %s", 42)

        talk()
    result = dag.run()
    text = queries.read_log(load_settings(), result.run_id, "talk", 1).text
    assert "hello from print" in text and "careful 42" in text


def test_parallel_tasks_run_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=5)
    with DAG("parallel") as dag:
        for i in range(3):
            PythonTask(f"p{i}", python_callable=barrier.wait)
    assert dag.run().state == "success"     # would time out (BrokenBarrierError) if serial


def test_inline_executor_runs_serially_in_this_thread() -> None:
    main = threading.get_ident()
    with DAG("inline") as dag:
        PythonTask("where", python_callable=lambda: threading.get_ident() == main)
    assert dag.run(executor="inline")["where"].result is True


@pytest.mark.parametrize("rule,expected", [
    ("all_success", "upstream_failed"), ("all_failed", "skipped"), ("all_done", "success"),
    ("one_success", "success"), ("one_failed", "success"), ("none_failed", "upstream_failed"),
    ("none_failed_min_one_success", "upstream_failed"), ("none_skipped", "success"),
    ("always", "success"),
])
def test_trigger_rules_in_a_real_run(rule: str, expected: str) -> None:
    with DAG(f"rule_{rule}") as dag:
        ok = EmptyTask("ok")
        bad = PythonTask("bad", python_callable=lambda: 1 / 0)
        [ok, bad] >> EmptyTask("target", trigger_rule=rule)
    assert dag.run()["target"].state == expected


def test_runs_are_durable_in_sqlite(legato_home: Path) -> None:
    with DAG("durable") as dag:
        PythonTask("one", python_callable=lambda: 1)
    result = dag.run()
    import sqlite3

    db = sqlite3.connect(legato_home / "legato.db")
    assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    state, = db.execute("select state from dag_runs where run_id=?", (result.run_id,)).fetchone()
    assert state == "success"
    rows = db.execute("select task_id, try_number, state from task_tries").fetchall()
    assert rows == [("one", 1, "success")]
    spec = json.loads(db.execute("select spec_json from dags").fetchone()[0])
    assert spec["dag_id"] == "durable"


def test_jitter_is_seedable() -> None:
    from legato.authoring.spec import RetryPolicy
    from legato.engine.retry import retry_delay_s

    p = RetryPolicy(retries=3, delay_s=10, exponential=True, max_delay_s=None)
    assert retry_delay_s(p, 2, random.Random(1)) == retry_delay_s(p, 2, random.Random(1))


def test_long_try_writes_its_log_through_while_running(legato_home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.engine import tasklog

    monkeypatch.setattr(tasklog, "WRITE_THROUGH_AFTER_S", 0.0)
    with DAG("live_log") as dag:
        @task
        def watch(ctx) -> bool:
            print("visible while running")
            path = tasklog.log_path(legato_home / "logs", ctx.dag_id, ctx.run_id, ctx.task_id,
                                    -1, ctx.try_number)
            return "visible while running" in path.read_text()

        watch()
    assert dag.run()["watch"].result is True
