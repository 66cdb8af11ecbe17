"""Slack incoming webhook: POST `{"text", "blocks"}` to the webhook URL kept in a connection.

Slack reads `&`, `<` and `>` as control characters in mrkdwn (`<url|label>` is a link,
`<!channel>` pings everyone), so every piece of text that comes from a DAG, a task or an error
is escaped as `&amp;`, `&lt;`, `&gt;` (Slack's documented escaping, and nothing more); only the
link to the task log is written as a link."""

from __future__ import annotations

from typing import Any

from ..config import Slack
from ..lifecycle import title
from .base import Delivery, DeliveryError, check, connection

VERB = {"incident.opened": "opened", "incident.updated": "updated", "incident.resolved": "resolved"}


def hook_url(conn_id: str) -> str:
    conn = connection(conn_id, "Slack")
    if conn.conn_type not in ("http", "https") or not conn.host:
        raise DeliveryError(f"Slack: connection {conn_id!r} must be the incoming-webhook URL "
                            "(https://hooks.slack.com/services/...)", permanent=True)
    port = f":{conn.port}" if conn.port else ""
    return f"{conn.conn_type}://{conn.host}{port}/{conn.schema or ''}"


def escape(text: object) -> str:
    """`text` safe inside Slack mrkdwn: `&`, `<` and `>` as the entities Slack expects."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(d: Delivery) -> dict[str, Any]:
    i = d.incident
    head = escape(f"Incident {VERB[d.event]}: {title(d.doc)}")
    lines = [f"*{head}*", escape(d.doc["meta"]["note"])]
    if i["error"] and d.event != "incident.resolved":
        lines.append(f"`{escape(i['error_type'] or '')}` {escape(i['error'][:500])}")
    lines.append(f"run `{escape(i['run_id'])}` · tries {i['tries']} · occurrences {i['occurrences']}")
    if i["log_url"]:
        lines.append(f"<{escape(i['log_url'])}|Task log>")
    return {"text": head,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


def send(cfg: Slack, d: Delivery, client: Any) -> dict[str, Any] | None:
    check(client.post(hook_url(cfg.conn_id), json=message(d), timeout=cfg.timeout_s,
                      headers={"Content-Type": "application/json"}), "Slack")
    return None
