"""`legato connections ...`, `legato variables ...` and `legato secrets ...`: the encrypted store.

Passwords are never taken from the command line silently: `--password-stdin` or a hidden
prompt is the way; a password inside `--uri`, or a sensitive variable's value as an argument,
is accepted with a warning (it lands in shell history and the process list). Listings never
show a secret. Exit codes: 0 ok, 1 the store or the key failed, 2 bad input or unknown name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

import typer

from ..config import load_settings
from .common import JsonOpt
from .output import EXIT_FAILED, console, emit_json, fail_usage, fmt_time, table

connections_app = typer.Typer(help="Connections, stored encrypted.", no_args_is_help=True)
variables_app = typer.Typer(help="Variables, stored encrypted.", no_args_is_help=True)
secrets_app = typer.Typer(help="The key that encrypts connections and variables.",
                          no_args_is_help=True)


def _store() -> Any:
    from ..security.secrets import SecretStore

    settings = load_settings()
    return SecretStore(settings.database_url, settings.home)


def _failed(exc: Exception) -> typer.Exit:
    sys.stderr.write(f"error: {exc}\n")
    return typer.Exit(EXIT_FAILED)


def _guard(fn: Any, *args: Any) -> Any:
    """Call into the store: bad names are usage errors (2), key problems failures (1)."""
    from ..security.secrets import DecryptError, SecretKeyError

    try:
        return fn(*args)
    except ValueError as exc:
        raise fail_usage(str(exc)) from None
    except (DecryptError, SecretKeyError) as exc:
        raise _failed(exc) from None


def _delete(what: str, delete: Callable[[str], bool], name: str) -> None:
    """`delete(name)` from the store; a name it does not hold is a usage error."""
    if not _guard(delete, name):
        raise fail_usage(f"no stored {what} {name!r}")
    console().print(f"{what} {name} deleted")


def _warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def _read_stdin() -> str:
    text = sys.stdin.read()
    return text.removesuffix("\n")


# -- connections --------------------------------------------------------------------------

def _extras(pairs: list[str]) -> dict[str, str]:
    extra = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail_usage(f"--extra needs key=value, got {pair!r}")
        extra[key] = value
    return extra


def _build_connection(conn_id: str, uri: str | None, conn_type: str | None, fields: dict[str, Any],
                      extra: dict[str, str]) -> Any:
    from ..authoring.variables import Connection, parse_connection

    if uri is not None and conn_type is not None:
        raise fail_usage("give either --uri or --type with its fields, not both")
    if uri is not None:
        if "://" not in uri:
            raise fail_usage(f"--uri {uri!r} is not a URI (expected type://login:password@host...)")
        try:
            conn = parse_connection(conn_id, uri)
        except ValueError as exc:
            raise fail_usage(f"--uri is not a valid URI: {exc}") from None
        if conn.password:
            _warn("the password in --uri is visible in shell history and the process list; "
                  "prefer --password-stdin or --password-prompt")
        return replace(conn, extra={**conn.extra, **extra})
    if conn_type is None:
        raise fail_usage("give --uri, or --type (with --host, --login, ...)")
    return Connection(conn_id=conn_id, conn_type=conn_type, extra=extra, **fields)


@connections_app.command("add")
def connections_add(
    conn_id: Annotated[str, typer.Argument(help="The connection id tasks ask for.")],
    uri: Annotated[str | None, typer.Option(
        "--uri", help="type://login:password@host:port/schema?k=v")] = None,
    conn_type: Annotated[str | None, typer.Option("--type", help="postgresql, http, s3, ...")] = None,
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535)] = None,
    login: Annotated[str | None, typer.Option("--login")] = None,
    schema: Annotated[str | None, typer.Option("--schema")] = None,
    extra: Annotated[list[str] | None, typer.Option("--extra", help="key=value, repeatable.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin.")] = False,
    password_prompt: Annotated[bool, typer.Option(
        "--password-prompt", help="Ask for the password (hidden).")] = False,
) -> None:
    """Store a connection, encrypted (replaces one with the same id)."""
    fields = {"host": host, "port": port, "login": login, "schema": schema}
    conn = _build_connection(conn_id, uri, conn_type, fields, _extras(extra or []))
    if password_stdin and password_prompt:
        raise fail_usage("give --password-stdin or --password-prompt, not both")
    if password_stdin:
        conn = replace(conn, password=_read_stdin() or None)
    elif password_prompt:
        conn = replace(conn, password=typer.prompt("password", hide_input=True) or None)
    created = _guard(_store().add_connection, conn)
    console().print(f"connection {conn_id} {'added' if created else 'replaced'}")


def _connection_json(conn: Any, info: Any | None = None) -> dict[str, Any]:
    doc = {"conn_id": conn.conn_id, "conn_type": conn.conn_type, "host": conn.host,
           "port": conn.port, "login": conn.login, "schema": conn.schema,
           "password": "***" if conn.password else None, "extra": sorted(conn.extra)}
    if info is not None:
        doc["updated_at"] = info.updated_at.isoformat()
    return doc


@connections_app.command("list")
def connections_list(as_json: JsonOpt = False) -> None:
    """Stored connections: id, type, host, login (never a password or extra values)."""
    store = _store()
    infos = _guard(store.connections)
    docs = [_connection_json(_guard(store.connection, i.name), i) for i in infos]
    if as_json:
        emit_json(docs)
        return
    console().print(table("connections", ["id", "type", "host", "port", "login", "schema", "updated"],
                          [[d["conn_id"], d["conn_type"], d["host"], d["port"], d["login"],
                            d["schema"], fmt_time(i.updated_at)] for d, i in zip(docs, infos, strict=True)]))


@connections_app.command("show")
def connections_show(conn_id: str, as_json: JsonOpt = False) -> None:
    """One connection, its password masked."""
    conn = _guard(_store().connection, conn_id)
    if conn is None:
        raise fail_usage(f"no stored connection {conn_id!r} (see `legato connections list`)")
    doc = _connection_json(conn)
    if as_json:
        emit_json(doc)
        return
    out = console()
    for key, value in doc.items():
        out.print(f"{key:<10} {'' if value is None else value}", highlight=False)


@connections_app.command("delete")
def connections_delete(conn_id: str) -> None:
    """Remove a stored connection."""
    _delete("connection", _store().delete_connection, conn_id)


# -- variables ----------------------------------------------------------------------------

@variables_app.command("set")
def variables_set(
    name: str,
    value: Annotated[str | None, typer.Argument(help="The value (or --stdin).")] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the value from stdin.")] = False,
) -> None:
    """Store a variable, encrypted (replaces one with the same name)."""
    from ..security.masking import is_sensitive_name

    if (value is None) == (not stdin):
        raise fail_usage("give the value as an argument or with --stdin (one of the two)")
    if stdin:
        value = _read_stdin()
    elif is_sensitive_name(name):
        _warn(f"{name!r} looks secret and its value is visible in shell history and the "
              f"process list; prefer --stdin")
    created = _guard(_store().set_variable, name, value)
    console().print(f"variable {name} {'set' if created else 'replaced'}")


@variables_app.command("get")
def variables_get(name: str) -> None:
    """Print a variable's value (decrypted)."""
    value = _guard(_store().variable, name)
    if value is None:
        raise fail_usage(f"no stored variable {name!r} (see `legato variables list`)")
    typer.echo(value)


