"""Sink configuration: plain, frozen, callable-free objects users put in `DAG(incidents=[...])`
or in `LEGATO_INCIDENTS`. Each becomes a JSON spec (`to_spec`) stored with the DAG and with
every outbox row, so whichever process delivers an event rebuilds the same sink from it.

Credentials never live here: a sink names a connection (`conn_id`, read from
`LEGATO_CONN_<ID>` when delivering), and a Webhook's signing key is a reference —
`"conn:ID"` (the connection's password), `"var:NAME"` or `"env:NAME"` — never the key itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, ClassVar
from urllib.parse import urlsplit


class IncidentConfigError(ValueError):
    """A sink is misconfigured (the message names the sink and the field)."""


SECRET_PREFIXES = ("conn:", "var:", "env:")


def _need(kind: str, name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise IncidentConfigError(f"{kind}: {name} is required (a non-empty string)")


def _url(kind: str, name: str, value: Any) -> None:
    _need(kind, name, value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise IncidentConfigError(f"{kind}: {name} {value!r} is not an http(s) URL")


def _site(kind: str, value: Any) -> None:
    """A helpdesk's site URL, optional: without it, the connection's URL is the site."""
    if value is not None:
        _url(kind, "url", value)


def _one_of(kind: str, name: str, value: Any, allowed: tuple[Any, ...]) -> None:
    if value is not None and value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise IncidentConfigError(f"{kind}: {name} must be one of {shown}, got {value!r}")


def _words(cfg: Any, kind: str, name: str, *, spaces: bool = False) -> None:
    """A tuple of non-empty strings (labels, tags, components): a list or tuple is accepted
    and kept as a tuple (the config stays frozen and hashable); None stays None."""
    value = getattr(cfg, name)
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise IncidentConfigError(f"{kind}: {name} must be a list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item.strip() or (not spaces and " " in item):
            what = "non-empty strings" if spaces else "non-empty strings without spaces"
            raise IncidentConfigError(f"{kind}: {name} must be {what}, got {item!r}")
    object.__setattr__(cfg, name, tuple(value))


@dataclass(frozen=True)
class SinkConfig:
    type: ClassVar[str] = ""

    def to_spec(self) -> dict[str, Any]:
        return {"type": self.type, **{k: v for k, v in asdict(self).items() if v is not None}}

    @property
    def key(self) -> str:
        """Stable identity of this sink (the outbox and remote ids are kept per key)."""
        raw = json.dumps(self.to_spec(), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def describe(self) -> str:
        spec = self.to_spec()
        where = spec.get("url") or spec.get("conn_id") or ""
        return f"{self.type}({where})"


@dataclass(frozen=True)
class Webhook(SinkConfig):
    """POST the incident event as JSON; signed with HMAC-SHA256 when `secret` is set."""

    type: ClassVar[str] = "webhook"
    url: str
    secret: str | None = None
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        _url("Webhook", "url", self.url)
        if self.secret is not None and not str(self.secret).startswith(SECRET_PREFIXES):
            raise IncidentConfigError(
                "Webhook: secret must name where the key is kept ('conn:ID', 'var:NAME' or "
                "'env:NAME'), never the key itself in DAG code")


@dataclass(frozen=True)
class Jira(SinkConfig):
    """Jira Cloud / Jira Service Management REST: create an issue (or, with `service_desk_id`
    and `request_type_id`, a JSM request), comment, transition when resolved. The connection
    holds the account e-mail (login) and API token (password); without `url`, the
    connection's URL is the site (`LEGATO_CONN_JIRA=https://me%40acme.com:TOKEN@acme.atlassian.net`).

    On the ticket: `priority` (a priority's name: "Highest", "High", ...), `labels` (added to
    Legato's own `legato` and `legato-<uid>`), `assignee` (an Atlassian accountId) and
    `components` (component names)."""

    type: ClassVar[str] = "jira"
    url: str | None = None
    project: str | None = None
    conn_id: str = "jira"
    issue_type: str = "Bug"
    resolve_transition: str = "Done"
    service_desk_id: str | None = None
    request_type_id: str | None = None
    timeout_s: float = 10.0
    priority: str | None = None
    labels: tuple[str, ...] | None = None
    assignee: str | None = None
    components: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _site("Jira", self.url)
        _need("Jira", "conn_id", self.conn_id)
        if self.priority is not None:
            _need("Jira", "priority", self.priority)
        if self.assignee is not None:
            _need("Jira", "assignee", self.assignee)
        _words(self, "Jira", "labels")
        _words(self, "Jira", "components", spaces=True)
        if self.service_desk_id is None and self.request_type_id is None:
            _need("Jira", "project", self.project)
        elif not (self.service_desk_id and self.request_type_id):
            raise IncidentConfigError("Jira: service_desk_id and request_type_id go together")


@dataclass(frozen=True)
class ServiceNow(SinkConfig):
    """ServiceNow Table API on `incident`: insert, work notes, resolve with a close code.
    The connection holds the user (login) and password; without `url`, the connection's URL
    is the instance.

    On the record: `priority` 1 (critical) to 5 (planning), set as the impact and urgency
    that ServiceNow's default priority matrix turns into it (priority itself is computed);
    `assigned_to` (a user's sys_id), `assignment_group`, `category`. ServiceNow incidents
    have no labels: use `category`."""

    type: ClassVar[str] = "servicenow"
    url: str | None = None
    conn_id: str = "servicenow"
    close_code: str = "Solution provided"
    assignment_group: str | None = None
    timeout_s: float = 10.0
    priority: int | None = None
    assigned_to: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        _site("ServiceNow", self.url)
        _need("ServiceNow", "conn_id", self.conn_id)
        _one_of("ServiceNow", "priority", self.priority, (1, 2, 3, 4, 5))


@dataclass(frozen=True)
class Zendesk(SinkConfig):
    """Zendesk Tickets API: create (with an Idempotency-Key), comment, solve. The connection
    holds the agent e-mail (login) and API token (password); without `url`, the connection's
    URL is the account's.

    On the ticket: `priority` ("urgent", "high", "normal", "low"; default from the incident's
    severity), `tags` (added to `legato` and the incident's kind), `assignee_email`."""

    type: ClassVar[str] = "zendesk"
    url: str | None = None
    conn_id: str = "zendesk"
    timeout_s: float = 10.0
    priority: str | None = None
    tags: tuple[str, ...] | None = None
    assignee_email: str | None = None

    def __post_init__(self) -> None:
        _site("Zendesk", self.url)
        _need("Zendesk", "conn_id", self.conn_id)
        _one_of("Zendesk", "priority", self.priority, ("urgent", "high", "normal", "low"))
        _words(self, "Zendesk", "tags")
        if self.assignee_email is not None and "@" not in str(self.assignee_email):
            raise IncidentConfigError(f"Zendesk: assignee_email {self.assignee_email!r} is "
                                      "not an e-mail address")


@dataclass(frozen=True)
class PagerDuty(SinkConfig):
    """PagerDuty Events API v2: trigger / resolve with dedup_key = the incident fingerprint.
    The connection's password (or login) is the integration's routing key (which picks the
    service, so the escalation policy decides who is paged). `severity` ("critical",
    "error", "warning", "info") overrides the one Legato gives the incident."""

    type: ClassVar[str] = "pagerduty"
    conn_id: str = "pagerduty"
    url: str = "https://events.pagerduty.com"
    timeout_s: float = 10.0
    severity: str | None = None

    def __post_init__(self) -> None:
        _url("PagerDuty", "url", self.url)
        _need("PagerDuty", "conn_id", self.conn_id)
        _one_of("PagerDuty", "severity", self.severity, ("critical", "error", "warning", "info"))


@dataclass(frozen=True)
class Opsgenie(SinkConfig):
    """Opsgenie Alert API: create with alias = fingerprint, notes, close by alias. The
    connection's password (or login) is the API integration key. On the alert: `priority`
    ("P1" to "P5"; default from the incident's severity), `tags` (added to `legato` and the
    kind) and `responders` (team names the alert is routed to)."""

    type: ClassVar[str] = "opsgenie"
    conn_id: str = "opsgenie"
    url: str = "https://api.opsgenie.com"
    timeout_s: float = 10.0
    priority: str | None = None
    tags: tuple[str, ...] | None = None
    responders: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _url("Opsgenie", "url", self.url)
        _need("Opsgenie", "conn_id", self.conn_id)
        _one_of("Opsgenie", "priority", self.priority, ("P1", "P2", "P3", "P4", "P5"))
        _words(self, "Opsgenie", "tags", spaces=True)
        _words(self, "Opsgenie", "responders", spaces=True)


@dataclass(frozen=True)
class Slack(SinkConfig):
    """Slack incoming webhook. The webhook URL is a secret: the connection holds it
    (`LEGATO_CONN_SLACK=https://hooks.slack.com/services/...`)."""

    type: ClassVar[str] = "slack"
    conn_id: str = "slack"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        _need("Slack", "conn_id", self.conn_id)


SINK_TYPES: dict[str, type[SinkConfig]] = {
    c.type: c for c in (Webhook, Jira, ServiceNow, Zendesk, PagerDuty, Opsgenie, Slack)}


def sink_from_spec(spec: dict[str, Any]) -> SinkConfig:
    kind = spec.get("type")
    cls = SINK_TYPES.get(str(kind)) or _plugin_config(str(kind))
    if cls is None:
        from .sinks import known

        raise IncidentConfigError(f"unknown incident sink type {kind!r}; known: "
                                  f"{', '.join(known())}")
    names = {f.name for f in fields(cls)}
    unknown = set(spec) - names - {"type"}
    if unknown:
        raise IncidentConfigError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    for f in fields(cls):
        if f.default is MISSING and f.name not in spec:
            raise IncidentConfigError(f"{cls.__name__}: {f.name} is required")
    try:
        return cls(**{k: v for k, v in spec.items() if k != "type"})
    except TypeError as exc:
        raise IncidentConfigError(f"{cls.__name__}: {exc}") from None


def parse_global_sinks(raw: str | None) -> tuple[SinkConfig, ...]:
    """`LEGATO_INCIDENTS`: a JSON list of sink specs (`[{"type": "pagerduty", "conn_id":
    "pd"}]`), or comma-separated http(s) URLs, each a Webhook."""
    if raw is None or not raw.strip():
        return ()
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IncidentConfigError(f"LEGATO_INCIDENTS is not valid JSON: {exc}") from None
        if not all(isinstance(i, dict) for i in items):
            raise IncidentConfigError("LEGATO_INCIDENTS: each item must be an object with a 'type'")
        return tuple(sink_from_spec(i) for i in items)
    return tuple(Webhook(u.strip()) for u in text.split(",") if u.strip())


def _plugin_config(kind: str) -> type[SinkConfig] | None:
    """The config class of a sink registered in code or by the entry point group
    `legato.incident_sinks` (incidents/sinks/__init__.py, the registry)."""
    from .sinks import get

    sink = get(kind)
    return None if sink is None else sink.config
