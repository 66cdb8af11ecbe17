"""fsspec storage options from a Legato connection (`conn="s3_prod"`), so credentials live in
the encrypted store or LEGATO_CONN_* and never in DAG code.

Mapping by the URL's protocol:

- s3, s3a: login -> `key`, password -> `secret`, host[:port] -> `client_kwargs.endpoint_url`
  (https, or http with `?use_ssl=false`: MinIO and other S3-compatible stores);
- gs, gcs: login -> `project`, password -> `token` (a service-account JSON path or a token);
- az, abfs, abfss: login -> `account_name`, password -> `account_key`;
- anything else (sftp, ftp, ...): login -> `username`, password -> `password`, host, port.

Every `extra` key (`?region_name=eu-west-1&anon=false`) is passed as an option of that name;
`"true"`/`"false"` become booleans and integers become ints, since fsspec options are typed.
"""

from __future__ import annotations

from typing import Any

_NAMES = {
    "s3": ("key", "secret"), "s3a": ("key", "secret"),
    "gs": ("project", "token"), "gcs": ("project", "token"),
    "az": ("account_name", "account_key"), "abfs": ("account_name", "account_key"),
    "abfss": ("account_name", "account_key"),
}


def _typed(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if value.isdigit():
        return int(value)
    return value


def options_from_connection(protocol: str, conn: Any) -> dict[str, Any]:
    login_name, password_name = _NAMES.get(protocol, ("username", "password"))
    options: dict[str, Any] = {}
    if conn.login:
        options[login_name] = conn.login
    if conn.password:
        options[password_name] = conn.password
    if conn.host and protocol in ("s3", "s3a"):
        scheme = "http" if conn.extra.get("use_ssl") == "false" else "https"
        port = f":{conn.port}" if conn.port else ""
        options["client_kwargs"] = {"endpoint_url": f"{scheme}://{conn.host}{port}"}
    elif conn.host and protocol not in _NAMES:
        options["host"] = conn.host
        if conn.port:
            options["port"] = conn.port
    options.update({k: _typed(v) for k, v in conn.extra.items() if k != "use_ssl"})
    return options


def options_for(url: str, conn_id: str | None) -> dict[str, Any]:
    if conn_id is None:
        return {}
    from ..authoring.variables import get_connection

    protocol = url.split("://", 1)[0].lower() if "://" in url else "file"
    return options_from_connection(protocol, get_connection(conn_id))
