"""A cloud helpdesk speaking the subset of Jira Cloud's REST API v3 that pipelines use, so
Legato's own `Jira` incident sink, `HttpSensor` and `legato.io.http.request` talk to it
unchanged:

- `POST /rest/api/3/issue` `{"fields": {project, issuetype, summary, description, labels,
  priority, assignee, components}}` -> 201 `{"id", "key", "self"}`;
- `GET /rest/api/3/issue/{key}`; `POST .../comment` `{"body"}`; `GET .../transitions` and
  `POST .../transitions` `{"transition": {"id"}}` (To Do -> In Progress -> Done);
  `PUT .../assignee` `{"accountId"}`;
- `POST /rest/api/3/search/jql` `{"jql", "fields", "maxResults"}` (or `GET ?jql=`) -> `{"issues",
  "isLast"}`, with the JQL subset of jql.py;
- `GET /` an HTML page of the tickets, to look at while the demo runs.

Basic auth (the account e-mail and an API token), errors in Jira's `{"errorMessages",
"errors"}` shape. Each ticket keeps its history (created, commented, transitioned), which is
what the demo's summary and the tests read: opened, updated, resolved.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .jql import matcher
from .server import Reply, Request, StandIn, basic_credentials

USER, TOKEN = "legato-bot@example.com", "demo-helpdesk-token"
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
TRANSITIONS = (("11", "To Do"), ("21", "In Progress"), ("31", "Done"))


def jira_error(status: int, message: str, **fields: str) -> Reply:
    return Reply(status, {"errorMessages": [message] if message else [], "errors": fields})


def plain_text(value: Any) -> str:
    """Text of a string or an Atlassian Document Format node."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if value.get("type") == "text":
            return str(value.get("text", ""))
        parts = [plain_text(c) for c in value.get("content") or []]
        return ("\n" if value.get("type") == "doc" else "").join(parts)
    return ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Ticket:
    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: str
    labels: list[str]
    priority: str
    assignee: str | None
    components: list[str]
    status: str = "To Do"
    comments: list[dict[str, Any]] = field(default_factory=list)
    history: list[tuple[str, str]] = field(default_factory=list)     # (what, when)
    created: str = field(default_factory=_now)
    resolved: str | None = None

    def plain(self) -> dict[str, Any]:
        """The fields JQL filters on."""
        return {"project": self.project, "status": self.status, "priority": self.priority,
                "labels": self.labels, "assignee": self.assignee, "component": self.components,
                "summary": self.summary, "key": self.key, "created": self.created,
                "updated": self.history[-1][1] if self.history else self.created}

    def to_json(self, base: str) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "self": f"{base}/rest/api/3/issue/{self.id}",
                "fields": {
                    "project": {"key": self.project}, "issuetype": {"name": self.issue_type},
                    "summary": self.summary, "description": self.description,
                    "labels": self.labels, "priority": {"name": self.priority},
                    "assignee": {"accountId": self.assignee} if self.assignee else None,
                    "components": [{"name": c} for c in self.components],
                    "status": {"name": self.status}, "created": self.created,
                    "updated": self.plain()["updated"], "resolutiondate": self.resolved,
                    "comment": {"comments": self.comments, "total": len(self.comments)}}}


