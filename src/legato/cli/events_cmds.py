"""`legato events list|publish`: what triggered runs, and publishing to a queue trigger.

Exit codes as elsewhere: 0 done, 1 the broker could not be reached, 2 bad input (a bad topic,
data that is not JSON).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..config import load_settings
from .common import JsonOpt, short
from .output import EXIT_FAILED, console, emit_json, fail_usage, fmt_time, table

events_app = typer.Typer(help="Events: what triggered runs.", no_args_is_help=True)


@events_app.command("list")
def list_cmd(
    dag: Annotated[str | None, typer.Option("--dag", help="Only this DAG's events.")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="file, webhook, queue or dataset.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Received events, newest first, with the run each one started (none yet: pending)."""
    from ..services import events

    found = events.list_events(load_settings(), dag_id=dag, source=source, limit=limit)
    if as_json:
        emit_json([e.to_json() for e in found])
        return
    rows = [[e.id, e.dag_id, e.source, short(e.key, 50), e.run_id or "pending",
             fmt_time(e.received_at), short(e.payload)] for e in found]
    console().print(table(None, ["id", "dag", "source", "key", "run", "received", "payload"], rows))


@events_app.command("publish")
def publish_cmd(
    topic: str,
    data: Annotated[str, typer.Option("--data", help="The message, as JSON.")] = "{}",
    url: Annotated[str | None, typer.Option(
        "--url", help="A broker (nats://, redis://, amqp://); default the embedded queue.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish one message to a queue topic: every DAG listening on it gets a run."""
    from ..services import events

    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise fail_usage(f"--data is not valid JSON: {exc}") from None
    try:
        sent = events.publish(load_settings(), topic, payload, url=url)
    except ValueError as exc:
        raise fail_usage(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a broker error, reported with its type
        typer.echo(f"error: could not publish to {url}: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        emit_json(sent)
        return
    where = sent.get("where") or f"embedded queue, listeners: {', '.join(sent['listeners']) or 'none yet'}"
    console().print(f"published message {sent['message_id']} to {topic!r} ({where})", highlight=False)
