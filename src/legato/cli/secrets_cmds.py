"""`legato connections ...` and `legato variables ...`: the encrypted store."""

from __future__ import annotations

import typer

connections_app = typer.Typer(help="Connections, stored encrypted.", no_args_is_help=True)
variables_app = typer.Typer(help="Variables, stored encrypted.", no_args_is_help=True)
