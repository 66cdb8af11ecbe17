"""The quality routes against a real uvicorn server on a loopback port, through httpx."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from qhelpers import po, write_dag

from legato.authoring.loader import load_file
from legato.config import load_settings
from legato.quality import DataQualityError, drift_gate
from legato.security import create_token
from legato.server.app import PREFIX, create_app
from server_harness import uvicorn_serving


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, httpx.Client]]:
    """Clients per role against a live server, with one DAG run's dead letters in the store."""
    dags = tmp_path / "dags"
    dags.mkdir()
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    monkeypatch.delenv("LEGATO_RATE_LIMIT", raising=False)
    (dag,) = load_file(write_dag(dags, tmp_path / "w.db")).dags
    assert dag.run().state == "success"
    settings = load_settings()
    tokens = {role: create_token(settings, role, f"t-{role}")[0]
              for role in ("viewer", "operator", "admin")}
    with uvicorn_serving(create_app(settings)) as root:
        clients = {role: httpx.Client(base_url=root + PREFIX, timeout=30,
                                      headers={"Authorization": f"Bearer {token}"})
                   for role, token in tokens.items()}
        clients["anonymous"] = httpx.Client(base_url=root + PREFIX, timeout=30)
        try:
            yield clients
        finally:
            for c in clients.values():
                c.close()


def test_list_show_fix_discard_replay_and_audit(api: dict[str, httpx.Client]) -> None:
    viewer, operator = api["viewer"], api["operator"]
    listed = viewer.get("/dlq", params={"dag_id": "po_ingest", "status": "pending"})
    assert listed.status_code == 200
    first, second, third = (e["id"] for e in listed.json())
    assert viewer.get(f"/dlq/{first}").json()["errors"][0]["path"] == "$.items[0].quantity"
    assert api["anonymous"].get("/dlq").status_code == 401
    assert viewer.post("/dlq/replay", json={"all": True}).status_code == 403
    assert viewer.put(f"/dlq/{first}", json={"record": po(9)}).status_code == 403

    fixed = operator.put(f"/dlq/{first}", json={"record": po(9)})
    assert fixed.status_code == 200 and fixed.json()["record"] == po(9)
    assert operator.post(f"/dlq/{second}", json={"record": po(8)}).status_code == 200
    assert operator.post(f"/dlq/{third}/discard").json()["status"] == "discarded"

    replay = operator.post("/dlq/replay", json={"ids": [first, second, third]})
    assert replay.status_code == 200, replay.text
    body = replay.json()
    assert body["replayed"] == [first, second] and str(third) in body["skipped"]
    again = operator.post("/dlq/replay", json={"ids": [first, second]}).json()
    assert again["replayed"] == []                          # exactly once
    statuses = {e["id"]: e["status"] for e in viewer.get("/dlq").json()}
    assert statuses == {first: "replayed", second: "replayed", third: "discarded"}

    audit = api["admin"].get("/audit").json()
    actions = [row["action"] for row in audit]
    assert actions.count("replay") == 2 and "fix" in actions and "discard" in actions
    replay_row = next(row for row in audit if row["action"] == "replay"
                      and row["detail"]["replayed"])
    assert replay_row["detail"]["replayed"] == [first, second]


def test_bad_input_is_4xx_with_a_message(api: dict[str, httpx.Client]) -> None:
    operator = api["operator"]
    (first, *_) = (e["id"] for e in operator.get("/dlq").json())
    cases = [
        operator.get("/dlq/999999"),
        operator.get("/dlq/0"),
        operator.get("/dlq/99999999999999999999"),
        operator.get("/dlq/abc"),
        operator.get("/dlq", params={"status": "nope"}),
        operator.get("/dlq", params={"dag_id": "a\x00b"}),
        operator.get("/dlq", params={"limit": 0}),
        operator.post("/dlq/replay", json={}),
        operator.post("/dlq/replay", json={"ids": [2**40]}),
        operator.post("/dlq/replay", content="not json", headers={"Content-Type": "application/json"}),
        operator.put(f"/dlq/{first}", json={"nothing": 1}),
        operator.put("/dlq/424242", json={"record": {}}),
        operator.post(f"/dlq/{first}/discard"),
        operator.post(f"/dlq/{first}/discard"),              # the second time: already discarded
        operator.get("/quality/reports", params={"status": "weird"}),
        operator.get("/quality/reports/77"),
        operator.get("/quality/references/none"),
    ]
    codes = [r.status_code for r in cases]
    assert codes[12] == 200
    del cases[12], codes[12]
    for r in cases:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert codes[0] == 404 and "999999" in cases[0].json()["detail"]
    assert "discarded" in cases[12].json()["detail"]


def test_drift_reports_are_served(api: dict[str, httpx.Client]) -> None:
    rng = random.Random(3)
    drift_gate([{"x": rng.gauss(0, 1)} for _ in range(1000)], dataset="mesh.orders")
    with pytest.raises(DataQualityError):
        drift_gate([{"x": rng.gauss(2, 1)} for _ in range(1000)], dataset="mesh.orders")
    viewer = api["viewer"]
    reports = viewer.get("/quality/reports", params={"dataset": "mesh.orders"}).json()
    assert [r["status"] for r in reports] == ["held", "baseline"]
    assert reports[0]["report"]["drifted"] == ["x"] and reports[0]["quarantine_path"]
    assert "profile" not in reports[0]["report"]
    full = viewer.get(f"/quality/reports/{reports[0]['id']}").json()
    assert full["report"]["profile"]["row_count"] == 1000
    assert viewer.get("/quality/reports", params={"status": "held"}).json()[0]["id"] == reports[0]["id"]
    ref = viewer.get("/quality/references/mesh.orders").json()
    assert ref["pinned"] is False and ref["profile"]["row_count"] == 1000


def test_pin_a_reference_over_the_api(api: dict[str, httpx.Client]) -> None:
    rng = random.Random(5)
    drift_gate([{"x": rng.gauss(0, 1)} for _ in range(1000)], dataset="d")
    with pytest.raises(DataQualityError):
        drift_gate([{"x": rng.gauss(3, 1)} for _ in range(1000)], dataset="d")
    held = api["viewer"].get("/quality/reports", params={"status": "held"}).json()[0]
    assert api["viewer"].put("/quality/references/d", json={"report_id": held["id"]}).status_code == 403
    pinned = api["operator"].put("/quality/references/d", json={"report_id": held["id"]})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert drift_gate([{"x": rng.gauss(3, 1)} for _ in range(1000)], dataset="d")
    rows = api["operator"].put("/quality/references/e", json={"records": [{"x": 1}, {"x": 2}]})
    assert rows.json()["profile"]["row_count"] == 2
    for body in ({}, {"report_id": held["id"], "records": []}, {"records": [{"x": 10**400}]},
                 {"report_id": held["id"] + 1000}):
        r = api["operator"].put("/quality/references/d", json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    assert [row["action"] for row in api["admin"].get("/audit").json()][:2] == ["pin", "pin"]
