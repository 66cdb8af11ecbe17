"""`legato init` and `legato demo`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to `app`."""
