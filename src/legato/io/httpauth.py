"""Where a request goes and with which credentials: the URL joined to a connection's base,
the auth header, and the refusal to send credentials in clear text to a remote host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..httpclient import safe_url

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Target:
    url: str
    origin: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None


def _base(conn: Any) -> str:
    scheme = (conn.conn_type or "https").lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"connection {conn.conn_id!r} has type {conn.conn_type!r}; "
                         f"expected http or https")
    if not conn.host:
        raise ValueError(f"connection {conn.conn_id!r} has no host")
    host = f"[{conn.host}]" if ":" in conn.host else conn.host
    base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    return base + ("/" + conn.schema.strip("/") if conn.schema else "")


def _credentials(conn: Any) -> tuple[dict[str, str], tuple[str, str] | None]:
    token = conn.extra.get("token")
    if token:
        return {"Authorization": f"Bearer {token}"}, None
    if conn.login:
        return {}, (conn.login, conn.password or "")
    if conn.password:
        return {"Authorization": f"Bearer {conn.password}"}, None
    return {}, None


def resolve_target(url: str, conn_id: str | None, headers: Mapping[str, str] | None,
                   allow_insecure: bool) -> Target:
    own: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if conn_id is not None:
        from ..authoring.variables import get_connection

        conn = get_connection(conn_id)
        if "://" not in url:
            url = _base(conn) + ("/" + url.lstrip("/") if url else "")
        own, auth = _credentials(conn)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{safe_url(url)!r} is not a full http(s) URL; give one or a connection")
    if parts.username:
        auth = (unquote(parts.username), unquote(parts.password or ""))
        url = safe_url(url)
    merged = {**own, **(headers or {})}
    has_secret = auth is not None or any(k.lower() == "authorization" for k in merged)
    if (has_secret and parts.scheme == "http" and parts.hostname not in LOOPBACK
            and not allow_insecure):
        raise ValueError(f"refusing to send credentials over plain http to {parts.hostname}; "
                         f"use https (or allow_insecure=True on a trusted network)")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return Target(url, f"{parts.scheme}://{netloc}", merged, auth)
