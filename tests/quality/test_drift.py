"""The drift gate on generated data with known shifts (seeded, sizes chosen to be robust)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from legato import DAG, task
from legato.config import load_settings
from legato.quality import DataQualityError, compare, drift_gate, pin_reference, profile
from legato.services import quality

N = 5000


def orders(seed: int, shift_sd: float = 0.0, n: int = N) -> list[dict]:
    rng = random.Random(seed)
    return [{"amount": rng.gauss(100 + 15 * shift_sd, 15),
             "quantity": rng.randint(1, 20),
             "region": rng.choice(["emea", "amer", "apac"])} for _ in range(n)]


def test_one_sd_mean_shift_is_caught_and_a_resample_is_not() -> None:
    reference = profile(orders(1))
    same = compare(reference, profile(orders(2)))
    shifted = compare(reference, profile(orders(3, shift_sd=1.0)))
    assert same["drifted"] == []
    assert same["columns"]["amount"]["psi"] < 0.05 and same["columns"]["amount"]["ks"] < 0.05
    assert shifted["drifted"] == ["amount"]
    # for normals one sd apart, KS = 2*Phi(0.5) - 1 = 0.383
    assert shifted["columns"]["amount"]["ks"] == pytest.approx(0.383, abs=0.05)
    assert shifted["columns"]["amount"]["psi"] > 0.5


def test_categorical_shift_is_caught() -> None:
    reference = profile(orders(1))
    rows = orders(4)
    for r in rows[: N // 2]:
        r["region"] = "emea"
    assert "region" in compare(reference, profile(rows))["drifted"]


def test_gate_first_data_is_the_reference_then_holds_drift(legato_home: Path) -> None:
    settings = load_settings()
    first = orders(1)
    assert drift_gate(first, dataset="orders") is first
    assert drift_gate(orders(2), dataset="orders") is not None
    with pytest.raises(DataQualityError, match="amount") as info:
        drift_gate(orders(3, shift_sd=1.0), dataset="orders")
    assert "quarantine" in str(info.value)
    reports = quality.list_reports(settings, dataset="orders")
    assert [r.status for r in reports] == ["held", "passed", "baseline"]
    held = reports[0]
    assert held.report["drifted"] == ["amount"]
    lines = Path(held.quarantine_path).read_text().splitlines()
    assert len(lines) == N and "amount" in json.loads(lines[0])
    assert Path(held.quarantine_path).is_relative_to(legato_home / "quarantine")


def test_pinned_reference_replaces_the_first(legato_home: Path) -> None:
    drift_gate(orders(1), dataset="orders")
    pin_reference("orders", orders(5, shift_sd=1.0))
    drift_gate(orders(6, shift_sd=1.0), dataset="orders")      # matches the pinned reference
    with pytest.raises(DataQualityError):
        drift_gate(orders(7), dataset="orders")
    ref = quality.get_reference(load_settings(), "orders")
    assert ref is not None and ref.pinned


def test_gate_inside_a_task_fails_it_with_data_quality_error(legato_home: Path) -> None:
    with DAG("mesh_publish") as dag:
        @task
        def publish(ctx):
            data = orders(1) if ctx.params.get("day") == 1 else orders(3, shift_sd=1.0)
            return len(drift_gate(data, dataset="supply_chain.orders"))

        publish()
    assert dag.run(params={"day": 1}).state == "success"
    failed = dag.run(params={"day": 2})
    assert failed.state == "failed" and failed["publish"].tries == 1
    (held, _) = quality.list_reports(load_settings(), dataset="supply_chain.orders")
    assert held.status == "held" and held.dag_id == "mesh_publish" and held.task_id == "publish"
    assert held.run_id == failed.run_id
