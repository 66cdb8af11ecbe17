"""Ticket priority, labels / tags / category, assignee and components on the helpdesk sinks,
and a helpdesk site taken from the sink's connection when `url` is not given. Each against a
local server checking the documented request shape, through the real listener -> outbox ->
dispatcher path; Jira also against the Jira-compatible helpdesk stand-in of `legato demo`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.demo.standins import Helpdesk
from legato.demo.standins.helpdesk import TOKEN, USER
from legato.incidents import IncidentConfigError, Jira, Opsgenie, PagerDuty, ServiceNow, Zendesk
from legato.incidents.config import sink_from_spec

from .helpers import Recorder, Request, serve
from .test_sinks import jira_reply, lifecycle


@pytest.fixture
def server() -> Iterator[Recorder]:
    rec = serve(Recorder())
    yield rec
    rec.server.shutdown()


def test_jira_sends_priority_labels_assignee_and_components(server: Recorder,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = jira_reply
    monkeypatch.setenv("LEGATO_CONN_JIRA", "https://ops%40example.com:tok3n@example.atlassian.net")
    lifecycle(Jira(url=server.url, project="OPS", priority="High",
                   labels=["orchestration_failure", "sales"], assignee="5b10ac8d82e05b22cc7d4ef5",
                   components=["data-platform"], resolve_transition="Resolved"))
    fields = server.accepted[0].json["fields"]
    assert fields["priority"] == {"name": "High"}
    assert fields["labels"][:1] == ["legato"] and fields["labels"][2:] == ["orchestration_failure",
                                                                          "sales"]
    assert fields["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
    assert fields["components"] == [{"name": "data-platform"}]


def test_jira_without_the_new_fields_sends_what_it_always_sent(server: Recorder,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = jira_reply
    monkeypatch.setenv("LEGATO_CONN_JIRA", "https://ops%40example.com:tok3n@example.atlassian.net")
    sink = Jira(url=server.url, project="OPS", resolve_transition="Resolved")
    lifecycle(sink)
    fields = server.accepted[0].json["fields"]
    assert set(fields) == {"project", "issuetype", "summary", "description", "labels"}
    assert sink.to_spec() == {"type": "jira", "url": server.url, "project": "OPS",
                              "conn_id": "jira", "issue_type": "Bug",
                              "resolve_transition": "Resolved", "timeout_s": 10.0}


def test_jsm_request_carries_the_fields_and_is_assigned_after(server: Recorder,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def reply(req: Request) -> tuple[int, Any, float]:
        if req.path == "/rest/servicedeskapi/request":
            return 201, {"issueId": "107001", "issueKey": "HELP-3"}, 0
        if req.path.endswith("/assignee"):
            return 204, None, 0
        return jira_reply(req)

    server.reply = reply
    monkeypatch.setenv("LEGATO_CONN_JSM", "https://ops%40example.com:tok3n@example.atlassian.net")
    lifecycle(Jira(url=server.url, conn_id="jsm", service_desk_id="4", request_type_id="25",
                   priority="Highest", labels=["data"], assignee="acc-1", components=["etl"],
                   resolve_transition="Resolve"))
    values = server.accepted[0].json["requestFieldValues"]
    assert values["priority"] == {"name": "Highest"} and values["labels"] == ["data"]
    assert values["components"] == [{"name": "etl"}] and "assignee" not in values
    assign = server.accepted[1]
    assert (assign.method, assign.path, assign.json) == (
        "PUT", "/rest/api/3/issue/HELP-3/assignee", {"accountId": "acc-1"})


def test_jira_takes_its_site_from_the_connection_and_the_stand_in_keeps_the_lifecycle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with Helpdesk() as desk:
        monkeypatch.setenv("LEGATO_CONN_HELPDESK",
                           f"http://{USER.replace('@', '%40')}:{TOKEN}@127.0.0.1:{desk.port}")
        lifecycle(Jira(conn_id="helpdesk", project="DATA", priority="High", labels=["etl"],
                       assignee="oncall-data"))
        [ticket] = desk.lifecycle()
    assert ticket["key"] == "DATA-1" and ticket["priority"] == "High"
    assert ticket["assignee"] == "oncall-data" and "etl" in ticket["labels"]
    assert ticket["comments"] == 3 and ticket["status"] == "Done"     # 2 updates + the resolve note


@pytest.mark.parametrize(("priority", "impact", "urgency"),
                         [(None, "2", "2"), (1, "1", "1"), (2, "1", "2"), (4, "2", "3"), (5, "3", "3")])
def test_servicenow_priority_becomes_impact_and_urgency(
        server: Recorder, monkeypatch: pytest.MonkeyPatch, priority: int | None, impact: str,
        urgency: str) -> None:
    server.reply = lambda r: ((201, {"result": {"sys_id": "9d38"}}, 0) if r.method == "POST"
                              else (200, {"result": {}}, 0))
    monkeypatch.setenv("LEGATO_CONN_SNOW", f"http://legato:pw@127.0.0.1:{server.server.server_port}")
    lifecycle(ServiceNow(conn_id="snow", priority=priority, assigned_to="6816f79cc0a8016401c5a33be04be441",
                         assignment_group="Data Platform", category="data"))
    insert = server.accepted[0]
    assert (insert.method, insert.path) == ("POST", "/api/now/table/incident")   # site: the connection
    assert (insert.json["impact"], insert.json["urgency"]) == (impact, urgency)
    assert insert.json["assigned_to"] == "6816f79cc0a8016401c5a33be04be441"
    assert insert.json["assignment_group"] == "Data Platform" and insert.json["category"] == "data"


def test_zendesk_priority_tags_and_assignee(server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: ((201, {"ticket": {"id": 7}}, 0) if r.method == "POST"
                              else (200, {"ticket": {"id": 7}}, 0))
    monkeypatch.setenv("LEGATO_CONN_ZENDESK", "https://agent%40example.com:zdtoken@example.zendesk.com")
    lifecycle(Zendesk(url=server.url, priority="urgent", tags=["finance", "po"],
                      assignee_email="oncall@example.com"))
    ticket = server.accepted[0].json["ticket"]
    assert ticket["priority"] == "urgent" and ticket["tags"][2:] == ["finance", "po"]
    assert ticket["assignee_email"] == "oncall@example.com"


def test_opsgenie_and_pagerduty_overrides(server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda r: (202, {"result": "Request will be processed"}, 0)
    monkeypatch.setenv("LEGATO_CONN_OPSGENIE", "opsgenie://:k3y@api.opsgenie.com")
    monkeypatch.setenv("LEGATO_CONN_PAGERDUTY", "pagerduty://:R0UT1NG@events.pagerduty.com")
    lifecycle(Opsgenie(url=server.url, priority="P1", tags=["payments"], responders=["Data Team"]))
    alert = server.accepted[0].json
    assert alert["priority"] == "P1" and alert["tags"][2:] == ["payments"]
    assert alert["responders"] == [{"type": "team", "name": "Data Team"}]
    server.accepted.clear()
    lifecycle(PagerDuty(url=server.url, severity="critical"))
    assert server.accepted[0].json["payload"]["severity"] == "critical"


def test_new_fields_survive_the_stored_spec(tmp_path: Path) -> None:
    sink = Jira(project="DATA", conn_id="helpdesk", labels=["a", "b"], components=["x y"])
    again = sink_from_spec(sink.to_spec())
    assert again == sink and again.key == sink.key and again.labels == ("a", "b")
    assert hash(again) == hash(sink)            # lists from JSON are kept as tuples


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Jira(project="P", labels=["has space"]), "labels must be non-empty strings without"),
    (lambda: Jira(project="P", labels="one"), "labels must be a list"),
    (lambda: Jira(project="P", priority=""), "priority is required"),
    (lambda: Jira(url="ftp://x", project="P"), "not an http"),
    (lambda: ServiceNow(priority=7), "priority must be one of 1, 2, 3, 4, 5"),
    (lambda: Zendesk(priority="p1"), "priority must be one of"),
    (lambda: Zendesk(assignee_email="bob"), "not an e-mail"),
    (lambda: Opsgenie(priority="high"), "'P1'"),
    (lambda: PagerDuty(severity="sev1"), "severity must be one of"),
])
def test_bad_ticket_fields_are_refused_when_the_dag_is_defined(make: Any, message: str) -> None:
    with pytest.raises(IncidentConfigError, match=message):
        make()


def test_a_site_from_a_connection_that_is_not_a_url_is_a_permanent_delivery_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.authoring.variables import parse_connection
    from legato.incidents.sinks.base import DeliveryError
    from legato.incidents.sinks.site import site_url

    conn = parse_connection("jira", "jira://user:pw@")
    with pytest.raises(DeliveryError, match="no url given") as err:
        site_url(None, conn, "Jira")
    assert err.value.permanent
    assert site_url(None, parse_connection("j", "https://u:p@acme.atlassian.net/jira/"),
                    "Jira") == "https://acme.atlassian.net/jira"
