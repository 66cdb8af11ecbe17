"""The SLA forecast on constructed histories (pure), and the watch that publishes SlaAtRisk
(once per run) from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.observability.sla_forecast import at_risk, predict_end, quantile
from legato.observability.sla_watch import sla_lookup

T0 = datetime(2025, 1, 1, tzinfo=UTC)
MIN = 60.0


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("values, q, expected", [
    ([5.0], 0.9, 5.0), ([1, 2, 3, 4, 5], 0.5, 3.0), ([5, 1, 4, 2, 3], 0.9, 4.6),
    ([10, 20], 0.0, 10.0), ([10, 20], 1.0, 20.0),
])
def test_quantile(values: list[float], q: float, expected: float) -> None:
    assert quantile(values, q) == pytest.approx(expected)


def test_quantile_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        quantile([1.0], 1.5)


HISTORY = [m * MIN for m in (10, 10, 11, 12, 12, 13, 14, 15, 20, 30)]


@pytest.mark.parametrize("history, elapsed_min, expected_end_min, outlier", [
    # at the start: the p90 of all ten runs (20 + 0.1 * (30 - 20) = 21)
    (HISTORY, 0, 21.0, False),
    # 14 min in: only the runs longer than 14 min count (15, 20, 30): p90 = 28
    (HISTORY, 14, 28.0, False),
    # 31 min in, longer than every past run: now + (p90 - median) = 31 + (21 - 12.5)
    (HISTORY, 31, 39.5, True),
    # a steady DAG outlasted: the tail is at least a tenth of the median
    ([10 * MIN] * 5, 11, 12.0, True),
])
def test_predicted_end(history: list[float], elapsed_min: float, expected_end_min: float,
                       outlier: bool) -> None:
    forecast = predict_end(history, T0, at(elapsed_min))
    assert forecast is not None
    assert forecast.predicted_end == at(expected_end_min)
    assert forecast.outlier is outlier


def test_too_little_history_gives_no_forecast() -> None:
    assert predict_end([600.0, 700.0], T0, at(1)) is None
    assert predict_end([600.0, float("nan"), -5.0, 700.0], T0, at(1)) is None   # junk ignored
    assert predict_end([600.0, 700.0, 800.0], T0, at(1)) is not None


@pytest.mark.parametrize("deadline_min, now_min, risky", [
    (60, 1, False),      # p90 21 min: comfortably inside the deadline
    (20, 1, True),       # p90 ends at 21 > 20: warn, 19 minutes early
    (21, 1, False),      # exactly on the deadline is not late
    (20, 25, False),     # deadline passed: an SLA miss (the scheduler reports it), not a risk
    (35, 31, True),      # outlasted all history; predicted 39.5 > 35
])
def test_at_risk(deadline_min: float, now_min: float, risky: bool) -> None:
    forecast = at_risk(HISTORY, T0, at(deadline_min), at(now_min))
    assert (forecast is not None) is risky


def test_sla_lookup_only_reads_dags_of_the_scheduler_folder(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from legato import DAG
    from legato.config import load_settings
    from legato.engine.runs_create import record_dag
    from legato.store.db import open_engine
    from legato.tasks import EmptyTask

    with DAG("sla_lookup_demo", sla=timedelta(hours=2)) as dag:
        EmptyTask("noop")
    url = load_settings().database_url
    with open_engine(url).begin() as conn:                  # as the scheduler records it
        record_dag(conn, dag, datetime.now(UTC))
    assert sla_lookup(Path(dag.fileloc).parent, url)("sla_lookup_demo", dag.fileloc) == timedelta(hours=2)
    assert sla_lookup(tmp_path, url)("sla_lookup_demo", dag.fileloc) is None        # not its folder
    missing = tmp_path / "gone.py"
    assert sla_lookup(tmp_path, url)("nobody", str(missing)) is None                # never raises
