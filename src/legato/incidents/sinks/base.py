"""What every sink shares: the delivery it is handed, errors that say whether a retry can help,
credentials from connections, and response checking."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ...authoring.variables import Connection, MissingResource, get_connection

RETRYABLE_STATUS = {408, 409, 425, 429}


class DeliveryError(Exception):
    """A delivery failed; `permanent` when retrying the same request cannot succeed (a 4xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Delivery:
    event: str                      # incident.opened | incident.updated | incident.resolved
    doc: dict[str, Any]             # lifecycle.document(...), log_excerpt filled in
    ref: dict[str, Any] | None      # what this sink returned for the incident's earlier events
    delivery_id: str                # stable per outbox row: idempotency and dedup keys
    attempt: int                    # 1 for the first try of this row

    @property
    def incident(self) -> dict[str, Any]:
        return self.doc["incident"]

    @property
    def uid(self) -> str:
        return str(self.doc["meta"]["uid"])


def connection(conn_id: str, sink: str) -> Connection:
    try:
        return get_connection(conn_id)
    except MissingResource as exc:
        raise DeliveryError(f"{sink}: {exc}") from None


def secret_of(conn: Connection, sink: str) -> str:
    value = conn.password or conn.login
    if not value:
        raise DeliveryError(f"{sink}: connection {conn.conn_id!r} has no password (the key)")
    return value


def basic(login: str | None, password: str | None, sink: str, conn_id: str) -> str:
    if not login or not password:
        raise DeliveryError(f"{sink}: connection {conn_id!r} needs a login and a password")
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def check(response: Any, what: str) -> Any:
    """Raise DeliveryError unless 2xx; 408/409/425/429 and 5xx are worth retrying."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    text = response.text[:300]
    permanent = 400 <= status < 500 and status not in RETRYABLE_STATUS
    raise DeliveryError(f"{what}: HTTP {status} {text}", permanent=permanent)


def json_of(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
