"""`legato server` and `legato tokens create|list|revoke`."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from ..config import load_settings
from ..errors import UserError
from .output import console, emit_json, fail_usage, fmt_time, row_id, table

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
    from ..server.app import create_app
    from ..server.serve import serve

    console().print(f"legato server on http://{host}:{port}/api/v1, DAGs from {settings.dags_folder}")
    serve(create_app(settings), settings, host=host, port=port)


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")],
    name: Annotated[str | None, typer.Option(help="A label for the token.")] = None,
    expires: Annotated[str | None, typer.Option(
        "--expires", help="Lifetime, e.g. 90m, 12h, 30d or 2w (default: until revoked).")] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from ..services import tokens

    try:
        token, info = tokens.create_token(load_settings(), role, name, expires)
    except UserError as exc:
        raise fail_usage(exc.message) from None
    label = f", {name}" if name else ""
    until = f", expires {fmt_time(info.expires_at)} UTC" if info.expires_at else ""
    typer.echo(f"token {info.id} ({info.role}{label}{until}); it is shown only this once:", err=True)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(
    active: Annotated[bool, typer.Option("--active", help="Only tokens that still work.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """API tokens (never the tokens themselves): id, name, role, state, created, expires."""
    from ..services import tokens

    found = tokens.list_tokens(load_settings(), include_inactive=not active)
    if as_json:
        emit_json([t.to_json() for t in found])
        return
    console().print(table("API tokens", ["id", "name", "role", "state", "created", "expires",
                                         "revoked"],
                          [[t.id, t.name or "", t.role, t.state, fmt_time(t.created_at),
                            fmt_time(t.expires_at), fmt_time(t.revoked_at)] for t in found]))


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `legato tokens list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Revoke a token now: its API requests and UI sessions are refused from the next request."""
    from ..services import tokens

    try:
        info, changed = tokens.revoke_token(load_settings(), row_id(token_id, "token"))
    except UserError as exc:
        raise fail_usage(exc.message) from None
    if as_json:
        emit_json({**info.to_json(), "changed": changed})
    elif changed:
        console().print(f"token {info.id} ({info.name or info.role}) revoked")
    else:
        console().print(f"token {info.id} was already revoked at {fmt_time(info.revoked_at)} UTC")


def register(app: typer.Typer) -> None:
    app.command("server")(server)
    app.add_typer(tokens_app, name="tokens")
