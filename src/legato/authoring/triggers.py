"""The event triggers a DAG's `schedule` may be: what users write, validated once, no I/O.

A trigger only names its source (a file pattern, a webhook name, a queue topic and broker);
the listener (legato.events.listener) turns a source's news into "received event" rows and
the scheduler turns those rows into runs. Nothing here imports a broker client or fsspec, so
`from legato import events` stays light. Users import them from `legato.events`; they live in
authoring because they are part of a DAG's definition (the schedule codec rebuilds them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
_SECRET_KINDS = ("env", "var", "conn")
QUEUE_SCHEMES = ("nats", "tls", "redis", "rediss", "amqp", "amqps")


class EventTrigger:
    """Base of the event schedules. `source` is the stored kind of its received events."""

    source: ClassVar[str] = ""
    is_event_trigger: ClassVar[bool] = True      # how schedules/ recognise one without importing us

    def describe(self) -> str:
        raise NotImplementedError


def _check_name(what: str, name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what} {name!r} must be 1-200 characters of letters, digits, '_', "
                         "'.' or '-', starting with a letter, digit or '_'")
    return name


def _seconds(value: float | timedelta, what: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"{what} must be a positive number of seconds or a timedelta, "
                         f"got {value!r}")
    return float(seconds)


@dataclass(frozen=True)
class FileArrival(EventTrigger):
    """One run per new file matching `pattern`: a local glob ("/data/in/*.csv", "**" recurses)
    or any fsspec URL ("s3://bucket/in/*.csv", "memory://in/*.csv"). A file is taken once
    its size and modification time are unchanged across two polls (so a half-written file
    is not), and never twice: its URL is the event's dedupe key."""

    pattern: str
    poll_interval: float | timedelta = 5.0
    source: ClassVar[str] = "file"

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern.strip():
            raise ValueError(f"FileArrival needs a non-empty path or URL pattern, got {self.pattern!r}")
        object.__setattr__(self, "poll_interval",
                           _seconds(self.poll_interval, "FileArrival poll_interval"))

    @property
    def poll_s(self) -> float:
        return float(self.poll_interval)  # type: ignore[arg-type]

    def describe(self) -> str:
        return f"file: {self.pattern}"


@dataclass(frozen=True)
class Webhook(EventTrigger):
    """A run per POST to /api/v1/events/webhooks/{name}, sent with an operator token or, when
    `secret` is set ("env:NAME", "var:NAME" or "conn:ID", the connection's password), signed:
    `X-Legato-Signature: sha256=<hex HMAC-SHA256 of "<X-Legato-Timestamp>.<X-Legato-Event-Id>.
    <raw body>">`, the timestamp within 5 minutes and the event id not seen before (a captured
    request cannot be replayed; services/events.py checks it)."""

    name: str
    secret: str | None = None
    source: ClassVar[str] = "webhook"

    def __post_init__(self) -> None:
        _check_name("Webhook name", self.name)
        if self.secret is not None:
            kind, _, ref = str(self.secret).partition(":")
            if kind not in _SECRET_KINDS or not ref:
                raise ValueError(f"Webhook {self.name!r} secret must be 'env:NAME', 'var:NAME' "
                                 f"or 'conn:ID' (the secret itself never goes in a DAG file), "
                                 f"got {self.secret!r}")

    def describe(self) -> str:
        return f"webhook: {self.name}"


@dataclass(frozen=True)
class Queue(EventTrigger):
    """A run per message on `topic`: the embedded queue in the metadata database when `url`
    is None (publish with `legato events publish` or POST /api/v1/events/queue/{topic}), else
    a broker: nats:// (JetStream), redis:// (a stream read by a consumer group) or amqp://
    (RabbitMQ: a fanout exchange named `topic`, a durable queue per DAG)."""

    topic: str
    url: str | None = None
    poll_interval: float | timedelta = 1.0
    source: ClassVar[str] = "queue"

    def __post_init__(self) -> None:
        _check_name("Queue topic", self.topic)
        if self.url is not None:
            scheme = str(self.url).partition("://")[0].lower()
            if "://" not in str(self.url) or scheme not in QUEUE_SCHEMES:
                raise ValueError(f"Queue {self.topic!r} url must be None (the embedded queue) or "
                                 f"start with nats://, redis:// or amqp://, got {self.url!r}")
        object.__setattr__(self, "poll_interval",
                           _seconds(self.poll_interval, "Queue poll_interval"))

    @property
    def broker(self) -> str:
        """"embedded", "nats", "redis" or "amqp"."""
        if self.url is None:
            return "embedded"
        scheme = self.url.partition("://")[0].lower()
        return {"tls": "nats", "rediss": "redis", "amqps": "amqp"}.get(scheme, scheme)

    @property
    def poll_s(self) -> float:
        return float(self.poll_interval)  # type: ignore[arg-type]

    def describe(self) -> str:
        if self.url is None:
            return f"queue: {self.topic}"
        return f"queue: {_without_password(self.url).rstrip('/')}/{self.topic}"


def _without_password(url: str) -> str:
    """The URL as shown in the UI: a password never appears in a schedule description."""
    scheme, _, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    if not at:
        return url
    user = auth.partition(":")[0]
    return f"{scheme}://{user + '@' if user else ''}{host}"
