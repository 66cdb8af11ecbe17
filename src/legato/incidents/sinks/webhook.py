"""Generic webhook: POST `{"event", "incident"}` as JSON.

Headers: `X-Legato-Event` (the event), `X-Legato-Delivery` (stable per outbox row: a receiver
dedupes retried deliveries with it) and, with a secret, the signed-delivery headers of
security/signing.py, the same scheme Legato's own webhook triggers check:
`X-Legato-Timestamp` (Unix seconds of this attempt), `X-Legato-Event-Id` (the delivery id
again) and `X-Legato-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<event id>.<raw body>">`.
A receiver recomputes the HMAC, refuses a timestamp more than 5 minutes off, and dedupes on the
event id, so a captured delivery cannot be replayed. (The earlier `X-Legato-Signature-256`,
an HMAC of the body alone, is no longer sent: anyone who saw one delivery could replay it.)
"""

from __future__ import annotations

import json
import os
from typing import Any

from ...authoring.variables import MissingResource, get_variable
from ...security.signing import signed_headers
from ..config import Webhook
from .base import Delivery, DeliveryError, check, connection, secret_of


def resolve_secret(ref: str) -> str:
    kind, _, name = ref.partition(":")
    if kind == "conn":
        return secret_of(connection(name, "Webhook"), "Webhook")
    if kind == "var":
        try:
            return str(get_variable(name))
        except MissingResource as exc:
            raise DeliveryError(f"Webhook: {exc}") from None
    value = os.environ.get(name)
    if not value:
        raise DeliveryError(f"Webhook: environment variable {name!r} (the secret) is not set")
    return value


def send(cfg: Webhook, d: Delivery, client: Any) -> dict[str, Any] | None:
    body = json.dumps({"event": d.event, "incident": d.incident}, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "legato-incidents",
               "X-Legato-Event": d.event, "X-Legato-Delivery": d.delivery_id}
    if cfg.secret:
        headers.update(signed_headers(resolve_secret(cfg.secret), d.delivery_id, body))
    check(client.post(cfg.url, content=body, headers=headers, timeout=cfg.timeout_s), "Webhook")
    return None