@variables_app.command("list")
def variables_list(as_json: JsonOpt = False) -> None:
    """Stored variable names (values are not shown: use `legato variables get NAME`)."""
    infos = _guard(_store().variables)
    if as_json:
        emit_json([{"name": i.name, "sensitive": i.sensitive,
                    "updated_at": i.updated_at.isoformat()} for i in infos])
        return
    console().print(table("variables", ["name", "sensitive", "updated"],
                          [[i.name, "yes" if i.sensitive else "", fmt_time(i.updated_at)]
                           for i in infos]))


@variables_app.command("delete")
def variables_delete(name: str) -> None:
    """Remove a stored variable."""
    _delete("variable", _store().delete_variable, name)


# -- the key ------------------------------------------------------------------------------

@secrets_app.command("rotate-key")
def rotate_key(
    keep_old: Annotated[bool, typer.Option(
        "--keep-old", help="Keep the old key in the key file (it still decrypts).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-encrypt every stored connection and variable under a new key.

    With the key file ($LEGATO_HOME/secret.key) a new key is made for you. With
    LEGATO_SECRET_KEY, set it to NEW,OLD first (`legato secrets generate-key` makes NEW),
    run this, then drop OLD."""
    from ..security.secrets import rotate_key as rotate

    settings = load_settings()
    done = _guard(lambda: rotate(settings.database_url, settings.home, keep_old=keep_old))
    if as_json:
        emit_json({"source": done.source, "key_id": done.key_id,
                   "old_key_ids": list(done.old_key_ids), "rotated": done.rotated,
                   "total": done.total})
        return
    out = console()
    out.print(f"{done.rotated} of {done.total} secret(s) re-encrypted; every one is now under "
              f"key {done.key_id} ({done.source})", highlight=False)
    if done.old_key_ids and done.source == "LEGATO_SECRET_KEY":
        out.print(f"now remove the old key(s) {', '.join(done.old_key_ids)} from LEGATO_SECRET_KEY",
                  highlight=False)
    elif done.source == "LEGATO_SECRET_KEY":
        out.print("to rotate: set LEGATO_SECRET_KEY=NEW,OLD (make NEW with `legato secrets "
                  "generate-key`) and run this again", highlight=False)


@secrets_app.command("generate-key")
def generate_key() -> None:
    """Print a new random key, for LEGATO_SECRET_KEY."""
    from ..security.secrets import generate_key as make

    typer.echo(make())
