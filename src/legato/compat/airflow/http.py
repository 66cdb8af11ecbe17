"""`HttpOperator` / `HttpSensor` / `HttpHook` (airflow.providers.http) over httpx.

The base URL comes from the connection (`http_conn_id`, default "http_default"): its host
(a full URL or a host name with `schema` as the scheme) and port; `extra` JSON adds headers.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from .baseoperator import BaseOperator
from .exceptions import AirflowException
from .sensors import BaseSensorOperator


class HttpHook:
    def __init__(self, method: str = "POST", http_conn_id: str = "http_default",
                 auth_type: Any = None, tcp_keep_alive: bool = True, **_: Any) -> None:
        self.method, self.http_conn_id = method.upper(), http_conn_id

    def base_url(self) -> tuple[str, dict[str, str], Any]:
        from .models import get_connection

        conn = get_connection(self.http_conn_id) if self.http_conn_id else None
        if conn is None or not conn.host:
            return "", {}, None
        host = conn.host
        if "://" not in host:
            scheme = conn.schema or conn.conn_type if conn.conn_type in ("http", "https") else "http"
            host = f"{scheme or 'http'}://{host}"
        if conn.port:
            host = f"{host}:{conn.port}"
        auth = (conn.login, conn.password or "") if conn.login else None
        return host, dict(conn.extra_dejson), auth

    def run(self, endpoint: str | None = None, data: Any = None,
            headers: dict[str, str] | None = None, extra_options: dict[str, Any] | None = None,
            **request_kwargs: Any) -> Any:
        import httpx

        base, extra_headers, auth = self.base_url()
        url = endpoint or ""
        if base and not url.startswith(("http://", "https://")):
            url = base.rstrip("/") + "/" + url.lstrip("/")
        options = dict(extra_options or {})
        kwargs: dict[str, Any] = {"headers": {**extra_headers, **(headers or {})},
                                  "timeout": options.get("timeout", 30)}
        if self.method in ("GET", "HEAD", "DELETE"):
            kwargs["params"] = data
        elif isinstance(data, dict | list):
            kwargs["json" if "json" in str(kwargs["headers"]).lower() else "data"] = data
        elif data is not None:
            kwargs["content"] = data if isinstance(data, bytes | str) else json.dumps(data)
        response = httpx.request(self.method, url, auth=auth, **kwargs, **request_kwargs)
        if options.get("check_response", True) and response.status_code >= 400:
            raise AirflowException(f"{response.status_code}:{response.reason_phrase}")
        return response


class HttpOperator(BaseOperator):
    template_fields = ("endpoint", "data", "headers")
    template_fields_renderers: ClassVar[dict[str, str]] = {"headers": "json", "data": "py"}
    template_ext = ()
    ui_color = "#f4a460"

    def __init__(self, *, endpoint: str | None = None, method: str = "POST", data: Any = None,
                 headers: dict[str, str] | None = None, pagination_function: Any = None,
                 response_check: Any = None, response_filter: Any = None,
                 extra_options: dict[str, Any] | None = None, http_conn_id: str = "http_default",
                 log_response: bool = False, auth_type: Any = None, tcp_keep_alive: bool = True,
                 deferrable: bool = False, retry_args: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint, self.method, self.data, self.headers = endpoint, method, data, headers
        self.response_check, self.response_filter = response_check, response_filter
        self.extra_options, self.http_conn_id = extra_options, http_conn_id

    def execute(self, context: Any) -> Any:
        from .operators import determine_kwargs

        hook = HttpHook(self.method, http_conn_id=self.http_conn_id)
        response = hook.run(self.endpoint, self.data, self.headers, self.extra_options)
        if self.response_check is not None:
            kwargs = determine_kwargs(self.response_check, [response], dict(context))
            if not self.response_check(response, **kwargs):
                raise AirflowException("Response check returned False.")
        if self.response_filter is not None:
            kwargs = determine_kwargs(self.response_filter, [response], dict(context))
            return self.response_filter(response, **kwargs)
        return response.text


SimpleHttpOperator = HttpOperator


class HttpSensor(BaseSensorOperator):
    template_fields = ("endpoint", "request_params", "headers")

    def __init__(self, *, endpoint: str, http_conn_id: str = "http_default",
                 method: str = "GET", request_params: dict[str, Any] | None = None,
                 request_kwargs: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
                 response_error_codes_allowlist: Any = None, response_check: Any = None,
                 extra_options: dict[str, Any] | None = None, tcp_keep_alive: bool = True,
                 deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint, self.http_conn_id, self.method = endpoint, http_conn_id, method
        self.request_params, self.headers = request_params or {}, headers or {}
        self.response_check, self.extra_options = response_check, dict(extra_options or {})
        self.allow = {str(c) for c in (response_error_codes_allowlist or ["404"])}

    def poke(self, context: Any) -> bool:
        from .operators import determine_kwargs

        hook = HttpHook(self.method, http_conn_id=self.http_conn_id)
        response = hook.run(self.endpoint, self.request_params, self.headers,
                            {**self.extra_options, "check_response": False})
        if str(response.status_code) in self.allow:
            return False
        if response.status_code >= 400:
            raise AirflowException(f"{response.status_code}:{response.reason_phrase}")
        if self.response_check is not None:
            kwargs = determine_kwargs(self.response_check, [response], dict(context))
            return bool(self.response_check(response, **kwargs))
        return True
