"""Shared CLI output: JSON for machines, rich tables for people, and exit codes."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import typer

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STATE_STYLE = {
    "success": "green", "failed": "red", "upstream_failed": "dark_orange", "skipped": "magenta",
    "running": "cyan", "queued": "grey50", "scheduled": "grey50", "up_for_retry": "yellow",
    "deferred": "blue", "cancelled": "grey50", "removed": "grey50",
}


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")


def fail_usage(message: str) -> typer.Exit:
    """Print `message` to stderr and return an Exit(2) for the caller to raise."""
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(EXIT_USAGE)


def row_id(value: int, what: str) -> int:
    """`value` when it can be an id in the store; otherwise a one-line usage error (exit 2)
    saying no `what` has it, instead of the database's overflow traceback."""
    from ..store.schema import MAX_ROW_ID

    if not 1 <= value <= MAX_ROW_ID:
        raise fail_usage(f"no {what} {value} (ids run from 1 to {MAX_ROW_ID})")
    return value


def styled(state: str) -> str:
    style = STATE_STYLE.get(state, "white")
    return f"[{style}]{state}[/{style}]"


def console() -> Any:
    from rich.console import Console

    return Console()


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Any:
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    return t


def fmt_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def duration(start: Any, end: Any) -> str:
    if start is None or end is None:
        return ""
    return f"{(end - start).total_seconds():.3f}s"


def exit_abandoning_workers(code: int) -> NoReturn:
    """Exit now, with `code`, without waiting for worker threads: after a cancel, tries still
    running in threads (which cannot be killed) are abandoned, and the interpreter would
    otherwise wait for each to return before exiting."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
