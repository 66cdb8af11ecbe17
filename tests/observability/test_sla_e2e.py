"""End to end through a scheduler: a scheduled run of a DAG whose past runs took 40 hours,
with a 30-hour SLA, is warned about (SlaAtRisk on the bus, a log line, the counter) once,
while it runs and before its deadline."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine.bus import Bus, SlaAtRisk
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.observability.listener import attach
from legato.observability.metrics import REGISTRY
from legato.observability.sla_watch import SlaWatch
from legato.store import runs as run_store
from legato.store.db import open_engine
from waiting import eventually

DAG_FILE = """
import time
from datetime import timedelta
from pathlib import Path
from legato import DAG, task

with DAG('slow_sla', schedule='@daily', start_date={start!r}, sla=timedelta(hours=30)) as dag:
    @task
    def crunch():
        deadline = time.monotonic() + 60
        while not Path({marker!r}).exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    crunch()
"""


def at_risk_count(dag_id: str) -> float:
    for family in REGISTRY.collect():
        for s in family.samples:
            if s.name == "legato_sla_at_risk_total" and dict(s.labels) == {"dag_id": dag_id}:
                return s.value
    return 0.0


def past_runs(n: int, hours: float) -> list[run_store.RunRow]:
    rows = []
    for i in range(n):
        start = datetime.now(UTC) - timedelta(days=10 + 3 * i)
        rows.append(run_store.RunRow(
            f"manual__history_{i}", "slow_sla", "manual", start, start, start, "success", {}, None,
            start, start, start + timedelta(hours=hours)))
    return rows


def _count_passes(watch: SlaWatch | None, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The times of the watch's forecast passes, each noted once its check has returned (the
    pass before it has published whatever it found)."""
    assert watch is not None
    passes: list[datetime] = []
    check = watch.check

    def counted(now: datetime) -> list[SlaAtRisk]:
        found = check(now)
        passes.append(now)
        return found

    monkeypatch.setattr(watch, "check", counted)
    return passes


def test_a_run_predicted_late_is_warned_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    dags, marker = tmp_path / "dags", tmp_path / "release"
    dags.mkdir()
    start = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    (dags / "slow_sla.py").write_text(DAG_FILE.format(start=start, marker=str(marker)))
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    monkeypatch.setenv("LEGATO_SLA_FORECAST_S", "0.1")
    settings = load_settings()
    engine = open_engine(settings.database_url)
    with engine.begin() as conn:
        for row in past_runs(5, hours=40):
            run_store.insert_run(conn, row)
    bus = Bus()
    observability = attach(bus, settings)
    passes = _count_passes(observability.sla_watch, monkeypatch)
    warnings: list[SlaAtRisk] = []
    bus.subscribe(SlaAtRisk, warnings.append)
    before = at_risk_count("slow_sla")
    runner = make_executor("local")
    stop = threading.Event()
    thread = threading.Thread(target=Scheduler(settings, runner, bus=bus, poll_s=0.05).serve,
                              args=(stop,), daemon=True)
    thread.start()
    try:
        eventually(lambda: warnings, 30, what="an SlaAtRisk event")
        with engine.connect() as conn:
            (run,) = run_store.runs_in_state(conn, "running", "slow_sla")
        assert run.run_type == "scheduled"
        seen = len(passes)
        eventually(lambda: len(passes) >= seen + 3, 30, what="three more forecast passes")
        marker.write_text("go")                   # ... which warned no more: still one
        eventually(lambda: _state(engine, run.run_id) == "success", 30, what="the run to finish")
    finally:
        stop.set()
        thread.join(timeout=30)
        runner.shutdown()
    (warning,) = warnings
    assert warning.run_id == run.run_id and warning.dag_id == "slow_sla"
    assert warning.deadline == run.data_interval_end + timedelta(hours=30)
    assert warning.at < warning.deadline < warning.predicted_end
    assert warning.predicted_end == run.start_date + timedelta(hours=40)
    assert at_risk_count("slow_sla") - before == 1
    assert observability.sla_watch.warned == {run.run_id}
    logged = [r for r in caplog.records if r.name == "legato.sla"]
    assert len(logged) == 1 and "SLA at risk" in logged[0].getMessage()
    assert logged[0].run_id == run.run_id  # type: ignore[attr-defined]


def _state(engine: object, run_id: str) -> str | None:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        run = run_store.get_run(conn, run_id)
    return run.state if run else None
