"""Each sink against a local HTTP server that checks the request shape the product documents:
method, path, auth and content-type headers, and body fields. Events go through the real path:
listener -> outbox (store) -> dispatcher -> sink."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest

from legato.incidents import Jira, Opsgenie, PagerDuty, ServiceNow, Slack, Webhook, Zendesk
from legato.incidents.dispatcher import Dispatcher
from legato.store import outbox

from .helpers import Driver, Recorder, Request, serve


@pytest.fixture
def server() -> Iterator[Recorder]:
    rec = serve(Recorder())
    yield rec
    rec.server.shutdown()


def lifecycle(sink: Any) -> Driver:
    """Open (final failure), comment (a retry), occurrence, then resolve (a success)."""
    drv = Driver([sink])
    drv.task("failed", run_id="run_1", try_number=2)
    drv.task("up_for_retry", run_id="run_2", try_number=1, error="still bad")
    drv.task("failed", run_id="run_2", try_number=2)
    drv.task("success", run_id="run_3")
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    with drv.engine.connect() as conn:
        assert {r.state for r in outbox.all_rows(conn)} == {"delivered"}
    return drv


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def json_request(req: Request, method: str, path: str) -> dict[str, Any]:
    assert (req.method, req.path) == (method, path)
    assert req.headers["content-type"].startswith("application/json")
    return req.json


def test_webhook_posts_the_documented_body_signed_with_hmac(server: Recorder,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_HOOK", "https://:s3cr3t@hooks.example.com")
    lifecycle(Webhook(server.url + "/incidents", secret="conn:hook"))
    reqs = server.accepted
    assert [r.json["event"] for r in reqs] == ["incident.opened", "incident.updated",
                                               "incident.updated", "incident.resolved"]
    for r in reqs:
        body = json_request(r, "POST", "/incidents")
        assert set(body) == {"event", "incident"}
        assert set(body["incident"]) == {
            "id", "fingerprint", "kind", "dag_id", "task_id", "run_id", "logical_date", "error",
            "error_type", "log_excerpt", "log_url", "tries", "occurrences", "opened_at",
            "resolved_at", "severity"}
        stamp, event_id = r.headers["x-legato-timestamp"], r.headers["x-legato-event-id"]
        signed = f"{stamp}.{event_id}.".encode() + r.raw        # timestamp, delivery id, body
        expected = "sha256=" + hmac.new(b"s3cr3t", signed, hashlib.sha256).hexdigest()
        assert r.headers["x-legato-signature"] == expected
        assert abs(time.time() - int(stamp)) < 60 and event_id == r.headers["x-legato-delivery"]
        assert "x-legato-signature-256" not in r.headers        # the replayable body-only HMAC
        assert r.headers["x-legato-event"] == body["event"]
    assert len({r.headers["x-legato-delivery"] for r in reqs}) == 4
    assert reqs[2].json["incident"]["occurrences"] == 2
    assert reqs[3].json["incident"]["resolved_at"] is not None


def test_webhook_secret_from_env_and_missing_secret_is_named(server: Recorder,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    drv = Driver([Webhook(server.url + "/h", secret="env:HOOK_KEY")])
    drv.task("failed")
    assert not Dispatcher(drv.settings, base_s=5).drain(0.5)
    with drv.engine.connect() as conn:
        (row,) = outbox.all_rows(conn)
    assert row.state == "pending" and "HOOK_KEY" in row.last_error
    monkeypatch.setenv("HOOK_KEY", "k")
    with drv.engine.begin() as conn:           # due now (skip the backoff for the test)
        conn.execute(outbox.outbox.update().values(next_attempt_at=row.created_at))
    assert Dispatcher(drv.settings).drain(10)
    (req,) = server.accepted
    signed = f"{req.headers['x-legato-timestamp']}.{req.headers['x-legato-event-id']}.".encode()
    assert req.headers["x-legato-signature"] == "sha256=" + hmac.new(
        b"k", signed + req.raw, hashlib.sha256).hexdigest()


def jira_reply(req: Request) -> tuple[int, Any, float]:
    if req.path == "/rest/api/3/issue":
        return 201, {"id": "10001", "key": "OPS-7", "self": "x"}, 0
    if req.path.endswith("/transitions") and req.method == "GET":
        return 200, {"transitions": [{"id": "11", "name": "In progress", "to": {"name": "WIP"}},
                                     {"id": "31", "name": "Resolve", "to": {"name": "Resolved"}}]}, 0
    if req.path.endswith("/transitions"):
        return 204, None, 0
    if req.path == "/rest/api/3/search/jql":
        return 200, {"issues": []}, 0
    return 201, {"id": "1"}, 0


def test_jira_creates_comments_and_transitions(server: Recorder,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = jira_reply
    monkeypatch.setenv("LEGATO_CONN_JIRA", "https://ops%40example.com:tok3n@example.atlassian.net")
    lifecycle(Jira(url=server.url, project="OPS", issue_type="Incident",
                   resolve_transition="Resolved"))
    reqs = server.accepted
    assert all(r.headers["authorization"] == basic("ops@example.com", "tok3n") for r in reqs)
    create = json_request(reqs[0], "POST", "/rest/api/3/issue")["fields"]
    assert create["project"] == {"key": "OPS"} and create["issuetype"] == {"name": "Incident"}
    assert create["summary"].startswith("[Legato] sales.load failed")
    assert create["description"]["type"] == "doc" and create["description"]["version"] == 1
    assert "legato" in create["labels"]
    comment = json_request(reqs[1], "POST", "/rest/api/3/issue/OPS-7/comment")
    assert comment["body"]["type"] == "doc"
    assert json_request(reqs[2], "POST", "/rest/api/3/issue/OPS-7/comment")
    assert [(r.method, r.path) for r in reqs[3:]] == [
        ("POST", "/rest/api/3/issue/OPS-7/comment"), ("GET", "/rest/api/3/issue/OPS-7/transitions"),
        ("POST", "/rest/api/3/issue/OPS-7/transitions")]
    assert reqs[5].json == {"transition": {"id": "31"}}


def test_jira_service_management_requests(server: Recorder,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def reply(req: Request) -> tuple[int, Any, float]:
        if req.path == "/rest/servicedeskapi/request":
            return 201, {"issueId": "107001", "issueKey": "HELP-3"}, 0
        return jira_reply(req)

    server.reply = reply
    monkeypatch.setenv("LEGATO_CONN_JSM", "https://ops%40example.com:tok3n@example.atlassian.net")
    lifecycle(Jira(url=server.url, conn_id="jsm", service_desk_id="4", request_type_id="25",
                   resolve_transition="Resolve"))
    reqs = server.accepted
    create = json_request(reqs[0], "POST", "/rest/servicedeskapi/request")
    assert create["serviceDeskId"] == "4" and create["requestTypeId"] == "25"
    assert create["requestFieldValues"]["summary"].startswith("[Legato]")
    note = json_request(reqs[1], "POST", "/rest/servicedeskapi/request/HELP-3/comment")
    assert note["public"] is False and "still bad" in note["body"]
    assert [(r.method, r.path) for r in reqs[-2:]] == [
        ("GET", "/rest/api/3/issue/HELP-3/transitions"),
        ("POST", "/rest/api/3/issue/HELP-3/transitions")]
    assert reqs[-1].json == {"transition": {"id": "31"}}
    with pytest.raises(ValueError, match="go together"):
        Jira(url=server.url, service_desk_id="4")


def test_servicenow_inserts_adds_work_notes_and_resolves(server: Recorder,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: ((201, {"result": {"sys_id": "9d38", "number": "INC0010001"}}, 0)
                              if r.method == "POST" else (200, {"result": {}}, 0))
    monkeypatch.setenv("LEGATO_CONN_SERVICENOW", "https://legato:pw@dev.service-now.com")
    lifecycle(ServiceNow(url=server.url, close_code="Resolved by caller"))
    reqs = server.accepted
    assert all(r.headers["authorization"] == basic("legato", "pw") for r in reqs)
    assert all(r.headers["accept"] == "application/json" for r in reqs)
    insert = json_request(reqs[0], "POST", "/api/now/table/incident")
    assert insert["short_description"].startswith("[Legato]") and insert["correlation_id"]
    assert insert["urgency"] == insert["impact"] == "2"
    note = json_request(reqs[1], "PATCH", "/api/now/table/incident/9d38")
    assert set(note) == {"work_notes"} and "still bad" in note["work_notes"]
    resolve = json_request(reqs[3], "PATCH", "/api/now/table/incident/9d38")
    assert resolve["state"] == "6" and resolve["close_code"] == "Resolved by caller"
    assert resolve["close_notes"].startswith("Resolved")


def test_zendesk_creates_with_an_idempotency_key_comments_and_solves(
        server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: ((201, {"ticket": {"id": 35436}}, 0) if r.method == "POST"
                              else (200, {"ticket": {"id": 35436}}, 0))
    monkeypatch.setenv("LEGATO_CONN_ZENDESK", "https://agent%40example.com:zdtoken@example.zendesk.com")
    lifecycle(Zendesk(url=server.url))
    reqs = server.accepted
    assert all(r.headers["authorization"] == basic("agent@example.com/token", "zdtoken")
               for r in reqs)
    create = json_request(reqs[0], "POST", "/api/v2/tickets.json")["ticket"]
    assert reqs[0].headers["idempotency-key"]
    assert create["subject"].startswith("[Legato]") and create["comment"]["body"]
    assert create["priority"] == "high" and "legato" in create["tags"]
    update = json_request(reqs[1], "PUT", "/api/v2/tickets/35436.json")["ticket"]
    assert update["comment"]["public"] is False and "status" not in update
    solve = json_request(reqs[3], "PUT", "/api/v2/tickets/35436.json")["ticket"]
    assert solve["status"] == "solved"


def test_pagerduty_triggers_and_resolves_with_the_fingerprint_as_dedup_key(
        server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: (202, {"status": "success", "message": "Event processed"}, 0)
    monkeypatch.setenv("LEGATO_CONN_PD", "pagerduty://:R0UT1NGKEY@events.pagerduty.com")
    lifecycle(PagerDuty(conn_id="pd", url=server.url))
    reqs = server.accepted
    bodies = [json_request(r, "POST", "/v2/enqueue") for r in reqs]
    assert [b["event_action"] for b in bodies] == ["trigger", "trigger", "trigger", "resolve"]
    assert {b["routing_key"] for b in bodies} == {"R0UT1NGKEY"}
    assert len({b["dedup_key"] for b in bodies}) == 1 and len(bodies[0]["dedup_key"]) <= 255
    payload = bodies[0]["payload"]
    assert payload["severity"] in ("critical", "error", "warning", "info")
    assert payload["summary"] and payload["source"] == "legato/sales"
    assert "payload" not in bodies[3]


def test_opsgenie_creates_by_alias_adds_notes_and_closes(server: Recorder,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: (202, {"result": "Request will be processed", "requestId": "r"}, 0)
    monkeypatch.setenv("LEGATO_CONN_OPSGENIE", "opsgenie://:g3n1e@api.opsgenie.com")
    lifecycle(Opsgenie(url=server.url))
    reqs = server.accepted
    assert all(r.headers["authorization"] == "GenieKey g3n1e" for r in reqs)
    create = json_request(reqs[0], "POST", "/v2/alerts")
    alias = create["alias"]
    assert len(create["message"]) <= 130 and create["priority"] == "P2"
    note = json_request(reqs[1], "POST", f"/v2/alerts/{alias}/notes")
    assert reqs[1].query == {"identifierType": ["alias"]} and note["note"]
    json_request(reqs[3], "POST", f"/v2/alerts/{alias}/close")
    assert reqs[3].query == {"identifierType": ["alias"]}


def test_slack_posts_text_and_blocks_to_the_webhook_from_the_connection(
        server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: (200, b"ok", 0)
    monkeypatch.setenv("LEGATO_CONN_SLACK", f"{server.url}/services/T000/B000/XXXX")
    lifecycle(Slack())
    reqs = server.accepted
    for r in reqs:
        body = json_request(r, "POST", "/services/T000/B000/XXXX")
        assert body["text"] and body["blocks"][0]["type"] == "section"
    assert "opened" in reqs[0].json["text"] and "resolved" in reqs[3].json["text"]


def test_a_missing_connection_is_named_and_retried(server: Recorder) -> None:
    drv = Driver([PagerDuty(conn_id="pd_prod", url=server.url)])
    drv.task("failed")
    assert not Dispatcher(drv.settings, base_s=5).drain(0.3)
    with drv.engine.connect() as conn:
        (row,) = outbox.all_rows(conn)
    assert row.state == "pending" and row.attempts == 1
    assert "connection 'pd_prod' is not set (LEGATO_CONN_PD_PROD)" in row.last_error
    assert server.requests == []
