"""`legato.io.http.request`: one call of any method with the connection's base URL and
credentials, retried (429 with Retry-After, 5xx) only when repeating it is safe, against a
real HTTP server on 127.0.0.1 (a scripted stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from legato.demo.standins import Reply, Request, StandIn
from legato.io.http import FetchError, request


class Scripted(StandIn):
    """Answers each call with the next scripted reply (the last one repeats)."""

    name = "scripted"

    def __init__(self) -> None:
        self.script: list[Reply] = [Reply(200, {"ok": True})]
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        return [(m, r"/api(?P<rest>/.*)?", self.answer) for m in ("GET", "POST", "PUT", "DELETE")]

    def answer(self, req: Request, rest: str | None) -> Reply:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scripted]:
    with Scripted() as server:
        monkeypatch.setenv("LEGATO_CONN_API", f"{server.url}/api?token=t0k3n")
        monkeypatch.setenv("LEGATO_CONN_BASIC", f"http://bob:s3cret@127.0.0.1:{server.port}/api")
        yield server


def no_sleep(waits: list[float]) -> Any:
    return waits.append


def test_relative_url_joins_the_connection_and_sends_its_token(api: Scripted) -> None:
    response = request("POST", "/tickets", conn="api", json={"summary": "x"},
                       params={"notify": "false"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    [req] = api.requests
    assert (req.method, req.path, req.query) == ("POST", "/api/tickets", {"notify": "false"})
    assert req.headers["authorization"] == "Bearer t0k3n" and req.json() == {"summary": "x"}


def test_login_and_password_are_basic_auth_and_the_base_alone_is_the_url(api: Scripted) -> None:
    request("PUT", conn="basic", data="raw body", headers={"X-Trace": "1"})
    [req] = api.requests
    assert req.path == "/api" and req.body == b"raw body" and req.headers["x-trace"] == "1"
    assert req.headers["authorization"].startswith("Basic ")


def test_a_get_is_retried_on_429_with_retry_after_then_on_503(api: Scripted) -> None:
    api.script = [Reply(429, {"error": "slow down"}, {"Retry-After": "7"}),
                  Reply(503, {"error": "busy"}), Reply(200, {"n": 3})]
    waits: list[float] = []
    assert request("GET", "/orders", conn="api", sleep=waits.append, max_wait=60).json() == {"n": 3}
    assert len(api.requests) == 3 and waits[0] == 7


def test_a_post_is_not_repeated_unless_it_carries_an_idempotency_key(api: Scripted) -> None:
    api.script = [Reply(503, {"error": "busy"}), Reply(201, {"id": 1})]
    with pytest.raises(FetchError, match=r"POST .*/api/orders returned HTTP 503 after 1 attempt"):
        request("POST", "/orders", conn="api", json={}, sleep=lambda s: None)
    assert len(api.requests) == 1
    api.script = [Reply(503, {"error": "busy"}), Reply(201, {"id": 1})]
    done = request("POST", "/orders", conn="api", json={}, headers={"Idempotency-Key": "k1"},
                   sleep=lambda s: None)
    assert done.status_code == 201 and len(api.requests) == 3


def test_a_refusal_fails_at_once_naming_the_call_without_credentials(api: Scripted) -> None:
    api.script = [Reply(400, {"errors": {"priority": "Specify a valid priority"}})]
    with pytest.raises(FetchError) as err:
        request("GET", "/x", conn="basic", sleep=lambda s: None)
    assert err.value.status_code == 400 and len(api.requests) == 1
    assert "Specify a valid priority" in str(err.value) and "s3cret" not in str(err.value)


def test_credentials_never_go_over_plain_http_to_a_remote_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_REMOTE", "http://bob:pw@api.example.com")
    with pytest.raises(ValueError, match="plain http"):
        request("GET", "/x", conn="remote")
