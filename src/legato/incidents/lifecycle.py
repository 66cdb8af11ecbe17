"""The incident lifecycle as pure functions: what kind of failure an event is, its fingerprint,
its severity, what an event does to the open incidents, and the event document sinks get.

- a task that failed for good (state `failed`: its retries are spent, or it raised `Fail`)
  opens an incident, or is a new occurrence of the open one with the same fingerprint;
- a try that will be retried (`up_for_retry`) only comments on an already open incident of
  that task; it never opens one;
- the next success of the task resolves its open incidents; for a run that processed one
  particular input (an event, dataset updates, a backfilled date: incidents/scope.py) the
  input is part of the fingerprint, and only a success on that input resolves it;
- an SLA miss opens (or recurs on) the DAG's `sla_miss` incident, which the next successful
  run of the DAG that did not miss resolves.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

KIND_BY_ERROR_TYPE = {"SensorTimeout": "sensor_timeout", "DataQualityError": "data_quality"}
SEVERITY = {"task_failure": "error", "data_quality": "error", "sensor_timeout": "warning",
            "sla_miss": "warning"}
OPENED, UPDATED, RESOLVED = "incident.opened", "incident.updated", "incident.resolved"


def kind_of(error_type: str | None) -> str:
    return KIND_BY_ERROR_TYPE.get(error_type or "", "task_failure")


def fingerprint(dag_id: str, task_id: str | None, kind: str, error_type: str | None,
                scope: str | None = None) -> str:
    """Stable id of "the same problem": dag, task, kind, error type and, for a run on one
    input, that input's scope (hex, 32 chars; it is PagerDuty's dedup_key and Opsgenie's
    alias, both limited in length). Without a scope it is what it always was."""
    parts = (dag_id, task_id or "", kind, error_type or "") + ((scope,) if scope else ())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def action_for(state: str, task_has_open_incident: bool) -> str | None:
    """What a TaskFinished in `state` does: "open" (or recur), "retry", "resolve" or nothing."""
    if state == "failed":
        return "open"
    if state == "up_for_retry" and task_has_open_incident:
        return "retry"
    if state == "success" and task_has_open_incident:
        return "resolve"
    return None


def log_url(base_url: str, run_id: str | None, task_id: str | None, try_number: int) -> str | None:
    if run_id is None or task_id is None:
        return None
    return (f"{base_url}/ui/runs/{quote(run_id, safe=':')}/tasks/{quote(task_id, safe='')}"
            f"/logs?try={try_number}")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def document(event: str, inc: Any, base_url: str, *, note: str) -> dict[str, Any]:
    """The outbox payload: the webhook body (`event` and `incident`, as documented) plus
    `meta` that other sinks use (never sent by the Webhook). `log_excerpt` is read from the
    try's log file when the event is delivered (the file is written after the try ends)."""
    return {
        "event": event,
        "incident": {
            "id": inc.id, "fingerprint": inc.fingerprint, "kind": inc.kind, "dag_id": inc.dag_id,
            "task_id": inc.task_id, "run_id": inc.run_id, "logical_date": _iso(inc.logical_date),
            "error": inc.error, "error_type": inc.error_type, "log_excerpt": None,
            "log_url": log_url(base_url, inc.run_id, inc.task_id, inc.try_number),
            "tries": inc.tries, "occurrences": inc.occurrences, "opened_at": _iso(inc.opened_at),
            "resolved_at": _iso(inc.resolved_at), "severity": inc.severity,
        },
        "meta": {"uid": inc.uid, "map_index": inc.map_index, "try_number": inc.try_number,
                 "note": note},
    }


def title(doc: dict[str, Any]) -> str:
    i = doc["incident"]
    where = f"{i['dag_id']}.{i['task_id']}" if i["task_id"] else i["dag_id"]
    what = {"task_failure": "failed", "sensor_timeout": "sensor timed out",
            "data_quality": "data-quality check failed", "sla_miss": "missed its SLA"}[i["kind"]]
    suffix = f" ({i['error_type']})" if i["error_type"] and i["kind"] == "task_failure" else ""
    return f"[Legato] {where} {what}{suffix}"


def body_text(doc: dict[str, Any]) -> str:
    """A plain-text description for ticket bodies and comments."""
    i, meta = doc["incident"], doc["meta"]
    lines = [meta["note"], "",
             f"DAG: {i['dag_id']}", f"Task: {i['task_id'] or '-'}", f"Run: {i['run_id'] or '-'}",
             f"Logical date: {i['logical_date'] or '-'}", f"Kind: {i['kind']}",
             f"Error: {i['error_type'] or ''} {i['error'] or ''}".rstrip(),
             f"Tries: {i['tries']}  Occurrences: {i['occurrences']}",
             f"Fingerprint: {i['fingerprint']}"]
    if i["log_url"]:
        lines.append(f"Log: {i['log_url']}")
    if i["log_excerpt"]:
        lines += ["", "Log excerpt:", i["log_excerpt"]]
    return "\n".join(lines)
