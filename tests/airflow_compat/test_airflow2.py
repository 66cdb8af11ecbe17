"""Airflow 2 files run too (Airflow 3.3.2 itself refuses them, so they are not in the recorded
corpus): old module names, schedule_interval, provide_context, days_ago, DummyOperator,
none_failed_or_skipped, airflow.datasets. Expected states follow Airflow 2's documentation."""

from __future__ import annotations

from pathlib import Path

from .corpus import outcome

HERE = Path(__file__).parent / "dags_airflow2"


def test_airflow2_style_branching_dag(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path))
    got = outcome(HERE / "airflow2_style.py", "airflow2_style")
    # 2024-01-03 is an odd day: the branch follows "odd"; the join (none_failed_or_skipped,
    # Airflow 2's name for none_failed_min_one_success) runs after the skipped "even"
    assert got == {"state": "success", "tasks": {
        "start": "success", "pick": "success", "even": "skipped", "odd": "success",
        "report": "success"}}
