"""`legato incidents list|show|resolve|figures`: the built-in incident store, for people and scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import load_settings
from .common import JsonOpt, user_errors
from .output import console, emit_json, fmt_time, row_id, table

incidents_app = typer.Typer(help="incidents", no_args_is_help=True)


@incidents_app.command("list")
def list_incidents(
    state: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
    dag: Annotated[str | None, typer.Option("--dag", help="Only this DAG.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Incidents, newest first."""
    from ..services import incidents as svc

    with user_errors():
        found = svc.list_incidents(load_settings(), state=state, dag_id=dag, limit=limit)
    if as_json:
        emit_json([svc.incident_json(i) for i in found])
        return
    rows = [[i.id, i.state, i.kind, i.dag_id, i.task_id or "", i.error_type or "", i.occurrences,
             fmt_time(i.opened_at), fmt_time(i.resolved_at)] for i in found]
    console().print(table("incidents", ["id", "state", "kind", "dag", "task", "error type",
                                        "occurrences", "opened", "resolved"], rows))


@incidents_app.command("show")
def show(incident_id: int, as_json: JsonOpt = False) -> None:
    """One incident: its fields, its history and the delivery of each event to each sink."""
    from ..services import incidents as svc

    with user_errors():
        detail = svc.show_incident(load_settings(), row_id(incident_id, "incident"))
    doc = detail.to_json()
    if as_json:
        emit_json(doc)
        return
    out = console()
    out.print(f"incident {doc['id']}  [bold]{doc['state']}[/bold]  {doc['kind']}  "
              f"severity {doc['severity']}")
    for key in ("dag_id", "task_id", "run_id", "logical_date", "error_type", "error", "tries",
                "occurrences", "opened_at", "resolved_at", "fingerprint"):
        out.print(f"  {key:<13} {doc[key] if doc[key] is not None else ''}")
    out.print(table("history", ["at", "event", "reason", "run", "try"],
                    [[e["at"], e["event"], e["reason"], e["run_id"], e["try_number"]]
                     for e in doc["events"]]))
    if doc["deliveries"]:
        out.print(table("deliveries", ["sink", "event", "state", "attempts", "last error"],
                        [[d["sink"], d["event"], d["state"], d["attempts"], d["last_error"]]
                         for d in doc["deliveries"]]))


@incidents_app.command("resolve")
def resolve(incident_id: int, note: Annotated[str | None, typer.Option(
        "--note", help="Why it is resolved (shown in its history and sent to its sinks).")] = None,
            as_json: JsonOpt = False) -> None:
    """Resolve an open incident by hand; its sinks are told it is resolved."""
    import getpass

    from ..services import incidents as svc

    with user_errors():
        detail = svc.resolve_incident(load_settings(), row_id(incident_id, "incident"),
                                      f"{getpass.getuser()} (cli)", note)
    if as_json:
        emit_json(detail.to_json())
    else:
        console().print(f"incident {incident_id} resolved")


@incidents_app.command("figures")
def figures(as_json: JsonOpt = False) -> None:
    """Open incidents and mean time to resolution, per DAG."""
    from ..services import incidents as svc

    doc = svc.incident_figures(load_settings())
    if as_json:
        emit_json(doc)
        return

    def mttr(v: float | None) -> str:
        return "" if v is None else f"{v:.1f}s"

    console().print(table(f"open: {doc['open']}  mean time to resolution: {mttr(doc['mttr_s'])}",
                          ["dag", "open", "resolved", "mttr"],
                          [[d["dag_id"], d["open"], d["resolved"], mttr(d["mttr_s"])]
                           for d in doc["dags"]]))
