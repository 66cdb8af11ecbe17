"""PagerDuty Events API v2: POST /v2/enqueue with the routing key from the connection.

opened and updated send `trigger`, resolved sends `resolve`, all with `dedup_key` = the
incident fingerprint: PagerDuty folds a repeated trigger into the open alert, so a retried
delivery never pages twice. The payload's severity is the incident's, or the sink's
`severity` when set.
"""

from __future__ import annotations

from typing import Any

from ..config import PagerDuty
from ..lifecycle import title
from .base import Delivery, check, connection, secret_of


def event_body(routing_key: str, d: Delivery, severity: str | None = None) -> dict[str, Any]:
    i = d.incident
    body: dict[str, Any] = {"routing_key": routing_key, "dedup_key": i["fingerprint"]}
    if d.event == "incident.resolved":
        return {**body, "event_action": "resolve"}
    details = {k: i[k] for k in ("run_id", "logical_date", "error", "error_type", "tries",
                                 "occurrences", "log_excerpt")}
    body.update(event_action="trigger", client="Legato", payload={
        "summary": title(d.doc)[:1024], "source": f"legato/{i['dag_id']}",
        "severity": severity or i["severity"], "timestamp": i["opened_at"], "component": i["task_id"] or "",
        "group": i["dag_id"], "class": i["kind"], "custom_details": details})
    if i["log_url"]:
        body["client_url"] = i["log_url"]
        body["links"] = [{"href": i["log_url"], "text": "Task log in Legato"}]
    return body


def send(cfg: PagerDuty, d: Delivery, client: Any) -> dict[str, Any] | None:
    key = secret_of(connection(cfg.conn_id, "PagerDuty"), "PagerDuty")
    check(client.post(f"{cfg.url}/v2/enqueue", json=event_body(key, d, cfg.severity),
                      timeout=cfg.timeout_s,
                      headers={"Content-Type": "application/json", "Accept": "application/json"}),
          "PagerDuty enqueue")
    return None
