"""A data-quality failure (over the reject ratio, or drift) opens a data_quality incident:
the quality gates raise DataQualityError and the incident listener keys on its name."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from qhelpers import write_dag

from legato import DAG, task
from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.quality import drift_gate

incidents = pytest.importorskip("legato.services.incidents")


def test_over_ratio_validation_opens_a_data_quality_incident(tmp_path: Path) -> None:
    (dag,) = load_file(write_dag(tmp_path, tmp_path / "w.db", ratio=0.1)).dags
    result = dag.run()
    assert result.state == "failed"
    (incident,) = incidents.list_incidents(load_settings(), dag_id="po_ingest")
    assert incident.kind == "data_quality" and incident.task_id == "load"
    assert incident.error_type == "DataQualityError" and "rejected" in (incident.error or "")


def test_drift_opens_a_data_quality_incident() -> None:
    with DAG("mesh_gate") as dag:
        @task
        def publish(ctx):
            rng = random.Random(ctx.params["seed"])
            mean = ctx.params["mean"]
            return len(drift_gate([{"v": rng.gauss(mean, 1)} for _ in range(1000)],
                                  dataset="mesh"))
        publish()
    assert dag.run(params={"seed": 1, "mean": 0}).state == "success"
    assert incidents.list_incidents(load_settings(), dag_id="mesh_gate") == []
    assert dag.run(params={"seed": 2, "mean": 1}).state == "failed"
    (incident,) = incidents.list_incidents(load_settings(), dag_id="mesh_gate")
    assert incident.kind == "data_quality" and "drifted" in (incident.error or "")
