"""`legato events ...`: event triggers and what they received."""

from __future__ import annotations

import typer

events_app = typer.Typer(help="Events: what triggered runs.", no_args_is_help=True)
