"""Pure parts: Dataset metadata and data products, URI naming, freshness, the graph walk and
the OpenLineage event shape (checked against the spec's required fields)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from legato import DAG, Dataset, task
from legato.authoring.errors import DagDefinitionError
from legato.lineage.freshness import freshness_state
from legato.lineage.graph import walk
from legato.lineage.naming import dataset_name
from legato.lineage.openlineage import TryOutcome, run_uuid, try_events
from legato.quality import Contract

NOW = datetime(2026, 1, 2, 12, tzinfo=UTC)
SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}}}


def test_metadata_never_changes_identity() -> None:
    described = Dataset("s3://b/x", owner="ana", domain="sales", freshness=timedelta(hours=1))
    assert described == Dataset("s3://b/x") and hash(described) == hash(Dataset("s3://b/x"))
    assert Dataset("s3://b/x").catalog_entry() is None
    entry = described.catalog_entry()
    assert entry is not None and entry["freshness_s"] == 3600 and entry["owner"] == "ana"


def test_a_contract_gives_schema_and_name() -> None:
    contract = Contract(SCHEMA, name="ids")
    d = Dataset("s3://b/p", owner="ana", domain="sales", schema=contract, product=True)
    assert d.json_schema == SCHEMA and d.contract_name == "ids"


@pytest.mark.parametrize("kwargs, missing", [
    ({"domain": "sales", "schema": SCHEMA}, "owner"),
    ({"owner": "ana", "schema": SCHEMA}, "domain"),
    ({"owner": "ana", "domain": "sales"}, "schema"),
])
def test_a_product_without_owner_domain_or_contract_is_refused(kwargs: dict, missing: str) -> None:
    with pytest.raises(DagDefinitionError, match=f"data product 's3://b/p' needs {missing}"):
        Dataset("s3://b/p", product=True, **kwargs)


@pytest.mark.parametrize("kwargs, text", [
    ({"freshness": timedelta(0)}, "freshness must be a positive timedelta"),
    ({"freshness": 60}, "freshness must be a positive timedelta"),
    ({"owner": " "}, "owner must be a non-empty string"),
    ({"schema": "not a schema"}, "schema must be a JSON Schema dict"),
])
def test_bad_metadata_names_what_is_wrong(kwargs: dict, text: str) -> None:
    with pytest.raises(DagDefinitionError, match=text):
        Dataset("s3://b/x", **kwargs)


def test_outlets_take_the_dag_domain_into_the_spec() -> None:
    with DAG("d", domain="finance") as dag:
        @task(inlets=[Dataset("s3://in")], outlets=[Dataset("s3://out", owner="bo")])
        def t() -> None: ...
        t()
    entries = {e["uri"]: e for e in dag.spec().datasets}
    assert entries["s3://out"] == {"uri": "s3://out", "owner": "bo", "domain": "finance"}
    assert "s3://in" not in entries                          # a bare inlet describes nothing


@pytest.mark.parametrize("uri, expected", [
    ("s3://bucket/dir/key.csv", ("s3://bucket", "dir/key.csv")),
    ("postgres://db:5432/shop.public.orders", ("postgres://db:5432", "shop.public.orders")),
    ("file:///data/x.csv", ("file", "/data/x.csv")),
    ("sales.daily", ("legato", "sales.daily")),
])
def test_openlineage_names(uri: str, expected: tuple[str, str]) -> None:
    assert dataset_name(uri) == expected


@pytest.mark.parametrize("slo, age_s, state", [
    (None, 10, "unknown"), (3600, None, "stale"), (3600, 3599, "fresh"), (3600, 3601, "stale"),
])
def test_freshness(slo: float | None, age_s: float | None, state: str) -> None:
    last = None if age_s is None else NOW - timedelta(seconds=age_s)
    assert freshness_state(slo, last, NOW) == state


@dataclass
class R:
    dag_id: str
    task_id: str
    uri: str
    role: str


REFS = [R("p", "load", "raw", "inlet"), R("p", "load", "sales", "outlet"),
        R("c", "report", "sales", "inlet"), R("c", "report", "pdf", "outlet"),
        R("c", "mail", "pdf", "inlet")]


def test_walk_up_and_down_with_depth() -> None:
    g = walk(REFS, "pdf", "upstream", depth=1).to_json()
    ids = {n["id"] for n in g["nodes"]}
    assert ids == {"dataset:pdf", "task:c.report", "dataset:sales"}       # one step only
    g = walk(REFS, "pdf", "upstream", depth=2).to_json()
    assert {"task:p.load", "dataset:raw"} <= {n["id"] for n in g["nodes"]}
    assert {"source": "dataset:raw", "target": "task:p.load", "kind": "reads"} in g["edges"]
    down = walk(REFS, "sales", "downstream", depth=5).to_json()
    assert {n["id"] for n in down["nodes"]} == {"dataset:sales", "task:c.report",
                                                "dataset:pdf", "task:c.mail"}
    with pytest.raises(ValueError, match="direction"):
        walk(REFS, "pdf", "sideways")


REQUIRED_EVENT = ("eventType", "eventTime", "producer", "schemaURL", "run", "job")


def _check_event(ev: dict) -> None:
    """The OpenLineage 2-0-2 RunEvent's required fields and formats."""
    for key in REQUIRED_EVENT:
        assert key in ev, key
    assert ev["eventType"] in ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
    datetime.fromisoformat(ev["eventTime"])
    assert ev["producer"].startswith("https://") and ev["schemaURL"].startswith("https://openlineage.io/spec/")
    uuid.UUID(ev["run"]["runId"])
    assert ev["job"]["namespace"] and ev["job"]["name"]
    for ds in ev["inputs"] + ev["outputs"]:
        assert set(ds) >= {"namespace", "name"}
    for facet in ev["run"].get("facets", {}).values():
        assert facet["_producer"] and facet["_schemaURL"]


def test_try_events_shape_and_stable_run_id() -> None:
    t = TryOutcome("d", "run1", "t", -1, 2, "up_for_retry", NOW - timedelta(seconds=3), NOW,
                   "boom", "RuntimeError")
    start, end = try_events(t, ["s3://b/in"], ["s3://b/out"],
                            schemas={"s3://b/out": SCHEMA})
    for ev in (start, end):
        _check_event(ev)
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert start["run"]["runId"] == end["run"]["runId"] == run_uuid("run1", "t", -1, 2)
    assert run_uuid("run1", "t", -1, 3) != run_uuid("run1", "t", -1, 2)
    assert end["run"]["facets"]["errorMessage"]["message"] == "RuntimeError: boom"
    assert end["run"]["facets"]["parent"]["job"] == {"namespace": "legato", "name": "d"}
    assert end["outputs"][0]["facets"]["schema"]["fields"] == [{"name": "id", "type": "integer"}]
    assert start["eventTime"] < end["eventTime"]
    ok = try_events(TryOutcome("d", "run1", "t", 0, 1, "success", NOW, NOW), [], [])
    assert [e["eventType"] for e in ok] == ["START", "COMPLETE"]
    assert try_events(TryOutcome("d", "r", "t", -1, 0, "upstream_failed", None, NOW), [], []) == []
