"""Incidents: failures become helpdesk tickets that update and resolve themselves (SPEC §3).

The names users import are plain sink configurations; nothing here imports httpx or the
store. The lifecycle (lifecycle.py), the bus listener (listener.py), the outbox dispatcher
(dispatcher.py) and the HTTP sinks (sinks/) are imported where they are used.
"""

from __future__ import annotations

from .config import (
    IncidentConfigError,
    Jira,
    Opsgenie,
    PagerDuty,
    ServiceNow,
    SinkConfig,
    Slack,
    Webhook,
    Zendesk,
)

__all__ = ["IncidentConfigError", "Jira", "Opsgenie", "PagerDuty", "ServiceNow", "SinkConfig",
           "Slack", "Webhook", "Zendesk"]
