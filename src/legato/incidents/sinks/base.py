"""What every sink shares: the `Sink` seam, the delivery it is handed, errors that say whether a
retry can help, credentials from connections, and response checking (legato.httpclient's
policy: 408, 425, 429 and 5xx are worth retrying, plus 409 for helpdesks, whose concurrent edits
of one ticket conflict)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ...authoring.variables import Connection, MissingResource, get_connection
from ...httpclient import is_refusal

if TYPE_CHECKING:
    from ..config import SinkConfig

CONFLICT = frozenset({409})           # a concurrent edit of the ticket: worth another try


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


class Sink(Protocol):
    """A kind of incident sink, the seam: `config` is the frozen SinkConfig subclass users put
    in `DAG(incidents=[...])` (its `type` names the kind in stored specs), `send` speaks the
    product's API. A third-party sink is such an object, registered with
    `legato.incidents.sinks.register` or named in the entry point group
    `legato.incident_sinks` (entry point name = the config's `type`)."""

    @property
    def config(self) -> type[SinkConfig]: ...

    def send(self, cfg: Any, d: Delivery, client: Any) -> dict[str, Any] | None:
        """Deliver one event through `client` (an httpx.Client from legato.httpclient);
        return the product's reference for the incident (kept and handed back with its
        later events as `d.ref`) or None. Raise DeliveryError (`permanent` when a retry
        cannot help); any other exception counts as a transient failure."""
        ...


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
    raise DeliveryError(f"{what}: HTTP {status} {text}", permanent=is_refusal(status, CONFLICT))


def json_of(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def ticket_ref(d: Delivery, key: str, what: str) -> Any:
    """The product's id of the ticket this incident opened (kept from the opening delivery),
    which every later event needs; without one nothing can be updated, so no retry helps."""
    if not d.ref or key not in d.ref:
        raise DeliveryError(f"{what} was created for this incident", permanent=True)
    return d.ref[key]
