"""ServiceNow Table API on `incident` (basic auth).

opened: POST /api/now/table/incident with `correlation_id` = the incident uid; a retried
create first looks it up (GET ...?sysparm_query=correlation_id=<uid>), so a lost response does
not make a second record. updated: PATCH /api/now/table/incident/{sys_id} with `work_notes`.
resolved: PATCH with state 6 (Resolved), `close_code` and `close_notes`.

Urgency and impact follow the incident's severity, unless the sink sets `priority` (1-5):
ServiceNow computes an incident's priority from impact x urgency (its default lookup), so
the sink sends the pair that lookup turns into that priority. `assigned_to`,
`assignment_group` and `category` are sent as given. Without `url`, the connection's URL is
the instance (site.py).
"""

from __future__ import annotations

from typing import Any

from ..config import ServiceNow
from ..lifecycle import body_text, title
from .base import Delivery, DeliveryError, basic, check, connection, json_of, ticket_ref
from .site import site_url

URGENCY = {"critical": "1", "error": "2", "warning": "3", "info": "3"}
# ServiceNow's default priority lookup: (impact, urgency) 1/1 -> 1, 1/2 -> 2, 2/2 -> 3,
# 2/3 -> 4, 3/3 -> 5 (the other pairs give the same priorities).
IMPACT_URGENCY = {1: ("1", "1"), 2: ("1", "2"), 3: ("2", "2"), 4: ("2", "3"), 5: ("3", "3")}
RESOLVED_STATE = "6"


def _headers(cfg: ServiceNow) -> tuple[str, dict[str, str]]:
    """(the instance's base URL, the request headers)."""
    conn = connection(cfg.conn_id, "ServiceNow")
    return site_url(cfg.url, conn, "ServiceNow"), {
        "Authorization": basic(conn.login, conn.password, "ServiceNow", cfg.conn_id),
        "Accept": "application/json", "Content-Type": "application/json"}


def record_fields(cfg: ServiceNow, severity: str) -> dict[str, str]:
    """Impact, urgency and the assignment and category fields of a new record."""
    if cfg.priority is not None:
        impact, urgency = IMPACT_URGENCY[cfg.priority]
    else:
        impact = urgency = URGENCY[severity]
    fields = {"urgency": urgency, "impact": impact}
    for name in ("assignment_group", "assigned_to", "category"):
        value = getattr(cfg, name)
        if value:
            fields[name] = value
    return fields


def _find(cfg: ServiceNow, base: str, d: Delivery, client: Any,
          headers: dict[str, str]) -> str | None:
    r = check(client.get(f"{base}/api/now/table/incident", headers=headers,
                         timeout=cfg.timeout_s,
                         params={"sysparm_query": f"correlation_id={d.uid}",
                                 "sysparm_fields": "sys_id,number", "sysparm_limit": "1"}),
              "ServiceNow lookup")
    found = json_of(r).get("result") or []
    return found[0].get("sys_id") if found else None


def _create(cfg: ServiceNow, base: str, d: Delivery, client: Any,
            headers: dict[str, str]) -> dict[str, Any]:
    sys_id = _find(cfg, base, d, client, headers) if d.attempt > 1 else None
    if sys_id is None:
        record = {"short_description": title(d.doc)[:160], "description": body_text(d.doc),
                  "correlation_id": d.uid, "correlation_display": "Legato",
                  **record_fields(cfg, d.incident["severity"])}
        r = check(client.post(f"{base}/api/now/table/incident", headers=headers,
                              timeout=cfg.timeout_s, json=record), "ServiceNow insert")
        sys_id = (json_of(r).get("result") or {}).get("sys_id")
        if not sys_id:
            raise DeliveryError("ServiceNow insert: the response has no sys_id")
    return {"sys_id": sys_id}


def send(cfg: ServiceNow, d: Delivery, client: Any) -> dict[str, Any] | None:
    base, headers = _headers(cfg)
    if d.event == "incident.opened":
        return _create(cfg, base, d, client, headers)
    url = f"{base}/api/now/table/incident/{ticket_ref(d, 'sys_id', 'ServiceNow: no record')}"
    if d.event == "incident.updated":
        body = {"work_notes": body_text(d.doc)}
    else:
        body = {"state": RESOLVED_STATE, "close_code": cfg.close_code,
                "close_notes": d.doc["meta"]["note"]}
    check(client.patch(url, headers=headers, timeout=cfg.timeout_s, json=body), "ServiceNow update")
    return None
