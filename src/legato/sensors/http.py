"""`HttpSensor`: waits until an HTTP endpoint answers as expected (Airflow's HttpSensor).

Where it asks: a full `url`, or an `endpoint` joined to the base URL of the connection
`http_conn_id`, whose credentials are sent by `legato.io.http`'s rules (`?token=` -> Bearer,
login + password -> basic, a password alone -> Bearer; never in clear text but to loopback).
`request_params` (the query string), `headers` and the endpoint are templated.

When it is done: the status is `expected_status` (200) and, with `response_check`, the check
returns something truthy. A truthy value other than True is the sensor's result, so
downstream tasks get it (`response_check=lambda r: r.json()["issues"] or False` hands on the
issues found). What "not yet" means:

- by default, any other status and any network error: poke again (a service still starting);
- with `response_error_codes_allowlist` (Airflow's argument, e.g. `("404",)`), only those
  statuses and network errors; any other status of 400 or more fails the try with HttpError,
  as in Airflow (a 401 will not fix itself by waiting).

`mode="deferrable"` waits in the triggerer (no worker slot); a `response_check` is code the
triggerer cannot run, so it needs mode "poke" or "reschedule" (refused at definition).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..authoring.context import Context
from ..authoring.errors import DagDefinitionError
from ..authoring.variables import get_connection
from ..httpclient import client as http_client
from .base import BaseSensor
from .triggers import HttpTrigger

if TYPE_CHECKING:
    import httpx

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class HttpSensorError(RuntimeError):
    """The endpoint answered a status that waiting will not change; the try fails."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class _Target:
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))


def resolve(endpoint: str, conn_id: str | None, headers: Mapping[str, str] | None) -> _Target:
    """The URL and credentials of a request, by legato.io.http's rules (io/httpauth.py, which
    this layer may not import): the endpoint joined to the connection's base URL; `?token=`
    -> Bearer, login + password -> basic, a password alone -> Bearer; never over plain http
    but to a loopback host. The task's own headers win."""
    if conn_id is None:
        if urlsplit(endpoint).scheme not in ("http", "https"):
            raise ValueError(f"{endpoint!r} is not a full http(s) URL; give one or http_conn_id")
        return _Target(endpoint, dict(headers or {}))
    conn = get_connection(conn_id)
    scheme = (conn.conn_type or "https").lower()
    if scheme not in ("http", "https") or not conn.host:
        raise ValueError(f"connection {conn_id!r} must be an http(s) URL with a host")
    host = f"[{conn.host}]" if ":" in conn.host else conn.host
    base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    base += "/" + conn.schema.strip("/") if conn.schema else ""
    url = endpoint if "://" in endpoint else base + ("/" + endpoint.lstrip("/") if endpoint else "")
    own: dict[str, str] = {}
    auth = None
    if conn.extra.get("token") or (conn.password and not conn.login):
        own["Authorization"] = f"Bearer {conn.extra.get('token') or conn.password}"
    elif conn.login:
        auth = (conn.login, conn.password or "")
    if (own or auth) and scheme == "http" and conn.host not in LOOPBACK:
        raise ValueError(f"refusing to send the credentials of connection {conn_id!r} over plain "
                         f"http to {conn.host}; use https")
    return _Target(url, {**own, **(headers or {})}, auth)


class HttpSensor(BaseSensor):
    template_fields = ("url", "endpoint", "request_params", "headers")

    def __init__(self, task_id: str, url: str | None = None, *, endpoint: str | None = None,
                 http_conn_id: str | None = None, method: str = "GET",
                 request_params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None,
                 response_check: Callable[[httpx.Response], Any] | None = None,
                 response_error_codes_allowlist: Iterable[int | str] | None = None,
                 expected_status: int = 200, request_timeout: float = 30.0,
                 **sensor_kwargs: Any) -> None:
        where = f"sensor {task_id!r}"
        if url is not None and endpoint is not None:
            raise DagDefinitionError(f"{where}: give url or endpoint, not both")
        if url is None and endpoint is None and http_conn_id is None:
            raise DagDefinitionError(f"{where}: give a full url, or an endpoint (with http_conn_id "
                                     "for the base URL and credentials)")
        if response_check is not None and not callable(response_check):
            raise DagDefinitionError(f"{where}: response_check must be callable")
        if response_check is not None and sensor_kwargs.get("mode") == "deferrable":
            raise DagDefinitionError(f"{where}: a response_check cannot run in the triggerer; "
                                     "use mode='poke' or 'reschedule'")
        self.url = url
        self.endpoint = endpoint
        self.http_conn_id = http_conn_id
        self.method = method.upper()
        self.request_params = dict(request_params) if request_params is not None else None
        self.headers = dict(headers) if headers is not None else None
        self.response_check = response_check
        self.allowlist = (None if response_error_codes_allowlist is None
                          else frozenset(int(c) for c in response_error_codes_allowlist))
        self.expected_status = expected_status
        self.request_timeout = request_timeout
        super().__init__(task_id, **sensor_kwargs)

    def _target(self) -> _Target:
        where = self.endpoint if self.endpoint is not None else self.url
        return resolve(where or "", self.http_conn_id, self.headers)

    def poke(self, ctx: Context) -> Any:
        import httpx

        target = self._target()
        shown = f"{self.method} {target.shown}"
        try:
            with http_client(timeout=self.request_timeout) as client:
                response = client.request(self.method, target.url, params=self.request_params,
                                          headers=target.headers, auth=target.auth)
        except httpx.TransportError as exc:
            ctx.log.info("%s: %r; poking again", shown, exc)
            return False
        ctx.log.info("%s: %s", shown, response.status_code)
        return self._judge(response, shown)

    def _judge(self, response: httpx.Response, shown: str) -> Any:
        status = response.status_code
        if status != self.expected_status:
            if self.allowlist is not None and status >= 400 and status not in self.allowlist:
                raise HttpSensorError(f"{shown} returned HTTP {status} (not in "
                                      f"response_error_codes_allowlist): {response.text[:300]}",
                                      status)
            return False
        if self.response_check is None:
            return True
        return self.response_check(response) or False

    def trigger(self) -> Any:
        if self.http_conn_id is None and not self.request_params and not self.headers:
            return HttpTrigger(self.url or self.endpoint or "", self.method, self.expected_status,
                               self.poke_interval, self.request_timeout)
        target = self._target()      # resolved here, in the worker, where connections are read
        return HttpTrigger(target.url, self.method, self.expected_status, self.poke_interval,
                           self.request_timeout, params=dict(self.request_params or {}),
                           headers=dict(target.headers), auth=target.auth)
