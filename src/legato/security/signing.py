"""Signed webhook deliveries, both ways: one scheme for the webhook triggers Legato receives
and for the incident webhooks it sends.

A signature covers when the delivery was made, which delivery it is, and its exact body, as
Stripe and Slack sign theirs:

    X-Legato-Timestamp: 1718000000                      (Unix seconds when it was sent)
    X-Legato-Event-Id:  evt-42                          (unique per delivery; a retry reuses it)
    X-Legato-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<event id>.<raw body>")>

A receiver recomputes the HMAC over the same three parts, compares in constant time, refuses a
timestamp more than TOLERANCE_S (5 minutes) away from its clock, and dedupes on the event id.
So a captured delivery cannot be replayed later (its timestamp is stale, and changing it breaks
the signature), nor within the window under another id (the id is signed too), and a replay
inside the window with the same id is a duplicate the receiver drops.

Standard library only: the engine's neighbours (incidents, services) import this.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from ..errors import Unauthorized

TIMESTAMP_HEADER = "X-Legato-Timestamp"
EVENT_ID_HEADER = "X-Legato-Event-Id"
SIGNATURE_HEADER = "X-Legato-Signature"
TOLERANCE_S = 300.0
PREFIX = "sha256="


class BadSignature(Unauthorized):
    """A signed delivery that is malformed, stale or signed with another secret (HTTP 401)."""


def signed_content(timestamp: str, event_id: str, body: bytes) -> bytes:
    """The bytes the HMAC covers: `<timestamp>.<event id>.<raw body>`."""
    return f"{timestamp}.{event_id}.".encode() + body


def sign(secret: str, timestamp: str, event_id: str, body: bytes) -> str:
    """The X-Legato-Signature value for one delivery."""
    digest = hmac.new(secret.encode(), signed_content(timestamp, event_id, body), hashlib.sha256)
    return PREFIX + digest.hexdigest()


def signed_headers(secret: str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The three headers of a signed delivery sent now (or at `now`, Unix seconds)."""
    stamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: stamp, EVENT_ID_HEADER: event_id,
            SIGNATURE_HEADER: sign(secret, stamp, event_id, body)}


def check_freshness(timestamp: str | None, now: float | None = None,
                    tolerance_s: float = TOLERANCE_S) -> None:
    """Refuse a missing, malformed or stale timestamp (BadSignature says which)."""
    if not timestamp:
        raise BadSignature(f"a signed delivery needs {TIMESTAMP_HEADER} (Unix seconds)")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be whole Unix seconds, not {timestamp[:20]!r}")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > tolerance_s:
        raise BadSignature(f"{TIMESTAMP_HEADER} is {skew:.0f} s away from the server's clock "
                           f"(at most {tolerance_s:.0f} s is accepted): sign each delivery when "
                           f"you send it")


def matches(secret: str, timestamp: str, event_id: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is this delivery's signature under `secret` (constant time)."""
    expected = sign(secret, timestamp, event_id, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
