"""OpenTelemetry spans for a run with a failing-then-retried task: one trace per run whose
root is the run, one child per try, ids derived from the run, attributes and status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato import DAG, task
from legato.config import Settings, load_settings
from legato.engine.bus import Bus, RunFinished, TaskFinished
from legato.observability import tracing


def retried_dag() -> DAG:
    calls = {"n": 0}
    with DAG("traced") as dag:
        @task
        def extract() -> int:
            return 1

        @task(retries=1, retry_delay=0)
        def load(x: int) -> int:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("warehouse busy")
            return x

        load(extract())
    return dag


def test_a_run_is_one_trace_with_a_span_per_try(spans: object) -> None:
    result = retried_dag().run()
    assert result.state == "success"
    finished = spans.get_finished_spans()  # type: ignore[attr-defined]
    (root,) = [s for s in finished if s.parent is None]
    tries = sorted((s for s in finished if s.parent is not None),
                   key=lambda s: (s.name, s.attributes["legato.try_number"]))
    run_id = root.attributes["legato.run_id"]
    assert root.name == "traced" and root.attributes["legato.state"] == "success"
    assert root.context.trace_id == tracing.trace_id_of(run_id)
    assert root.context.span_id == tracing.run_span_id_of(run_id)
    assert [(s.name, s.attributes["legato.try_number"], s.attributes["legato.state"])
            for s in tries] == [("extract", 1, "success"), ("load", 1, "up_for_retry"),
                                ("load", 2, "success")]
    for s in tries:
        assert s.context.trace_id == root.context.trace_id
        assert s.parent.span_id == root.context.span_id
        assert s.attributes["legato.dag_id"] == "traced"
        assert s.attributes["legato.run_id"] == run_id
        assert s.attributes["legato.task_id"] == s.name
        assert s.attributes["legato.map_index"] == -1
        assert root.start_time <= s.start_time <= s.end_time <= root.end_time
    failed_try, retry = tries[1], tries[2]
    assert failed_try.status.status_code.name == "ERROR"
    assert failed_try.status.description == "RuntimeError: warehouse busy"
    assert retry.status.status_code.name == "UNSET"
    assert failed_try.end_time <= retry.start_time
    assert failed_try.context.span_id == tracing.try_span_id_of(run_id, "load", -1, 1)


def test_a_failed_run_has_an_error_root(spans: object) -> None:
    with DAG("traced_fail") as dag:
        @task
        def boom() -> None:
            raise ValueError("bad input")

        boom()
    assert dag.run().state == "failed"
    by_name = {s.name: s for s in spans.get_finished_spans()}  # type: ignore[attr-defined]
    assert by_name["traced_fail"].status.status_code.name == "ERROR"
    assert by_name["boom"].status.description == "ValueError: bad input"
    assert by_name["boom"].attributes["legato.state"] == "failed"


def test_tracing_is_off_without_legato_otel(spans: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_OTEL")
    assert tracing.tracer_for(load_settings()) is None
    retried_dag().run()
    assert spans.get_finished_spans() == ()  # type: ignore[attr-defined]


def test_a_restart_continues_the_same_trace(spans: object) -> None:
    """Two tracers (a scheduler before and after a restart) give one trace, one root."""
    now = datetime.now(UTC)
    first = tracing.tracer_for(load_settings())
    assert first is not None
    first.on_task(TaskFinished("d", "run-1", "a", -1, 1, "success", None, None, now, now))
    before = list(spans.get_finished_spans())  # type: ignore[attr-defined]
    tracing.reset()                                  # the scheduler stops (flushing its spans)
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    after = InMemorySpanExporter()
    tracing.use_exporter(after)
    second = tracing.tracer_for(load_settings())
    assert second is not None and second is not first
    second.on_task(TaskFinished("d", "run-1", "b", -1, 1, "success", None, None, now, now))
    second.on_run(RunFinished("d", "run-1", "success", now), None)
    got = before + list(after.get_finished_spans())
    assert len(got) == 3
    assert len({s.context.trace_id for s in got}) == 1
    (root,) = [s for s in got if s.parent is None]
    assert all(s.parent.span_id == root.context.span_id for s in got if s.parent is not None)


def test_otlp_without_its_exporter_logs_an_error_and_runs_untraced(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("opentelemetry.sdk")
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        pytest.skip("the OTLP exporter is installed here")
    except ImportError:
        pass
    tracing.reset()
    settings = Settings(home=load_settings().home, database_url="sqlite://", dags_folder=Path("."),
                        otel="otlp")
    try:
        assert tracing.tracer_for(settings) is None
        assert "pip install opentelemetry-exporter-otlp" in caplog.text
        from legato.observability.listener import attach

        assert attach(Bus(), settings).traces is None
    finally:
        tracing.reset()
