"""Where a helpdesk lives: the sink's `url`, or else its connection's URL (so one DAG file
serves every environment: `LEGATO_CONN_JIRA=https://me%40acme.com:TOKEN@acme.atlassian.net`)."""

from __future__ import annotations

from ...authoring.variables import Connection
from .base import DeliveryError


def site_url(configured: str | None, conn: Connection, sink: str) -> str:
    """The base URL requests go to, without a trailing slash."""
    if configured:
        return configured.rstrip("/")
    if conn.conn_type not in ("http", "https") or not conn.host:
        raise DeliveryError(f"{sink}: no url given, and connection {conn.conn_id!r} is not an "
                            "http(s) URL to take the site from", permanent=True)
    host = f"[{conn.host}]" if ":" in conn.host else conn.host
    port = f":{conn.port}" if conn.port else ""
    path = "/" + conn.schema.strip("/") if conn.schema else ""
    return f"{conn.conn_type}://{host}{port}{path}"
