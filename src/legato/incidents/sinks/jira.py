"""Jira Cloud / Jira Service Management, REST API v3 (basic auth: e-mail and API token).

opened: POST /rest/api/3/issue (labels `legato` and `legato-<uid>`, then the sink's own
`labels`; its `priority` as `{"name"}`, `assignee` as `{"accountId"}` and `components` as
`[{"name"}]`, the shapes Jira's create-issue fields take); a retried create first searches
POST /rest/api/3/search/jql for that label, so a create whose response was lost does not make
a second issue. updated: POST /rest/api/3/issue/{key}/comment. resolved: a comment, then GET
/rest/api/3/issue/{key}/transitions and POST the one named `resolve_transition`. Text goes as
Atlassian Document Format.

With `service_desk_id` and `request_type_id`, the issue is a Jira Service Management request:
POST /rest/servicedeskapi/request (`serviceDeskId`, `requestTypeId`, `requestFieldValues`,
where priority, labels and components go too: the request type must have those fields) and
comments are internal notes through POST /rest/servicedeskapi/request/{key}/comment
(`public: false`); the resolving transition is the agent workflow one, as above. A request
cannot be created assigned, so the assignee is set after with PUT
/rest/api/3/issue/{key}/assignee. A request type need not carry labels, so a lost create
response there may leave a duplicate request.

Without `url`, the connection's URL is the site (site.py).
"""

from __future__ import annotations

from typing import Any

from ..config import Jira
from ..lifecycle import body_text, title
from .base import Delivery, DeliveryError, basic, check, connection, json_of, ticket_ref
from .site import site_url


def adf(text: str) -> dict[str, Any]:
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
                  for line in text.splitlines() if line.strip()]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _headers(cfg: Jira) -> tuple[str, dict[str, str]]:
    """(the site's base URL, the request headers)."""
    conn = connection(cfg.conn_id, "Jira")
    return site_url(cfg.url, conn, "Jira"), {
        "Authorization": basic(conn.login, conn.password, "Jira", cfg.conn_id),
        "Accept": "application/json", "Content-Type": "application/json"}


def ticket_fields(cfg: Jira) -> dict[str, Any]:
    """The sink's priority and components, in the shape Jira's create calls take them."""
    fields: dict[str, Any] = {}
    if cfg.priority:
        fields["priority"] = {"name": cfg.priority}
    if cfg.components:
        fields["components"] = [{"name": c} for c in cfg.components]
    return fields


def _find(cfg: Jira, base: str, d: Delivery, client: Any, headers: dict[str, str]) -> str | None:
    r = check(client.post(f"{base}/rest/api/3/search/jql", headers=headers,
                          timeout=cfg.timeout_s,
                          json={"jql": f'labels = "legato-{d.uid}"', "fields": ["key"],
                                "maxResults": 1}), "Jira search")
    issues = json_of(r).get("issues") or []
    return issues[0].get("key") if issues else None


def _create_request(cfg: Jira, base: str, d: Delivery, client: Any,
                    headers: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"summary": title(d.doc)[:255], "description": body_text(d.doc),
                              **ticket_fields(cfg)}
    if cfg.labels:
        values["labels"] = list(cfg.labels)
    body = {"serviceDeskId": cfg.service_desk_id, "requestTypeId": cfg.request_type_id,
            "requestFieldValues": values}
    r = check(client.post(f"{base}/rest/servicedeskapi/request", headers=headers,
                          timeout=cfg.timeout_s, json=body), "Jira Service Management request")
    key = json_of(r).get("issueKey")
    if not key:
        raise DeliveryError("Jira Service Management request: the response has no issueKey")
    if cfg.assignee:
        check(client.put(f"{base}/rest/api/3/issue/{key}/assignee", headers=headers,
                         timeout=cfg.timeout_s, json={"accountId": cfg.assignee}),
              "Jira assign issue")
    return {"key": key}


def _create(cfg: Jira, base: str, d: Delivery, client: Any,
            headers: dict[str, str]) -> dict[str, Any]:
    if cfg.service_desk_id:
        return _create_request(cfg, base, d, client, headers)
    key = _find(cfg, base, d, client, headers) if d.attempt > 1 else None
    if key is None:
        fields = {"project": {"key": cfg.project}, "issuetype": {"name": cfg.issue_type},
                  "summary": title(d.doc)[:255], "description": adf(body_text(d.doc)),
                  "labels": ["legato", f"legato-{d.uid}", *(cfg.labels or ())],
                  **ticket_fields(cfg)}
        if cfg.assignee:
            fields["assignee"] = {"accountId": cfg.assignee}
        r = check(client.post(f"{base}/rest/api/3/issue", headers=headers,
                              timeout=cfg.timeout_s, json={"fields": fields}), "Jira create issue")
        key = json_of(r).get("key")
        if not key:
            raise DeliveryError("Jira create issue: the response has no issue key")
    return {"key": key}


def _comment(cfg: Jira, base: str, key: str, text: str, client: Any,
             headers: dict[str, str]) -> None:
    if cfg.service_desk_id:
        check(client.post(f"{base}/rest/servicedeskapi/request/{key}/comment", headers=headers,
                          timeout=cfg.timeout_s, json={"body": text, "public": False}),
              "Jira Service Management comment")
        return
    check(client.post(f"{base}/rest/api/3/issue/{key}/comment", headers=headers,
                      timeout=cfg.timeout_s, json={"body": adf(text)}), "Jira comment")


def _transition(cfg: Jira, base: str, key: str, client: Any, headers: dict[str, str]) -> None:
    r = check(client.get(f"{base}/rest/api/3/issue/{key}/transitions", headers=headers,
                         timeout=cfg.timeout_s), "Jira transitions")
    transitions = json_of(r).get("transitions") or []
    wanted = cfg.resolve_transition.lower()
    for t in transitions:
        names = {str(t.get("name", "")).lower(), str((t.get("to") or {}).get("name", "")).lower()}
        if wanted in names:
            check(client.post(f"{base}/rest/api/3/issue/{key}/transitions", headers=headers,
                              timeout=cfg.timeout_s, json={"transition": {"id": t["id"]}}),
                  "Jira transition")
            return
    offered = ", ".join(str(t.get("name")) for t in transitions) or "none"
    raise DeliveryError(f"Jira: issue {key} has no transition {cfg.resolve_transition!r} "
                        f"(offered: {offered})", permanent=True)


def send(cfg: Jira, d: Delivery, client: Any) -> dict[str, Any] | None:
    base, headers = _headers(cfg)
    if d.event == "incident.opened":
        return _create(cfg, base, d, client, headers)
    key = ticket_ref(d, "key", "Jira: no issue")
    if d.event == "incident.updated":
        _comment(cfg, base, key, body_text(d.doc), client, headers)
    else:
        _comment(cfg, base, key, d.doc["meta"]["note"], client, headers)
        _transition(cfg, base, key, client, headers)
    return None
