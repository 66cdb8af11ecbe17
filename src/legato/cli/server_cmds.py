"""`legato server` and `legato tokens create`."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from ..config import load_settings
from .output import console, fail_usage

tokens_app = typer.Typer(help="API tokens for the server.", no_args_is_help=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
) -> None:
    """Serve the HTTP API (/api/v1) until interrupted."""
    from ..observability.logs import configure_logging
    from ..security import has_tokens

    settings = load_settings()
    configure_logging(settings)                      # LEGATO_LOG_FORMAT=json: JSON lines
    if not _is_loopback(host) and not has_tokens(settings):
        raise fail_usage(f"refusing to listen on {host}: no API token exists, so nobody could "
                         "use the server; create one with `legato tokens create --role admin`")
    import uvicorn

    from ..server.app import create_app

    console().print(f"legato server on http://{host}:{port}/api/v1, DAGs from {settings.dags_folder}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")],
    name: Annotated[str | None, typer.Option(help="A label for the token.")] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from ..security import create_token

    try:
        token, row = create_token(load_settings(), role, name)
    except ValueError as exc:
        raise fail_usage(str(exc)) from None
    label = f", {name}" if name else ""
    typer.echo(f"token {row.id} ({row.role}{label}); it is shown only this once:", err=True)
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.command("server")(server)
    app.add_typer(tokens_app, name="tokens")
