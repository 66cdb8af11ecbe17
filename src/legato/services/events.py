"""Event triggers as use cases, for the server and the CLI: receive a webhook delivery,
publish to a queue, list received events, and start the listener beside a scheduler.

Webhook and queue names are global: every DAG listening on a name gets its own received
event (and so its own run). A webhook delivery is authenticated by an operator token (the
route checks it) or, with no token, by a signature under the secret of a listening DAG, in
the scheme of security/signing.py: `X-Legato-Signature: sha256=<hex HMAC-SHA256 of
"<X-Legato-Timestamp>.<X-Legato-Event-Id>.<raw body>">`, a timestamp within 5 minutes of the
server's clock, and the event id that dedupes the delivery. A replayed delivery is refused
(stale) or recorded as a duplicate (same event id); a signed delivery reaches only the DAGs
whose secret it matches.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..authoring.dag import DAG
from ..config import Settings
from ..errors import InvalidInput, PayloadTooLarge
from ..events.listener import EventListener
from ..events.triggers import Queue, Webhook, _check_name
from ..security import AuthError, signing
from ..store import events as event_store
from ..store.db import open_engine
from .queries import NotFound, discover_dags

log = logging.getLogger("legato.events")
MAX_BODY = 1024 * 1024               # webhook and queue bodies: 1 MiB
MAX_EVENT_ID = 200


class BodyTooLarge(PayloadTooLarge, ValueError):
    """A webhook or queue body over MAX_BODY (HTTP 413)."""


@dataclass(frozen=True)
class Delivery:
    """What one webhook POST or queue publish did."""

    name: str
    event_id: str
    received: list[dict[str, Any]] = field(default_factory=list)   # per DAG: id, duplicate

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "event_id": self.event_id, "received": self.received}


def start_listener(settings: Settings) -> EventListener:
    """The event listener thread, following the DAG folder; `stop()` it on shutdown."""
    engine = open_engine(settings.database_url)
    return EventListener(engine, lambda: discover_dags(settings).dags).start()


def parse_body(body: bytes) -> Any:
    """The JSON a webhook or publish carries (an empty body is `{}`); ValueError names the fault."""
    if len(body) > MAX_BODY:
        raise BodyTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY}")
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None


def _listeners(settings: Settings, kind: type, name: str) -> list[DAG]:
    return [d for d in discover_dags(settings).dags
            if isinstance(d.schedule, kind) and getattr(d.schedule, "name",
                                                        getattr(d.schedule, "topic", None)) == name]


def resolve_secret(settings: Settings, ref: str) -> str | None:
    """The value behind "env:NAME", "var:NAME" or "conn:ID" (its password); None if unset."""
    from ..authoring.variables import (
        MissingResource,
        get_connection,
        get_variable,
        reset_resolver,
        use_resolver,
    )
    from ..security.secrets import StoreResolver

    kind, _, name = ref.partition(":")
    if kind == "env":
        return os.environ.get(name)
    token = use_resolver(StoreResolver(settings.database_url, settings.home))
    try:
        if kind == "var":
            return str(get_variable(name))
        return get_connection(name).password
    except MissingResource:
        return None
    finally:
        reset_resolver(token)


def _signed_targets(settings: Settings, dags: list[DAG], body: bytes, timestamp: str,
                    event_id: str, signature: str) -> list[DAG]:
    matched = []
    for dag in dags:
        ref = dag.schedule.secret
        secret = resolve_secret(settings, ref) if ref else None
        if ref and secret is None:
            log.warning("webhook %s of DAG %s: secret %s is not set", dag.schedule.name,
                        dag.dag_id, ref)
        if secret and signing.matches(secret, timestamp, event_id, body, signature):
            matched.append(dag)
    return matched


def _verified(settings: Settings, name: str, dags: list[DAG], body: bytes, signature: str | None,
              event_id: str | None, timestamp: str | None) -> list[DAG]:
    """The listening DAGs whose secret signed this delivery (AuthError names what is wrong)."""
    if not signature:
        raise AuthError(f"send an operator token or an {signing.SIGNATURE_HEADER}")
    if not event_id:
        raise AuthError(f"a signed delivery needs {signing.EVENT_ID_HEADER} (it is signed too, "
                        f"and dedupes retries)")
    signing.check_freshness(timestamp)
    matched = _signed_targets(settings, dags, body, timestamp or "", event_id, signature)
    if not matched:
        raise AuthError(f"{signing.SIGNATURE_HEADER} does not match the secret of webhook {name!r} "
                        f"(it signs \"<timestamp>.<event id>.<body>\")")
    return matched


def receive_webhook(settings: Settings, name: str, body: bytes, *, authenticated: bool,
                    signature: str | None = None, event_id: str | None = None,
                    timestamp: str | None = None) -> Delivery:
    """Record a delivery for every DAG listening on webhook `name`.

    `authenticated`: the caller showed an operator token. Otherwise the signature, timestamp
    and event id must verify under a listening DAG's secret (AuthError if not; an unknown name
    is then also AuthError, so an anonymous caller learns nothing of which names exist)."""
    try:
        _check_name("webhook name", name)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if event_id is not None and not 0 < len(event_id) <= MAX_EVENT_ID:
        raise InvalidInput(f"X-Legato-Event-Id must be 1-{MAX_EVENT_ID} characters")
    dags = _listeners(settings, Webhook, name)
    if not authenticated:
        dags = _verified(settings, name, dags, body, signature, event_id, timestamp)
    if not dags:
        raise NotFound(f"no DAG listens on webhook {name!r}")
    payload = parse_body(body)
    event_id = event_id or uuid.uuid4().hex
    return _record(settings, name, f"webhook:{name}:{event_id}", "webhook", dags, payload, event_id)


def _record(settings: Settings, name: str, key: str, source: str, dags: list[DAG],
            payload: Any, event_id: str) -> Delivery:
    now = datetime.now(UTC)
    received = []
    with open_engine(settings.database_url).begin() as conn:
        for dag in dags:
            row_id, first = event_store.receive(conn, dag.dag_id, source, key, payload, now)
            received.append({"dag_id": dag.dag_id, "id": row_id, "duplicate": not first})
    return Delivery(name, event_id, received)


def publish(settings: Settings, topic: str, payload: Any, url: str | None = None) -> dict[str, Any]:
    """Publish one message: to the embedded queue (url None) or to a broker."""
    trigger = Queue(topic, url=url)                 # validates topic and url
    message_id = uuid.uuid4().hex
    if url is None:
        from ..events.embedded import publish as embedded_publish

        msg = embedded_publish(open_engine(settings.database_url), topic, payload)
        return {"topic": topic, "queue": "embedded", "message_id": msg,
                "listeners": [d.dag_id for d in _listeners(settings, Queue, topic)
                              if d.schedule.url is None]}
    from ..events.brokers import publish as broker_publish

    where = broker_publish(url, topic, json.dumps(payload).encode(), message_id)
    return {"topic": topic, "queue": trigger.broker, "message_id": message_id, "where": where}


def list_events(settings: Settings, *, dag_id: str | None = None, source: str | None = None,
                limit: int = 100) -> list[event_store.ReceivedEvent]:
    with open_engine(settings.database_url).connect() as conn:
        return event_store.list_events(conn, dag_id=dag_id, source=source, limit=limit)
