"""Datasets: identity by URI, declared as inlets/outlets and kept in the DAG's spec."""

from __future__ import annotations

import pytest

from legato import DAG, Dataset, task


def test_dataset_identity_is_its_uri() -> None:
    assert Dataset("duckdb://w/sales", extra={"owner": "a"}) == Dataset("duckdb://w/sales")
    assert len({Dataset("s3://b/x"), Dataset("s3://b/x"), Dataset("s3://b/y")}) == 2
    with pytest.raises(ValueError, match="non-empty"):
        Dataset("  ")


def test_inlets_and_outlets_reach_the_spec() -> None:
    with DAG("lineage") as dag:
        @task(inlets=[Dataset("s3://raw/po.csv")], outlets=[Dataset("duckdb://w/po")])
        def load() -> None:
            return None

        load()
    spec = dag.spec().tasks["load"]
    assert spec.inlets == ("s3://raw/po.csv",) and spec.outlets == ("duckdb://w/po",)
