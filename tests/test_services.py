"""tests/services.py: a service's address from its variable or the standard port; a service
that does not answer skips the test only outside CI and when nobody named its address."""

from __future__ import annotations

import socket

import pytest

import services


def _dead_port() -> int:
    with socket.socket() as s:              # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down(monkeypatch: pytest.MonkeyPatch) -> str:
    """A redis service whose standard address does not answer; CI and the variable unset."""
    url = f"redis://127.0.0.1:{_dead_port()}/0"
    monkeypatch.setitem(services.SERVICES, "redis", ("LEGATO_TEST_REDIS_URL", url))
    monkeypatch.delenv("LEGATO_TEST_REDIS_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return url


def test_outside_ci_a_service_that_does_not_answer_skips_saying_where(down: str) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"redis at 127\.0\.0\.1:\d+ does not answer"):
        services.service_url("redis")


def test_under_ci_it_fails(down: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        services.service_url("redis")


def test_a_variable_naming_a_dead_server_fails(down: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_TEST_REDIS_URL", down.replace("/0", "/1"))
    with pytest.raises(pytest.fail.Exception, match="LEGATO_TEST_REDIS_URL names it"):
        services.service_url("redis")


def test_the_standard_port_is_used_when_the_variable_is_unset(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"nats://127.0.0.1:{listener.getsockname()[1]}"
        monkeypatch.setitem(services.SERVICES, "nats", ("LEGATO_TEST_NATS_URL", url))
        monkeypatch.delenv("LEGATO_TEST_NATS_URL", raising=False)
        assert services.service_url("nats") == url
