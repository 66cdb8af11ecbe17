"""What the command modules share besides output.py: the `--json` option, one line and exit 2
for the caller's mistakes, and a value shortened to fit a table cell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ..errors import UserError
from .output import fail_usage

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


@contextmanager
def user_errors() -> Iterator[None]:
    """End the command on a `UserError` (bad input, not found, a conflict) or a ValueError (a
    bad value, as the services report one) raised inside: its message on one line, exit 2."""
    try:
        yield
    except (UserError, ValueError) as exc:
        raise fail_usage(str(exc)) from None


def short(value: Any, width: int = 60) -> str:
    """`value` (as JSON unless it is a string) cut to `width` characters, ending in … if cut."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[:width - 1] + "…"
