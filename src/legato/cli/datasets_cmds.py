"""`legato datasets ...` and `legato lineage`: the catalog and the lineage graph."""

from __future__ import annotations

import typer

datasets_app = typer.Typer(help="Datasets: the catalog, owners, freshness.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Top-level commands of this module (`legato lineage`)."""
