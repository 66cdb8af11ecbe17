"""Sensors end to end through dag.run(): poke, reschedule and deferrable modes."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato import DAG
from legato.authoring.errors import DagDefinitionError
from legato.engine import triggerer
from legato.sensors import FileSensor, HttpSensor, PythonSensor
from legato.tasks import EmptyTask, PythonTask
from waiting import eventually


def _touch_later(path: Path, delay: float) -> threading.Thread:
    t = threading.Timer(delay, path.write_text, args=("x",))
    t.start()
    return t


def test_file_sensor_poke_mode_waits_for_a_templated_path(tmp_path: Path) -> None:
    target = tmp_path / "data_2023-01-05.csv"
    with DAG("fs_poke") as dag:
        FileSensor("wait", str(tmp_path / "data_{{ ds }}.csv"), poke_interval=0.05, timeout=10)
    timer = _touch_later(target, 0.3)
    t0 = time.monotonic()
    result = dag.run(logical_date="2023-01-05")
    timer.join()
    assert result.state == "success"
    assert result["wait"].tries == 1
    assert time.monotonic() - t0 >= 0.25


def test_timeout_fails_without_retry(tmp_path: Path) -> None:
    with DAG("fs_timeout", default_args={"retries": 3, "retry_delay": 0}) as dag:
        FileSensor("wait", str(tmp_path / "never"), poke_interval=0.02, timeout=0.1)
    result = dag.run()
    assert result["wait"].state == "failed"
    assert result["wait"].tries == 1
    assert "timed out" in result["wait"].error


def test_soft_fail_skips_and_downstream_is_skipped(tmp_path: Path) -> None:
    with DAG("fs_soft") as dag:
        wait = FileSensor("wait", str(tmp_path / "never"), poke_interval=0.02, timeout=0.1,
                          soft_fail=True)
        wait >> EmptyTask("after")
    result = dag.run()
    assert result["wait"].state == "skipped"
    assert result["after"].state == "skipped"


def test_reschedule_mode_keeps_try_number_and_frees_the_worker(tmp_path: Path) -> None:
    pokes: list[int] = []
    other_ran = threading.Event()

    def ready(ctx) -> bool:
        pokes.append(ctx.try_number)
        return other_ran.is_set() and len(pokes) >= 3

    with DAG("resched", default_args={"retries": 2}) as dag:
        PythonSensor("wait", ready, poke_interval=0.05, timeout=10, mode="reschedule")
        PythonTask("other", lambda: other_ran.set())
    result = dag.run(max_workers=1)
    assert result.state == "success"
    assert result["wait"].tries == 1
    assert len(pokes) >= 3 and set(pokes) == {1}
    assert result["other"].state == "success"


def test_reschedule_timeout_counts_from_the_first_poke() -> None:
    with DAG("resched_timeout", default_args={"retries": 2, "retry_delay": 0}) as dag:
        PythonSensor("wait", lambda: False, poke_interval=0.03, timeout=0.2, mode="reschedule")
    t0 = time.monotonic()
    result = dag.run()
    assert result["wait"].state == "failed"
    assert result["wait"].tries == 1
    assert 0.15 <= time.monotonic() - t0 < 5


def test_python_sensor_true_on_third_poke_returns_value() -> None:
    calls: list[int] = []

    def third() -> object:
        calls.append(1)
        return {"n": len(calls)} if len(calls) >= 3 else None

    with DAG("py_sensor") as dag:
        PythonSensor("wait", third, poke_interval=0.01)
    result = dag.run()
    assert result.state == "success"
    assert result["wait"].result == {"n": 3}
    assert len(calls) == 3


def test_python_sensor_cannot_be_deferred() -> None:
    with DAG("py_defer"), pytest.raises(DagDefinitionError, match="cannot be deferred"):
        PythonSensor("wait", lambda: True, mode="deferrable")


def test_bad_mode_rejected() -> None:
    with DAG("bad_mode"), pytest.raises(DagDefinitionError, match="mode"):
        FileSensor("wait", "/x", mode="sometimes")


@pytest.fixture
def flaky_server() -> Iterator[str]:
    hits: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            hits.append(1)
            self.send_response(200 if len(hits) >= 3 else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ready"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mode", ["poke", "deferrable"])
def test_http_sensor_404_then_200(flaky_server: str, mode: str) -> None:
    with DAG(f"http_{mode}") as dag:
        HttpSensor("wait", flaky_server, poke_interval=0.05, timeout=10, mode=mode)
    result = dag.run()
    assert result.state == "success"
    assert result["wait"].tries == 1


def test_deferrable_timeout_soft_fail(tmp_path: Path) -> None:
    with DAG("defer_timeout") as dag:
        FileSensor("hard", str(tmp_path / "never"), poke_interval=0.02, timeout=0.2,
                   mode="deferrable", retries=2)
        FileSensor("soft", str(tmp_path / "never"), poke_interval=0.02, timeout=0.2,
                   mode="deferrable", soft_fail=True)
    result = dag.run()
    assert result["hard"].state == "failed"
    assert result["hard"].tries == 1
    assert result["soft"].state == "skipped"


def test_thousand_deferred_file_sensors_share_one_thread(tmp_path: Path) -> None:
    n, workers = 1000, 4
    with DAG("defer_many") as dag:
        for i in range(n):
            FileSensor(f"wait_{i}", str(tmp_path / f"f{i}"), poke_interval=0.05, timeout=60,
                       mode="deferrable")
    baseline = threading.active_count() - (1 if triggerer.started() else 0)
    box: dict[str, object] = {}
    runner = threading.Thread(target=lambda: box.update(result=dag.run(max_workers=workers)))
    runner.start()
    eventually(lambda: triggerer.get_triggerer().pending >= n, 30, what=f"{n} deferred sensors")
    assert triggerer.get_triggerer().pending == n
    # the run's thread, its worker pool and the one triggerer thread; no thread per sensor
    assert threading.active_count() <= baseline + 1 + workers + 1
    t0 = time.monotonic()
    for i in range(n):
        (tmp_path / f"f{i}").write_text("x")
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert time.monotonic() - t0 < 5
    result = box["result"]
    assert result.state == "success"  # type: ignore[attr-defined]
    assert all(result[f"wait_{i}"].tries == 1 for i in range(n))  # type: ignore[index]


@pytest.mark.parametrize("mode", ["reschedule", "deferrable"])
def test_inline_executor_supports_reschedule_and_deferral(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "late"
    with DAG(f"inline_{mode}") as dag:
        FileSensor("wait", str(target), poke_interval=0.05, timeout=10, mode=mode)
    timer = _touch_later(target, 0.2)
    result = dag.run(executor="inline")
    timer.join()
    assert result.state == "success"
    assert result["wait"].tries == 1
