"""Shared CLI output: JSON for machines, rich tables for people, and exit codes."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
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
    import typer

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


_SGR = {"green": "32", "red": "31", "dark_orange": "38;5;208", "magenta": "35", "cyan": "36",
        "grey50": "38;5;244", "yellow": "33", "blue": "34", "white": "37"}


def ansi_painter() -> Any:
    """A function that colours a state name as `styled` would, in ANSI codes when stdout is
    a terminal (and NO_COLOR is unset), else leaves it plain."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        return lambda state, text=None: text if text is not None else state

    def paint(state: str, text: str | None = None) -> str:
        code = _SGR[STATE_STYLE.get(state, "white")]
        return f"\x1b[{code}m{state if text is None else text}\x1b[0m"

    return paint


def text_table(columns: list[str], rows: list[list[str]], state_column: int | None = None) -> str:
    """Columns aligned with spaces, no box drawing: for output that is cheap to render (no
    rich import) and greps well; `state_column` is painted by state."""
    widths = [max(len(r[i]) for r in [columns, *rows]) for i in range(len(columns))]
    paint = ansi_painter()
    lines = []
    for n, row in enumerate([columns, *rows]):
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        if n and state_column is not None:
            cells[state_column] = paint(row[state_column], cells[state_column])
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


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
