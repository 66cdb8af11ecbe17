"""Variables and connections as task code sees them.

For now both come from the environment, the way Airflow's `AIRFLOW_VAR_*` / `AIRFLOW_CONN_*`
work: `LEGATO_VAR_<NAME>` holds a value, `LEGATO_CONN_<NAME>` a URI such as
`postgresql://user:pw@host:5432/db?sslmode=require`.

The encrypted store (SPEC section 6) sits behind the same two functions through a *resolver*:
authoring stays pure (no database, no cryptography), and whoever owns a store installs a
resolver for the code it runs — the engine's runner does so for each try, from the try's
database URL and home (legato.security.secrets.StoreResolver). The environment is asked
first, then the resolver: an environment variable overrides a stored value without touching
the database (as Airflow's environment backend does), and costs no query.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from ..config import connection_env, variable_env

_MISSING: Any = object()


class MissingResource(KeyError):
    """A variable or connection the task asked for is not defined."""

    def __str__(self) -> str:
        return str(self.args[0])


class Resolver(Protocol):
    """Where variables and connections not in the environment are looked up (a store)."""

    def variable(self, name: str) -> str | None: ...

    def connection(self, conn_id: str) -> Connection | None: ...


_resolver: contextvars.ContextVar[Resolver | None] = contextvars.ContextVar(
    "legato_resolver", default=None)
_default_resolver: Resolver | None = None


def use_resolver(resolver: Resolver | None) -> contextvars.Token[Resolver | None]:
    """Install `resolver` for this thread/context (a try); undo with `reset_resolver(token)`."""
    return _resolver.set(resolver)


def reset_resolver(token: contextvars.Token[Resolver | None]) -> None:
    _resolver.reset(token)


def set_default_resolver(resolver: Resolver | None) -> None:
    """The process-wide resolver, for code outside a try (a scheduler's incident sinks)."""
    global _default_resolver
    _default_resolver = resolver


def current_resolver() -> Resolver | None:
    return _resolver.get() or _default_resolver


def get_variable(name: str, default: Any = _MISSING, *, deserialize_json: bool = False) -> Any:
    raw = variable_env(name)
    resolver = current_resolver() if raw is None else None
    if resolver is not None:
        raw = resolver.variable(name)
    if raw is None:
        if default is _MISSING:
            where = " nor in the store" if resolver is not None else ""
            raise MissingResource(f"variable {name!r} is not set (LEGATO_VAR_{name.upper()})"
                                  + where)
        return default
    return json.loads(raw) if deserialize_json else raw


@dataclass(frozen=True)
class Connection:
    conn_id: str
    conn_type: str
    host: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    schema: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def get_uri(self) -> str:
        auth = ""
        if self.login:
            auth = self.login + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        return f"{self.conn_type}://{auth}{self.host or ''}{port}/{self.schema or ''}"


def parse_connection(conn_id: str, uri: str) -> Connection:
    parts = urlsplit(uri)
    return Connection(
        conn_id=conn_id,
        conn_type=parts.scheme,
        host=unquote(parts.hostname) if parts.hostname else None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        port=parts.port,
        schema=unquote(parts.path.removeprefix("/")) or None,  # sqlite:////abs keeps its /
        extra=dict(parse_qsl(parts.query)),
    )


def get_connection(conn_id: str) -> Connection:
    raw = connection_env(conn_id)
    if raw is not None:
        return parse_connection(conn_id, raw)
    resolver = current_resolver()
    found = resolver.connection(conn_id) if resolver is not None else None
    if found is None:
        where = " nor in the store" if resolver is not None else ""
        raise MissingResource(f"connection {conn_id!r} is not set (LEGATO_CONN_{conn_id.upper()})"
                              + where)
    return found


class VariableAccessor:
    """Templates' `var.value.name` and `var.json.name`; callable as `var(name)` in code."""

    def __init__(self, deserialize_json: bool = False) -> None:
        self._json = deserialize_json

    def __call__(self, name: str, default: Any = _MISSING) -> Any:
        return get_variable(name, default, deserialize_json=self._json)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "value":
            return VariableAccessor(False)
        if name == "json":
            return VariableAccessor(True)
        return get_variable(name, deserialize_json=self._json)

    def get(self, name: str, default: Any = None) -> Any:
        return get_variable(name, default, deserialize_json=self._json)


class ConnectionAccessor:
    """Templates' `conn.my_db.host`; callable as `conn(name)` in code."""

    def __call__(self, conn_id: str) -> Connection:
        return get_connection(conn_id)

    def __getattr__(self, conn_id: str) -> Connection:
        if conn_id.startswith("_"):
            raise AttributeError(conn_id)
        return get_connection(conn_id)

    def get(self, conn_id: str) -> Connection:
        return get_connection(conn_id)
