"""Optional parts and the pip extra that installs each: an import that fails names the extra.

Legato imports DuckDB, fsspec, psycopg, the queue clients, Dask and OpenTelemetry only where
they are used, so `import legato` stays light and a laptop install stays small. When one is
missing, "No module named 'duckdb'" says nothing about how to get it; `require` (at an import
site) and `explain` (around a library that imports for us, as SQLAlchemy does for psycopg)
turn it into "... pip install 'legato[duckdb]'". Standard library only, so any layer may use it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {                     # top-level module -> (extra, what it is for)
    "duckdb": ("duckdb", "the embedded DuckDB warehouse"),
    "fsspec": ("fsspec", "storage URLs other than local paths"),
    "psycopg": ("postgres", "PostgreSQL"),
    "psycopg2": ("postgres", "PostgreSQL"),      # what SQLAlchemy falls back on without psycopg
    "nats": ("queues", "NATS queues"),
    "redis": ("queues", "Redis queues"),
    "pika": ("queues", "RabbitMQ queues"),
    "distributed": ("dask", "the Dask executor"),
    "dask": ("dask", "the Dask executor"),
    "opentelemetry": ("otel", "OpenTelemetry traces"),
}


class MissingExtra(ModuleNotFoundError):
    """An optional package is not installed; the message says which extra installs it. A
    ModuleNotFoundError still, so code that falls back on a missing package keeps working."""


def explain(exc: ImportError, what: str | None = None) -> ImportError:
    """`exc` turned into a MissingExtra when the module it lacks belongs to an extra (else
    `exc` itself); `what` says what needed it."""
    missing = (getattr(exc, "name", None) or "").split(".")[0]
    if missing not in EXTRAS or isinstance(exc, MissingExtra):
        return exc
    extra, purpose = EXTRAS[missing]
    error = MissingExtra(f"{what or purpose} needs the {missing!r} package, which is not "
                         f"installed: pip install 'legato[{extra}]'", name=missing)
    error.__cause__ = exc
    return error


def require(module: str, what: str | None = None) -> ModuleType:
    """`importlib.import_module(module)`, or a MissingExtra naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise explain(exc, what) from exc
