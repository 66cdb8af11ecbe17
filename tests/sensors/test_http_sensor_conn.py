"""HttpSensor the way Airflow users write it: `http_conn_id` + `endpoint` + `request_params`
+ `response_check`, against the Jira-compatible helpdesk stand-in (a real HTTP server that
wants basic auth): the sensor waits for a ticket, hands what its check returned downstream,
pokes again on a 404 but fails at once on a status outside `response_error_codes_allowlist`,
and waits in the triggerer with the connection's credentials."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from legato import DAG, task
from legato.authoring.errors import DagDefinitionError
from legato.demo.standins import Helpdesk
from legato.demo.standins.helpdesk import TOKEN, USER
from legato.httpclient import user_agent
from legato.sensors import HttpSensor
from waiting import then_in_thread

JQL = 'priority = High AND status = "To Do"'


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Helpdesk]:
    with Helpdesk() as desk:
        monkeypatch.setenv("LEGATO_CONN_HELPDESK",
                           f"http://{USER.replace('@', '%40')}:{TOKEN}@127.0.0.1:{desk.port}")
        monkeypatch.setenv("LEGATO_CONN_HELPDESK_BAD",
                           f"http://{USER.replace('@', '%40')}:wrong@127.0.0.1:{desk.port}")
        yield desk


def _open_ticket(desk: Helpdesk, priority: str) -> str:
    r = httpx.post(desk.url + "/rest/api/3/issue", auth=(USER, TOKEN), json={"fields": {
        "project": {"key": "OPS"}, "issuetype": {"name": "Incident"}, "summary": "disk full",
        "priority": {"name": priority}}})
    r.raise_for_status()
    return r.json()["key"]


def test_waits_for_a_ticket_and_hands_the_check_result_downstream(desk: Helpdesk) -> None:
    with DAG("http_sensor_conn") as dag:
        wait = HttpSensor("wait", http_conn_id="helpdesk", endpoint="/rest/api/3/search/jql",
                          request_params={"jql": JQL},
                          response_check=lambda r: [i["key"] for i in r.json()["issues"]] or False,
                          poke_interval=0.05, timeout=10)

        @task
        def first(keys):
            return keys[0]

        first(wait)
    _open_ticket(desk, "Low")                                   # does not match the JQL
    opener = then_in_thread(lambda: desk.seen("GET", "/rest/api/3/search"),
                            lambda: _open_ticket(desk, "High"), what="the sensor's first poke")
    result = dag.run()
    opener.join()
    assert result.state == "success"
    assert result["wait"].result == ["OPS-2"] and result["first"].result == "OPS-2"
    searches = desk.seen("GET", "/rest/api/3/search/jql")
    assert len(searches) >= 2 and all(r.query["jql"] == JQL for r in searches)
    assert all(r.headers["authorization"].startswith("Basic ") for r in searches)
    assert {r.headers["user-agent"] for r in searches} == {user_agent()}   # legato.httpclient's


def _open_after(desk: Helpdesk, polls: int) -> threading.Thread:
    """Open OPS-1 once the sensor has asked for it `polls` times (it is missing until then)."""
    return then_in_thread(lambda: len(desk.seen("GET", "/rest/api/3/issue/")) >= polls,
                          lambda: _open_ticket(desk, "High"), what=f"{polls} pokes")


def test_a_status_outside_the_allowlist_fails_the_try_at_once(desk: Helpdesk) -> None:
    with DAG("http_sensor_401") as dag:
        HttpSensor("wait", http_conn_id="helpdesk_bad", endpoint="/rest/api/3/search/jql",
                   request_params={"jql": JQL}, response_error_codes_allowlist=["404"],
                   response_check=lambda r: r.json()["issues"], poke_interval=0.05, timeout=30)
    result = dag.run()
    assert result.state == "failed"
    assert "HTTP 401" in result["wait"].error and "wrong" not in result["wait"].error
    assert len(desk.seen("GET", "/rest/api/3/search/jql")) == 1          # no second poke


def test_an_allowed_404_means_not_yet_and_the_endpoint_is_templated(desk: Helpdesk) -> None:
    with DAG("http_sensor_404", params={"key": "OPS-1"}) as dag:
        HttpSensor("wait", http_conn_id="helpdesk", endpoint="/rest/api/3/issue/{{ params.key }}",
                   response_error_codes_allowlist=[404], poke_interval=0.05, timeout=10)
    opener = _open_after(desk, 1)
    result = dag.run()
    opener.join()
    assert result.state == "success"
    statuses = [r.path for r in desk.seen("GET", "/rest/api/3/issue/OPS-1")]
    assert len(statuses) >= 2                                    # a 404 first, then the ticket


def test_deferrable_with_a_connection_waits_in_the_triggerer(desk: Helpdesk) -> None:
    with DAG("http_sensor_deferred") as dag:
        HttpSensor("wait", http_conn_id="helpdesk", endpoint="/rest/api/3/issue/OPS-1",
                   poke_interval=0.05, timeout=10, mode="deferrable")
    opener = _open_after(desk, 2)
    result = dag.run()
    opener.join()
    assert result.state == "success"
    asked = desk.seen("GET", "/rest/api/3/issue/OPS-1")
    assert all(r.headers["authorization"].startswith("Basic ") for r in asked)
    assert {r.headers["user-agent"] for r in asked} == {user_agent()}      # the trigger's too


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give a full url, or an endpoint"),
    ({"url": "http://x/a", "endpoint": "/a"}, "not both"),
    ({"endpoint": "/a", "http_conn_id": "c", "response_check": lambda r: True,
      "mode": "deferrable"}, "cannot run in the triggerer"),
])
def test_bad_arguments_are_refused_at_definition(kwargs: dict, message: str) -> None:
    with DAG("http_sensor_bad"), pytest.raises(DagDefinitionError, match=message):
        HttpSensor("wait", **kwargs)


def test_credentials_are_not_sent_over_plain_http_to_a_remote_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_REMOTE", "http://me:pw@helpdesk.example.com")
    with DAG("http_sensor_plain") as dag:
        HttpSensor("wait", http_conn_id="remote", endpoint="/x", poke_interval=0.05, timeout=5)
    result = dag.run()
    assert result.state == "failed" and "over plain http" in result["wait"].error
