"""Generic webhook: POST `{"event", "incident"}` as JSON.

Headers: `X-Legato-Event` (the event), `X-Legato-Delivery` (stable per outbox row: a receiver
dedupes retried deliveries with it) and, with a secret, `X-Legato-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body>` (GitHub's scheme).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from ...authoring.variables import MissingResource, get_variable
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


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(cfg: Webhook, d: Delivery, client: Any) -> dict[str, Any] | None:
    body = json.dumps({"event": d.event, "incident": d.incident}, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "legato-incidents",
               "X-Legato-Event": d.event, "X-Legato-Delivery": d.delivery_id}
    if cfg.secret:
        headers["X-Legato-Signature-256"] = sign(resolve_secret(cfg.secret), body)
    check(client.post(cfg.url, content=body, headers=headers, timeout=cfg.timeout_s), "Webhook")
    return None
