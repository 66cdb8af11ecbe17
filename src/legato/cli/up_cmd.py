"""`legato up`: the embedded default — scheduler and HTTP API in one process, on SQLite under
$LEGATO_HOME, bound to 127.0.0.1.

Uvicorn owns the main thread (and so SIGINT/SIGTERM); the scheduler runs in a thread beside
it and is stopped when the server stops.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from ..config import load_settings
from .output import console, fail_usage


def up(
    port: Annotated[int, typer.Option(min=1, max=65535, help="API port on 127.0.0.1.")] = 8080,
    executor: Annotated[str, typer.Option(help="local, local:process, dask://host:port "
                                          "(a Dask cluster) or dask (a local one).")] = "local",
) -> None:
    """Scheduler and API together on the embedded store (the laptop default)."""
    from ..engine.executors import make_executor
    from ..observability.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)                      # LEGATO_LOG_FORMAT=json: JSON lines
    from ..server.app import create_app
    from ..server.serve import serve  # forwarded headers only from LEGATO_TRUSTED_PROXIES
    from ..services import scheduling

    try:
        runner = make_executor(executor)
    except ValueError as exc:             # an unknown executor or an unreachable cluster
        raise fail_usage(str(exc)) from None
    stop = threading.Event()
    # uvicorn handles SIGINT/SIGTERM while serving, then re-raises the signal to the handler it
    # found: make that handler ours, so the scheduler is stopped and the process exits cleanly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    service = threading.Thread(target=scheduling.serve, args=(settings, runner, stop),
                               name="legato-scheduler", daemon=True)
    service.start()
    console().print(f"legato up: API on http://127.0.0.1:{port}/api/v1, DAGs from "
                    f"{settings.dags_folder}, store {settings.database_url}")
    try:
        serve(create_app(settings), settings, host="127.0.0.1", port=port, log_level="warning")
    finally:
        stop.set()                  # the scheduler drains its tries (LEGATO_STOP_GRACE_S)
        service.join(timeout=settings.stop_grace_s + 10)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
