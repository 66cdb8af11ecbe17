"""Signed webhook deliveries cannot be replayed (issue 10 item 9) and must be JSON (item 19).

The signature covers "<X-Legato-Timestamp>.<X-Legato-Event-Id>.<raw body>" (Stripe's and
Slack's idea): a captured delivery replayed after 5 minutes is refused, one replayed sooner is a
duplicate of its event id (no second run), and neither the id nor the time can be changed
without breaking the signature. Through a real server."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from events_support import write_dag

from legato.config import load_settings
from legato.security import signing
from legato.services import events
from server_harness import Live, serving

SECRET = "replay-test-secret"
BODY = b'{"po": "PO-9"}'


@pytest.fixture()
def live(dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("PO_HOOK_SECRET", SECRET)
    write_dag(dags_folder, "po_signed", "events.Webhook('po-signed', secret='env:PO_HOOK_SECRET')")
    with serving(dags_folder) as start:
        yield start()


def _post(live: Live, headers: dict[str, str], body: bytes = BODY,
          content_type: str | None = "application/json") -> httpx.Response:
    if content_type:
        headers = {"Content-Type": content_type, **headers}
    return httpx.post(f"{live.base}/api/v1/events/webhooks/po-signed", content=body,
                      headers=headers, timeout=30)


def _signed(event_id: str, at: float | None = None, body: bytes = BODY) -> dict[str, str]:
    return signing.signed_headers(SECRET, event_id, body, now=at)


def _received() -> list[str]:
    return [e.key for e in events.list_events(load_settings(), dag_id="po_signed")]


def test_a_fresh_signed_delivery_is_accepted_once(live: Live) -> None:
    headers = _signed("evt-1")
    first = _post(live, headers)
    assert first.status_code == 202, first.text
    assert first.json()["received"][0]["duplicate"] is False
    replay = _post(live, headers)                          # within the window: same event id
    assert replay.status_code == 202 and replay.json()["received"][0]["duplicate"] is True
    assert len(_received()) == 1


def test_a_stale_or_altered_delivery_is_refused(live: Live) -> None:
    stale = _signed("evt-old", at=time.time() - 6 * 60)
    r = _post(live, stale)
    assert r.status_code == 401 and "X-Legato-Timestamp" in r.json()["detail"]
    future = _signed("evt-future", at=time.time() + 6 * 60)
    assert _post(live, future).status_code == 401
    fresh = _signed("evt-2")
    for change in ({"X-Legato-Event-Id": "evt-3"},                      # another id, same signature
                   {"X-Legato-Timestamp": str(int(time.time()) - 1)},   # another time
                   {"X-Legato-Timestamp": "soon"}):
        r = _post(live, {**fresh, **change})
        assert r.status_code in (401, 422), (change, r.status_code, r.text)
    body_only = {"X-Legato-Signature": "sha256=" + hmac.new(
        SECRET.encode(), BODY, hashlib.sha256).hexdigest()}           # the old, replayable scheme
    assert _post(live, body_only).status_code == 401
    no_id = {k: v for k, v in _signed("evt-4").items() if k != "X-Legato-Event-Id"}
    assert _post(live, no_id).status_code == 401
    assert _received() == []


def test_the_body_must_be_json(live: Live) -> None:
    op = {"Authorization": f"Bearer {live.tokens['operator']}"}
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = _post(live, op, content_type=content_type)
        assert r.status_code == 415 and "application/json" in r.json()["detail"], content_type
        assert _post(live, _signed("evt-ct"), content_type=content_type).status_code == 415
    assert _post(live, op, content_type=None).status_code == 415        # a body, no type
    assert _post(live, op, body=b"", content_type=None).status_code == 202
    ok = _post(live, op, content_type="application/json; charset=utf-8")
    assert ok.status_code == 202
    assert _post(live, op, content_type="application/cloudevents+json").status_code == 202
    r = httpx.post(f"{live.base}/api/v1/events/queue/orders", content=b'{"n": 1}', timeout=30,
                   headers={**op, "Content-Type": "text/plain"})
    assert r.status_code == 415