class Helpdesk(StandIn):
    name = "helpdesk"

    def __init__(self, *, user: str = USER, token: str = TOKEN) -> None:
        self.user, self.token = user, token
        self.tickets: dict[str, Ticket] = {}
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        issue = r"/rest/api/3/issue/(?P<key>[A-Za-z0-9-]+)"
        return [("GET", r"/", self.page),
                ("POST", r"/rest/api/3/issue", self.create),
                ("GET", issue, self.show),
                ("POST", issue + "/comment", self.comment),
                ("GET", issue + "/transitions", self.transitions),
                ("POST", issue + "/transitions", self.transition),
                ("PUT", issue + "/assignee", self.assign),
                ("POST", r"/rest/api/3/search/jql", self.search),
                ("GET", r"/rest/api/3/search/jql", self.search)]

    def authorize(self, req: Request) -> Reply | None:
        if req.path not in ("", "/") and basic_credentials(req) != (self.user, self.token):
            return jira_error(401, "You are not authenticated. Authentication required.")
        return None

    # -- tickets ----------------------------------------------------------------------------
    def create(self, req: Request) -> Reply:
        fields = (req.json() or {}).get("fields")
        if not isinstance(fields, dict):
            return jira_error(400, "the body must be {\"fields\": {...}}")
        problems = _problems(fields)
        if problems:
            return jira_error(400, "", **problems)
        with self.lock:
            n = len(self.tickets) + 1
            project = fields["project"]["key"]
            ticket = Ticket(
                id=str(10_000 + n), key=f"{project}-{n}", project=project,
                issue_type=fields["issuetype"]["name"], summary=fields["summary"],
                description=plain_text(fields.get("description")),
                labels=list(fields.get("labels") or []),
                priority=(fields.get("priority") or {}).get("name", "Medium"),
                assignee=(fields.get("assignee") or {}).get("accountId"),
                components=[c["name"] for c in fields.get("components") or []])
            ticket.history.append(("created", ticket.created))
            self.tickets[ticket.key] = ticket
        return Reply(201, {"id": ticket.id, "key": ticket.key,
                           "self": f"{self.url}/rest/api/3/issue/{ticket.id}"})

    def _find(self, key: str) -> Ticket | None:
        with self.lock:
            return self.tickets.get(key) or next(
                (t for t in self.tickets.values() if t.id == key), None)

    def show(self, req: Request, key: str) -> Reply:
        ticket = self._find(key)
        if ticket is None:
            return _missing()
        return Reply(200, ticket.to_json(self.url))

    def comment(self, req: Request, key: str) -> Reply:
        ticket = self._find(key)
        if ticket is None:
            return _missing()
        body = (req.json() or {}).get("body")
        if not body:
            return jira_error(400, "", comment="Comment body can not be empty!")
        with self.lock:
            note = {"id": str(len(ticket.comments) + 1), "body": plain_text(body),
                    "created": _now()}
            ticket.comments.append(note)
            ticket.history.append(("commented", note["created"]))
        return Reply(201, note)

    def transitions(self, req: Request, key: str) -> Reply:
        if self._find(key) is None:
            return _missing()
        return Reply(200, {"transitions": [{"id": i, "name": n, "to": {"name": n}}
                                           for i, n in TRANSITIONS]})

    def transition(self, req: Request, key: str) -> Reply:
        ticket = self._find(key)
        if ticket is None:
            return _missing()
        wanted = ((req.json() or {}).get("transition") or {}).get("id")
        name = dict(TRANSITIONS).get(str(wanted))
        if name is None:
            return jira_error(400, f"Transition id '{wanted}' is not valid for this issue.")
        with self.lock:
            ticket.status = name
            ticket.resolved = _now() if name == "Done" else None
            ticket.history.append((f"transitioned to {name}", _now()))
        return Reply(204)

    def assign(self, req: Request, key: str) -> Reply:
        ticket = self._find(key)
        if ticket is None:
            return _missing()
        with self.lock:
            ticket.assignee = (req.json() or {}).get("accountId")
            ticket.history.append(("assigned", _now()))
        return Reply(204)

    def search(self, req: Request) -> Reply:
        body = (req.json() or {}) if req.method == "POST" else req.query
        try:
            match, order, descending = matcher(str(body.get("jql") or ""))
        except ValueError as exc:
            return jira_error(400, str(exc))
        limit = int(body.get("maxResults") or 50)
        with self.lock:
            found = [t for t in self.tickets.values() if match(t.plain())]
        found.sort(key=lambda t: str(t.plain()[order]), reverse=descending)
        return Reply(200, {"issues": [t.to_json(self.url) for t in found[:limit]],
                           "isLast": len(found) <= limit})

    # -- what happened ----------------------------------------------------------------------
    def lifecycle(self) -> list[dict[str, Any]]:
        """Per ticket: key, summary, priority, labels, status, comments, resolved."""
        with self.lock:
            return [{"key": t.key, "summary": t.summary, "priority": t.priority,
                     "labels": list(t.labels), "assignee": t.assignee, "status": t.status,
                     "components": list(t.components), "comments": len(t.comments),
                     "resolved": t.status == "Done", "description": t.description}
                    for t in self.tickets.values()]

    def page(self, req: Request) -> Reply:
        rows = "".join(
            f"<tr><td>{html.escape(t['key'])}</td><td>{html.escape(t['priority'])}</td>"
            f"<td>{html.escape(t['status'])}</td><td>{html.escape(t['summary'])}</td>"
            f"<td>{html.escape(', '.join(t['labels']))}</td><td>{t['comments']}</td></tr>"
            for t in self.lifecycle())
        return Reply(200, "<!doctype html><title>Helpdesk stand-in</title><h1>Tickets</h1>"
                          "<table border=1><tr><th>key</th><th>priority</th><th>status</th>"
                          f"<th>summary</th><th>labels</th><th>comments</th></tr>{rows}</table>")


def _missing() -> Reply:
    return jira_error(404, "Issue does not exist or you do not have permission to see it.")


def _problems(fields: dict[str, Any]) -> dict[str, str]:
    """Jira's per-field errors for a create."""
    problems = {}
    if not (fields.get("project") or {}).get("key"):
        problems["project"] = "Specify a valid project ID or key"
    if not (fields.get("issuetype") or {}).get("name"):
        problems["issuetype"] = "Specify an issue type"
    if not fields.get("summary"):
        problems["summary"] = "You must specify a summary of the issue."
    priority = (fields.get("priority") or {}).get("name")
    if priority is not None and priority not in PRIORITIES:
        problems["priority"] = f"Specify a valid priority: {', '.join(PRIORITIES)}"
    labels = fields.get("labels") or []
    if any(not isinstance(x, str) or " " in x for x in labels):
        problems["labels"] = "Labels cannot contain spaces"
    return problems
