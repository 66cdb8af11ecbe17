"""`HttpTask`: one HTTP request; the parsed response is the result (Airflow's HttpOperator).

With `http_conn_id` the base URL comes from the connection (`LEGATO_CONN_API=https://user:pw@host:8443/v1`
gives `https://host:8443/v1`, and `endpoint` is appended to it); its login and password become
HTTP basic auth, and an `extra` key `token` (`...?token=abc`) a `Authorization: Bearer` header
instead. Without a connection, `endpoint` must be a full URL.

A non-2xx status fails the try with a plain error (so `retries` apply); the error says whether
the status is one worth retrying (`transient`: 408, 425, 429, 5xx, legato.httpclient's policy)
and how long a Retry-After asked to wait (`retry_after_s`), for callbacks to look at. A
`response_check` returning False raises `Fail` (the answer will not change on retry).
The client is legato.httpclient's (its User-Agent; the task's own headers win). The result is
`response_filter(response)` if given, else the parsed JSON for a JSON content type, else the text.
`httpx` is imported only when the task runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..authoring.context import Context
from ..authoring.errors import Fail
from ..authoring.task import Task
from ..httpclient import client as http_client
from ..httpclient import is_transient, retry_after, safe_url

if TYPE_CHECKING:
    import httpx

_BODY_SNIPPET = 500


class HttpError(RuntimeError):
    """The server answered with a non-2xx status; the message has the status and a body
    snippet. `transient`: a retry may succeed; `retry_after_s`: the wait the server asked for."""

    def __init__(self, message: str, status_code: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after_s = retry_after_s

    @property
    def transient(self) -> bool:
        return is_transient(self.status_code)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class HttpTask(Task):
    template_fields = ("endpoint", "data", "json", "headers")

    def __init__(
        self,
        task_id: str,
        endpoint: str,
        *,
        method: str = "GET",
        http_conn_id: str | None = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        response_check: Callable[[httpx.Response], bool] | None = None,
        response_filter: Callable[[httpx.Response], Any] | None = None,
        timeout: float = 30,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task_id, **task_kwargs)
        self.endpoint = endpoint
        self.method = method.upper()
        self.http_conn_id = http_conn_id
        self.data = data
        self.json = json
        self.headers = dict(headers) if headers is not None else None
        self.response_check = response_check
        self.response_filter = response_filter
        self.timeout = timeout

    # -- request assembly ----------------------------------------------------------------
    def _target(self, ctx: Context) -> tuple[str, tuple[str, str] | None, dict[str, str]]:
        """(url, basic auth or None, extra headers) from the endpoint and the connection."""
        if self.http_conn_id is None:
            if urlsplit(self.endpoint).scheme not in ("http", "https"):
                raise ValueError(
                    f"endpoint {self.endpoint!r} is not a full http(s) URL; give one or set http_conn_id"
                )
            return self.endpoint, None, {}
        conn = ctx.conn(self.http_conn_id)
        scheme = (conn.conn_type or "http").lower()
        if scheme not in ("http", "https"):
            raise ValueError(
                f"connection {self.http_conn_id!r} has type {conn.conn_type!r}; expected http or https"
            )
        if not conn.host:
            raise ValueError(f"connection {self.http_conn_id!r} has no host")
        host = f"[{conn.host}]" if ":" in conn.host else conn.host
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
        if conn.schema:
            base += "/" + conn.schema.strip("/")
        url = base + "/" + self.endpoint.lstrip("/") if self.endpoint else base
        headers: dict[str, str] = {}
        auth = None
        token = conn.extra.get("token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif conn.login:
            auth = (conn.login, conn.password or "")
        return url, auth, headers

    def _timeout(self, ctx: Context) -> float:
        if ctx.deadline is None:
            return self.timeout
        return max(0.001, min(self.timeout, ctx.deadline - time.monotonic()))

    def execute(self, ctx: Context) -> Any:
        url, auth, headers = self._target(ctx)
        headers.update(self.headers or {})          # the task's own headers win
        kwargs: dict[str, Any] = {}
        if self.json is not None:
            kwargs["json"] = self.json
        if isinstance(self.data, (str, bytes)):
            kwargs["content"] = self.data
        elif self.data is not None:
            kwargs["data"] = self.data
        shown = safe_url(url)
        ctx.log.info("%s %s", self.method, shown)
        with http_client(timeout=self._timeout(ctx), follow_redirects=True) as client:
            response = client.request(self.method, url, headers=headers, auth=auth, **kwargs)
        ctx.log.info("%s %s -> %s %s", self.method, shown, response.status_code, response.reason_phrase)
        if not response.is_success:
            snippet = response.text[:_BODY_SNIPPET]
            raise HttpError(
                f"{self.method} {shown} returned HTTP {response.status_code} "
                f"{response.reason_phrase}: {snippet}",
                response.status_code, retry_after(response.headers.get("retry-after"), time.time()),
            )
        if self.response_check is not None and not self.response_check(response):
            raise Fail(f"response_check rejected the response of {self.method} {shown} "
                       f"(HTTP {response.status_code})")
        if self.response_filter is not None:
            return self.response_filter(response)
        if _is_json(response.headers.get("content-type", "")):
            return response.json() if response.content.strip() else None
        return response.text
