"""Webhook triggers and the events API through a real uvicorn server: token or HMAC
signature, dedupe by X-Legato-Event-Id, 401/403/404/400/413, the queue publish route, the
audit log, and the received events list."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from events_support import runs_of, write_dag

from server_harness import serving

uvicorn = pytest.importorskip("uvicorn")

from legato.config import load_settings  # noqa: E402
from legato.engine.executors import make_executor  # noqa: E402
from legato.engine.scheduler import Scheduler  # noqa: E402

SECRET = "s3cret-for-tests"


@dataclass
class Api:
    base: str
    tokens: dict[str, str]

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None,
             role: str | None = None) -> httpx.Response:
        h = {"Content-Type": "application/json", **(headers or {})}
        if role:
            h["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.post(f"{self.base}/api/v1{path}", content=body, headers=h, timeout=30)

    def get(self, path: str, role: str = "viewer") -> httpx.Response:
        return httpx.get(f"{self.base}/api/v1{path}", timeout=30,
                         headers={"Authorization": f"Bearer {self.tokens[role]}"})


@pytest.fixture()
def api(dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("PO_HOOK_SECRET", SECRET)
    write_dag(dags_folder, "po_a", "events.Webhook('po-uploaded', secret='env:PO_HOOK_SECRET')")
    write_dag(dags_folder, "po_b", "events.Webhook('po-uploaded')")
    write_dag(dags_folder, "other", "events.Webhook('other-hook', secret='var:hook_secret')")
    with serving(dags_folder) as start:
        live = start()
        yield Api(live.base, live.tokens)


def _sign(body: bytes, secret: str = SECRET, event_id: str = "evt-signed",
          at: float | None = None) -> dict[str, str]:
    """A signed delivery: HMAC-SHA256 of "<timestamp>.<event id>.<body>" (security/signing.py)."""
    stamp = str(int(time.time() if at is None else at))
    signed = f"{stamp}.{event_id}.".encode() + body
    return {"X-Legato-Signature": "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest(),
            "X-Legato-Timestamp": stamp, "X-Legato-Event-Id": event_id}


def _run_all() -> None:
    executor = make_executor("local")
    try:
        Scheduler(load_settings(), executor, poll_s=0.05).run_until_idle(timeout_s=30)
    finally:
        executor.shutdown()


def test_a_token_delivery_reaches_every_dag_on_the_name_once(api: Api) -> None:
    body = json.dumps({"po": "PO-7", "lines": 3}).encode()
    first = api.post("/events/webhooks/po-uploaded", body, {"X-Legato-Event-Id": "evt-1"}, "operator")
    assert first.status_code == 202, first.text
    doc = first.json()
    assert doc["event_id"] == "evt-1"
    assert sorted(r["dag_id"] for r in doc["received"]) == ["po_a", "po_b"]
    again = api.post("/events/webhooks/po-uploaded", body, {"X-Legato-Event-Id": "evt-1"}, "operator")
    assert again.status_code == 202 and all(r["duplicate"] for r in again.json()["received"])
    _run_all()
    for dag_id in ("po_a", "po_b"):
        [run] = runs_of(dag_id)
        assert run.state == "success" and run.event == {"po": "PO-7", "lines": 3}
    listed = api.get("/events?dag_id=po_a").json()
    assert [(e["source"], e["run_id"]) for e in listed] == [("webhook", runs_of("po_a")[0].run_id)]
    audit = [a for a in _audit() if a["action"] == "webhook"]
    assert len(audit) == 2 and audit[0]["target"] == "webhook:po-uploaded"


def _audit() -> list[dict]:
    from legato.store import audit as audit_store
    from legato.store.db import open_engine

    with open_engine(load_settings().database_url).connect() as conn:
        return [row.to_json() for row in audit_store.list_audit(conn, 100)]


def test_a_signed_delivery_needs_no_token_and_reaches_only_the_dags_it_matches(api: Api) -> None:
    body = b'{"po": "PO-8"}'
    ok = api.post("/events/webhooks/po-uploaded", body, _sign(body))
    assert ok.status_code == 202, ok.text
    assert [r["dag_id"] for r in ok.json()["received"]] == ["po_a"]   # po_b has no secret
    for headers in ({}, _sign(body, "wrong"), _sign(b"other body"),
                    {"X-Legato-Signature": "sha256=zz"}, {"Authorization": "Bearer nope"}):
        bad = api.post("/events/webhooks/po-uploaded", body, headers)
        assert bad.status_code == 401, (headers, bad.text)
        assert isinstance(bad.json()["detail"], str)
    assert api.post("/events/webhooks/no-such", body, _sign(body)).status_code == 401
    viewer = api.post("/events/webhooks/po-uploaded", body, role="viewer")
    assert viewer.status_code == 403


def test_a_signed_delivery_under_a_store_variable_secret(api: Api) -> None:
    from legato.security.secrets import SecretStore

    settings = load_settings()
    SecretStore(settings.database_url, settings.home).set_variable("hook_secret", "from-the-store")
    body = b'{"x": 1}'
    r = api.post("/events/webhooks/other-hook", body, _sign(body, "from-the-store"))
    assert r.status_code == 202 and r.json()["received"][0]["dag_id"] == "other"


def test_bad_webhook_requests_are_4xx_with_a_message(api: Api) -> None:
    unknown = api.post("/events/webhooks/no-such", b"{}", role="operator")
    assert unknown.status_code == 404 and "no-such" in unknown.json()["detail"]
    bad_json = api.post("/events/webhooks/po-uploaded", b"{not json", role="operator")
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["detail"]
    big = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert api.post("/events/webhooks/po-uploaded", big, role="operator").status_code == 413
    assert api.post("/events/webhooks/po-uploaded", big, _sign(big)).status_code == 413
    assert runs_of("po_a") == [] and api.get("/events").json() == []


def test_the_queue_route_publishes_to_the_embedded_queue(api: Api) -> None:
    r = api.post("/events/queue/orders", b'{"n": 1}', role="operator")
    assert r.status_code == 202 and r.json()["queue"] == "embedded"
    assert api.post("/events/queue/orders", b"{}", role="viewer").status_code == 403
    assert api.post("/events/queue/orders", b"{}").status_code == 401
    assert api.post("/events/queue/bad topic", b"{}", role="operator").status_code == 422
    assert any(a["action"] == "publish" and a["target"] == "queue:orders" for a in _audit())
