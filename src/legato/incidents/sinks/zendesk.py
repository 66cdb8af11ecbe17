"""Zendesk Tickets API (basic auth as `{email}/token:{api_token}`).

opened: POST /api/v2/tickets.json with an `Idempotency-Key` (the outbox row's delivery id), so
a retried create returns the first ticket instead of making another. updated: PUT
/api/v2/tickets/{id}.json with a private comment. resolved: the same with `status: solved`.

The ticket's priority follows the incident's severity unless the sink sets `priority`; its
`tags` are added to `legato` and the incident's kind; `assignee_email` assigns it (the Tickets
API looks the agent up by e-mail). Without `url`, the connection's URL is the account's.
"""

from __future__ import annotations

import base64
from typing import Any

from ..config import Zendesk
from ..lifecycle import body_text, title
from .base import Delivery, DeliveryError, check, connection, json_of, ticket_ref
from .site import site_url

PRIORITY = {"critical": "urgent", "error": "high", "warning": "normal", "info": "low"}


def _headers(cfg: Zendesk) -> tuple[str, dict[str, str]]:
    """(the account's base URL, the request headers)."""
    conn = connection(cfg.conn_id, "Zendesk")
    if not conn.login or not conn.password:
        raise DeliveryError(f"Zendesk: connection {cfg.conn_id!r} needs the agent e-mail (login) "
                            "and an API token (password)")
    token = base64.b64encode(f"{conn.login}/token:{conn.password}".encode()).decode()
    return site_url(cfg.url, conn, "Zendesk"), {
        "Authorization": f"Basic {token}", "Accept": "application/json",
        "Content-Type": "application/json"}


def new_ticket(cfg: Zendesk, d: Delivery) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "subject": title(d.doc), "comment": {"body": body_text(d.doc)},
        "priority": cfg.priority or PRIORITY[d.incident["severity"]], "external_id": d.uid,
        "tags": ["legato", d.incident["kind"], *(cfg.tags or ())]}
    if cfg.assignee_email:
        ticket["assignee_email"] = cfg.assignee_email
    return ticket


def send(cfg: Zendesk, d: Delivery, client: Any) -> dict[str, Any] | None:
    base, headers = _headers(cfg)
    if d.event == "incident.opened":
        r = check(client.post(f"{base}/api/v2/tickets.json", timeout=cfg.timeout_s,
                              headers={**headers, "Idempotency-Key": d.delivery_id},
                              json={"ticket": new_ticket(cfg, d)}), "Zendesk create ticket")
        ticket_id = (json_of(r).get("ticket") or {}).get("id")
        if ticket_id is None:
            raise DeliveryError("Zendesk create ticket: the response has no ticket id")
        return {"id": ticket_id}
    ticket_id = ticket_ref(d, "id", "Zendesk: no ticket")
    if d.event == "incident.updated":
        ticket = {"comment": {"body": body_text(d.doc), "public": False}}
    else:
        ticket = {"status": "solved", "comment": {"body": d.doc["meta"]["note"], "public": False}}
    check(client.put(f"{base}/api/v2/tickets/{ticket_id}.json", headers=headers,
                     timeout=cfg.timeout_s, json={"ticket": ticket}), "Zendesk update ticket")
    return None
