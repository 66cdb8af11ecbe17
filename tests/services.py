"""The machine's services for tests (PostgreSQL, Redis, NATS, RabbitMQ), found by themselves.

`service_url(name)` is the address in LEGATO_TEST_<NAME>_URL, or the service's standard local
port when the variable is not set, so a developer with the services running gets every test
without exporting anything. When the service does not answer:

- under CI (`CI` set), or when the variable was set, the test FAILS: a CI machine, or a
  developer who named a server, never silently loses the tests that need it;
- otherwise the test skips, and its reason says which address did not answer.

Every test that needs a service reads its address here (tests/ is on sys.path through its
conftest.py), never from the environment itself. `scratch_postgres()` is a new, empty database
on that server, dropped afterwards.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

SERVICES = {             # name: (variable, address when it is not set)
    "postgres": ("LEGATO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "redis": ("LEGATO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "nats": ("LEGATO_TEST_NATS_URL", "nats://127.0.0.1:4222"),
    "rabbitmq": ("LEGATO_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
}
PORTS = {"postgres": 5432, "redis": 6379, "nats": 4222, "rabbitmq": 5672}


def service_url(name: str) -> str:
    """The service's URL if it answers; else fail (CI, or the variable set) or skip."""
    variable, default = SERVICES[name]
    url = os.environ.get(variable) or default
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or PORTS[name]
    if _answers(host, port):
        return url
    down = f"{name} at {host}:{port} does not answer"
    if os.environ.get("CI"):
        pytest.fail(f"{down}, and CI is set: the services must run under CI", pytrace=False)
    if os.environ.get(variable):
        pytest.fail(f"{down}, and {variable} names it: start it or unset the variable",
                    pytrace=False)
    pytest.skip(f"{down} ({variable} not set, not under CI): start it to run this test")


@functools.cache
def _answers(host: str, port: int) -> bool:
    """Whether something accepts connections there (asked once per session)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """The URL of a new, empty database on the test PostgreSQL server; dropped on exit."""
    import sqlalchemy as sa

    from legato.store.db import dispose_all, normalize_url

    server = normalize_url(service_url("postgres"))
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"legato_t_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_all()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
