"""ServiceNow Table API on `incident` (basic auth).

opened: POST /api/now/table/incident with `correlation_id` = the incident uid; a retried
create first looks it up (GET ...?sysparm_query=correlation_id=<uid>), so a lost response does
not make a second record. updated: PATCH /api/now/table/incident/{sys_id} with `work_notes`.
resolved: PATCH with state 6 (Resolved), `close_code` and `close_notes`.
"""

from __future__ import annotations

from typing import Any

from ..config import ServiceNow
from ..lifecycle import body_text, title
from .base import Delivery, DeliveryError, basic, check, connection, json_of

URGENCY = {"critical": "1", "error": "2", "warning": "3", "info": "3"}
RESOLVED_STATE = "6"


def _headers(cfg: ServiceNow) -> dict[str, str]:
    conn = connection(cfg.conn_id, "ServiceNow")
    return {"Authorization": basic(conn.login, conn.password, "ServiceNow", cfg.conn_id),
            "Accept": "application/json", "Content-Type": "application/json"}


def _find(cfg: ServiceNow, d: Delivery, client: Any, headers: dict[str, str]) -> str | None:
    r = check(client.get(f"{cfg.url}/api/now/table/incident", headers=headers,
                         timeout=cfg.timeout_s,
                         params={"sysparm_query": f"correlation_id={d.uid}",
                                 "sysparm_fields": "sys_id,number", "sysparm_limit": "1"}),
              "ServiceNow lookup")
    found = json_of(r).get("result") or []
    return found[0].get("sys_id") if found else None


def _create(cfg: ServiceNow, d: Delivery, client: Any, headers: dict[str, str]) -> dict[str, Any]:
    sys_id = _find(cfg, d, client, headers) if d.attempt > 1 else None
    if sys_id is None:
        level = URGENCY[d.incident["severity"]]
        record = {"short_description": title(d.doc)[:160], "description": body_text(d.doc),
                  "correlation_id": d.uid, "correlation_display": "Legato",
                  "urgency": level, "impact": level}
        if cfg.assignment_group:
            record["assignment_group"] = cfg.assignment_group
        r = check(client.post(f"{cfg.url}/api/now/table/incident", headers=headers,
                              timeout=cfg.timeout_s, json=record), "ServiceNow insert")
        sys_id = (json_of(r).get("result") or {}).get("sys_id")
        if not sys_id:
            raise DeliveryError("ServiceNow insert: the response has no sys_id")
    return {"sys_id": sys_id}


def send(cfg: ServiceNow, d: Delivery, client: Any) -> dict[str, Any] | None:
    headers = _headers(cfg)
    if d.event == "incident.opened":
        return _create(cfg, d, client, headers)
    if not d.ref or "sys_id" not in d.ref:
        raise DeliveryError("ServiceNow: no record was created for this incident", permanent=True)
    url = f"{cfg.url}/api/now/table/incident/{d.ref['sys_id']}"
    if d.event == "incident.updated":
        body = {"work_notes": body_text(d.doc)}
    else:
        body = {"state": RESOLVED_STATE, "close_code": cfg.close_code,
                "close_notes": d.doc["meta"]["note"]}
    check(client.patch(url, headers=headers, timeout=cfg.timeout_s, json=body), "ServiceNow update")
    return None
