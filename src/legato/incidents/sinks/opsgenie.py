"""Opsgenie Alert API (`Authorization: GenieKey <key>`), the alert's alias = the fingerprint.

opened: POST /v2/alerts (Opsgenie keeps one open alert per alias, so a retried create does
not duplicate it). updated: POST /v2/alerts/{alias}/notes?identifierType=alias. resolved:
POST /v2/alerts/{alias}/close?identifierType=alias.

The alert's priority follows the incident's severity unless the sink sets `priority`; its
`tags` are added to `legato` and the kind; `responders` become `[{"type": "team", "name"}]`.
"""

from __future__ import annotations

from typing import Any

from ..config import Opsgenie
from ..lifecycle import body_text, title
from .base import Delivery, check, connection, secret_of

PRIORITY = {"critical": "P1", "error": "P2", "warning": "P3", "info": "P5"}


def send(cfg: Opsgenie, d: Delivery, client: Any) -> dict[str, Any] | None:
    key = secret_of(connection(cfg.conn_id, "Opsgenie"), "Opsgenie")
    headers = {"Authorization": f"GenieKey {key}", "Content-Type": "application/json"}
    i = d.incident
    alias = i["fingerprint"]
    if d.event == "incident.opened":
        body: dict[str, Any] = {
            "message": title(d.doc)[:130], "alias": alias, "description": body_text(d.doc)[:15000],
            "source": "Legato", "entity": i["dag_id"],
            "priority": cfg.priority or PRIORITY[i["severity"]],
            "tags": ["legato", i["kind"], *(cfg.tags or ())],
            "details": {k: str(i[k]) for k in ("dag_id", "task_id", "run_id", "error_type",
                                               "log_url") if i[k] is not None}}
        if cfg.responders:
            body["responders"] = [{"type": "team", "name": n} for n in cfg.responders]
        url = f"{cfg.url}/v2/alerts"
    else:
        action = "notes" if d.event == "incident.updated" else "close"
        text = body_text(d.doc) if action == "notes" else d.doc["meta"]["note"]
        body = {"note": text[:25000], "source": "Legato"}
        url = f"{cfg.url}/v2/alerts/{alias}/{action}?identifierType=alias"
    check(client.post(url, json=body, headers=headers, timeout=cfg.timeout_s), "Opsgenie")
    return None
