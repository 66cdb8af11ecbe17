"""Settings, read once from the environment: one place to see every `LEGATO_*` variable.

`VARIABLES` lists them all, with the default and what each sets; `load_settings()` reads the
ones that are settings into the frozen `Settings`, and the small accessors below read the rest
(the per-name `LEGATO_VAR_<NAME>` / `LEGATO_CONN_<ID>` lookups, the secret key, which never sits
in a settings object, and the DAG processor's own hand-over). No other module reads a
`LEGATO_*` variable; the README's settings table is checked against
`VARIABLES` by tests/test_settings.py. A bad value is an `errors.InvalidInput` naming the
variable (a ValueError, as before).
"""

from __future__ import annotations

import functools
import os
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import InvalidInput


class Variable(NamedTuple):
    name: str
    default: str              # as the README shows it
    doc: str                  # one line: what it sets
    field: str | None = None  # the Settings field it fills (None: read by an accessor below)


VARIABLES: tuple[Variable, ...] = (
    Variable("LEGATO_HOME", "~/.legato", "the state folder: SQLite database, logs, large results", "home"),
    Variable("LEGATO_DATABASE_URL", "sqlite:///$LEGATO_HOME/legato.db",
             "the metadata database (SQLite or postgresql://...)", "database_url"),
    Variable("LEGATO_DAGS", "./dags", "where DAG files are looked for", "dags_folder"),
    Variable("LEGATO_BASE_URL", "http://127.0.0.1:8080", "where links in incident events point",
             "base_url"),
    Variable("LEGATO_INCIDENTS", "(none)",
             "global incident sinks: a JSON list of sink specs, or comma-separated webhook URLs",
             "incidents"),
    Variable("LEGATO_INCIDENTS_DELIVER_S", "10",
             "how long dag.run() waits to deliver incident events", "incidents_deliver_s"),
    Variable("LEGATO_METRICS", "1", "0 switches the bus-fed in-memory metrics off", "metrics"),
    Variable("LEGATO_OTEL", "off", "OpenTelemetry traces: off, console or otlp", "otel"),
    Variable("LEGATO_LOG_FORMAT", "text", "log lines as text or json", "log_format"),
    Variable("LEGATO_SLA_FORECAST_S", "30", "seconds between SLA forecasts (0 = off)",
             "sla_forecast_s"),
    Variable("LEGATO_OPENLINEAGE", "(off)",
             "where OpenLineage events go: console, file:/path.jsonl or http(s)://host:port",
             "openlineage"),
    Variable("LEGATO_OPENLINEAGE_NAMESPACE", "legato", "the OpenLineage job namespace",
             "openlineage_namespace"),
    Variable("LEGATO_OPENLINEAGE_API_KEY", "(none)",
             "Bearer token for an http(s) OpenLineage endpoint", "openlineage_api_key"),
    Variable("LEGATO_OWNER_TIMEOUT_S", "30",
             "silence after which another scheduler adopts a run's driving", "owner_timeout_s"),
    Variable("LEGATO_RATE_LIMIT", "2000/300", "API requests per client: N/SECONDS", "rate_limit"),
    Variable("LEGATO_MAX_REQUEST_BYTES", "10485760", "largest request body (larger is a 413)",
             "max_request_bytes"),
    Variable("LEGATO_TRUSTED_PROXIES", "(none)",
             "proxies whose X-Forwarded-For is believed: addresses, networks or *",
             "trusted_proxies"),
    Variable("LEGATO_WORKER_HEARTBEAT_S", "30",
             "a silent process worker is killed after this many seconds (0 = off)",
             "worker_heartbeat_s"),
    Variable("LEGATO_DAG_IMPORT_TIMEOUT_S", "30", "the longest a DAG file's import may take",
             "dag_import_timeout_s"),
    Variable("LEGATO_DAGS_PAUSED_AT_CREATION", "true", "whether a DAG new to the store starts paused",
             "dags_paused_at_creation"),
    Variable("LEGATO_STOP_GRACE_S", "30", "how long SIGTERM waits for running tries",
             "stop_grace_s"),
    Variable("LEGATO_SECRET_KEY", "(key file)",
             "the key(s) that encrypt stored secrets, new first, comma-separated"),
    Variable("LEGATO_VAR_<NAME>", "(none)", "a variable, read before the store"),
    Variable("LEGATO_CONN_<ID>", "(none)", "a connection as a URI, read before the store"),
    Variable("LEGATO_PARSE_SYS_PATH", "(internal)",
             "set by the DAG processor for its child: the parent's sys.path"),
)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    dags_folder: Path
    base_url: str = "http://127.0.0.1:8080"
    incidents: str = ""                       # raw LEGATO_INCIDENTS, parsed by the listener
    incidents_deliver_s: float = 10.0
    metrics: bool = True                      # LEGATO_METRICS=0: no bus-fed metrics (observability)
    otel: str = ""                            # LEGATO_OTEL: "" (off) | console | otlp
    log_format: str = "text"                  # LEGATO_LOG_FORMAT: text | json
    sla_forecast_s: float = 30.0              # LEGATO_SLA_FORECAST_S: 0 switches the forecast off
    openlineage: str = ""                     # LEGATO_OPENLINEAGE: "" (off) | console | file:/p | http(s)://h:p
    owner_timeout_s: float = 30.0             # LEGATO_OWNER_TIMEOUT_S: silence before adoption
    rate_limit: str = ""                      # LEGATO_RATE_LIMIT: "N/SECONDS" per client (server)
    max_request_bytes: int = 10 * 1024 * 1024  # LEGATO_MAX_REQUEST_BYTES: larger bodies are a 413
    trusted_proxies: str = ""                 # LEGATO_TRUSTED_PROXIES: who may set X-Forwarded-For
    worker_heartbeat_s: float = 30.0          # LEGATO_WORKER_HEARTBEAT_S: a frozen process worker
    dag_import_timeout_s: float = 30.0        # LEGATO_DAG_IMPORT_TIMEOUT_S: a DAG file's import
    dags_paused_at_creation: bool = True      # LEGATO_DAGS_PAUSED_AT_CREATION: new DAGs start paused
    stop_grace_s: float = 30.0                # LEGATO_STOP_GRACE_S: SIGTERM waits for tries this long
    openlineage_namespace: str = "legato"     # LEGATO_OPENLINEAGE_NAMESPACE
    openlineage_api_key: str = field(default="", repr=False)   # LEGATO_OPENLINEAGE_API_KEY

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def results_dir(self) -> Path:
        return self.home / "results"


def legato_home() -> Path:
    """LEGATO_HOME (default ~/.legato), for code that needs only the folder."""
    return Path(os.environ.get("LEGATO_HOME") or Path.home() / ".legato").expanduser()


def variable_env(name: str) -> str | None:
    """LEGATO_VAR_<NAME>: a variable set in the environment (looked up before the store)."""
    return os.environ.get(env_name("LEGATO_VAR_", name))


def connection_env(conn_id: str) -> str | None:
    """LEGATO_CONN_<ID>: a connection URI set in the environment (before the store)."""
    return os.environ.get(env_name("LEGATO_CONN_", conn_id))


def env_name(prefix: str, name: str) -> str:
    """The variable that holds `name`: upper case, `-` and `.` as `_`."""
    return f"{prefix}{name.upper().replace('-', '_').replace('.', '_')}"


def secret_key_env() -> str:
    """LEGATO_SECRET_KEY, stripped ("" when unset): kept out of Settings, whose repr is shown."""
    return os.environ.get("LEGATO_SECRET_KEY", "").strip()


PARSE_SYS_PATH_ENV = "LEGATO_PARSE_SYS_PATH"   # the DAG processor's parent -> child hand-over


def parse_sys_path_env() -> str | None:
    return os.environ.get(PARSE_SYS_PATH_ENV)


class StoreInUse(NamedTuple):
    database_url: str
    home: Path


_TRY_STORE: ContextVar[StoreInUse | None] = ContextVar("legato_try_store", default=None)


def store_in_use() -> StoreInUse:
    """The store of the try running here (its request names it: a Dask worker on another
    machine has no LEGATO_DATABASE_URL, or another one), else the environment's. Code that
    runs inside tasks (dead letters, drift references, quarantine, queues) writes there."""
    here = _TRY_STORE.get()
    if here is not None:
        return here
    settings = load_settings()
    return StoreInUse(settings.database_url, settings.home)


def use_try_store(database_url: str, home: str) -> Token[StoreInUse | None]:
    """Set by the runner for the duration of a try; undone with reset_try_store(token)."""
    return _TRY_STORE.set(_store(database_url, home))


@functools.lru_cache(maxsize=16)
def _store(database_url: str, home: str) -> StoreInUse:
    """One value per store, not one (and a Path) per try."""
    return StoreInUse(database_url, Path(home))


def reset_try_store(token: Token[StoreInUse | None]) -> None:
    _TRY_STORE.reset(token)


def load_settings() -> Settings:
    home = legato_home()
    url = os.environ.get("LEGATO_DATABASE_URL") or f"sqlite:///{home / 'legato.db'}"
    dags = Path(os.environ.get("LEGATO_DAGS") or "dags")
    deliver = os.environ.get("LEGATO_INCIDENTS_DELIVER_S") or "10"
    try:
        deliver_s = max(0.0, float(deliver))
    except ValueError:
        raise InvalidInput(f"LEGATO_INCIDENTS_DELIVER_S={deliver!r} is not a number of seconds") from None
    return Settings(home=home, database_url=url, dags_folder=dags,
                    base_url=(os.environ.get("LEGATO_BASE_URL") or "http://127.0.0.1:8080").rstrip("/"),
                    incidents=os.environ.get("LEGATO_INCIDENTS") or "", incidents_deliver_s=deliver_s,
                    openlineage=_openlineage_env(), owner_timeout_s=_owner_timeout_env(),
                    worker_heartbeat_s=worker_heartbeat_s(),
                    dag_import_timeout_s=_seconds_env("LEGATO_DAG_IMPORT_TIMEOUT_S", 30.0),
                    dags_paused_at_creation=_flag_env("LEGATO_DAGS_PAUSED_AT_CREATION", True),
                    stop_grace_s=_seconds_env("LEGATO_STOP_GRACE_S", 30.0, allow_zero=True),
                    openlineage_namespace=os.environ.get("LEGATO_OPENLINEAGE_NAMESPACE") or "legato",
                    openlineage_api_key=os.environ.get("LEGATO_OPENLINEAGE_API_KEY") or "",
                    **_observability_env(), **_server_env())


def _owner_timeout_env() -> float:
    """LEGATO_OWNER_TIMEOUT_S (SPEC 2): seconds without a heartbeat after which another scheduler
    adopts the runs a scheduler or `dag.run()` was driving (default 30)."""
    raw = os.environ.get("LEGATO_OWNER_TIMEOUT_S") or "30"
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"LEGATO_OWNER_TIMEOUT_S={raw!r} is not a number of seconds") from None
    if not value > 0:
        raise InvalidInput(f"LEGATO_OWNER_TIMEOUT_S={raw!r} must be a positive number of seconds")
    return value


def _seconds_env(var: str, default: float, *, allow_zero: bool = False) -> float:
    raw = os.environ.get(var) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{var}={raw!r} is not a number of seconds") from None
    if not (value >= 0 if allow_zero else value > 0):
        raise InvalidInput(f"{var}={raw!r} must be a {'' if allow_zero else 'positive '}number of seconds")
    return value


def _flag_env(var: str, default: bool) -> bool:
    raw = (os.environ.get(var) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{var}={raw!r} is not one of true, false (1, 0, yes, no, on, off)")


def worker_heartbeat_s() -> float:
    """LEGATO_WORKER_HEARTBEAT_S (default 30): a process-pool worker running a try that has
    neither sent a heartbeat nor used CPU time for this many seconds is frozen (SIGSTOP, a
    deadlock): it is killed and its try reported lost. 0 turns the watch off."""
    raw = os.environ.get("LEGATO_WORKER_HEARTBEAT_S") or "30"
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"LEGATO_WORKER_HEARTBEAT_S={raw!r} is not a number of seconds") from None
    if not value >= 0:
        raise InvalidInput(f"LEGATO_WORKER_HEARTBEAT_S={raw!r} must be 0 (off) or a positive number")
    return value


def _server_env() -> dict[str, object]:
    """The HTTP server (SPEC 8). LEGATO_RATE_LIMIT: "N/SECONDS" per client (default 2000/300;
    checked when the server starts, by server/ratelimit.py). LEGATO_MAX_REQUEST_BYTES: the
    largest request body accepted, in bytes (default 10 MiB; larger is a 413 before anything
    is parsed). LEGATO_TRUSTED_PROXIES: comma-separated addresses or networks of reverse
    proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (default none: the client
    address is the TCP peer, so no header can dodge the per-IP rate limit); "*" trusts any."""
    raw = (os.environ.get("LEGATO_MAX_REQUEST_BYTES") or "").strip() or str(10 * 1024 * 1024)
    if not raw.isdigit() or int(raw) < 1024:
        raise InvalidInput(f"LEGATO_MAX_REQUEST_BYTES={raw!r} must be a whole number of bytes, at "
                         f"least 1024")
    return {"rate_limit": (os.environ.get("LEGATO_RATE_LIMIT") or "").strip(),
            "max_request_bytes": int(raw), "trusted_proxies": _proxies_env()}


def _proxies_env() -> str:
    import ipaddress

    items = [p.strip() for p in (os.environ.get("LEGATO_TRUSTED_PROXIES") or "").split(",")
             if p.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise InvalidInput(f"LEGATO_TRUSTED_PROXIES: {item!r} is not an IP address or network "
                             f"(e.g. 10.0.0.5, 10.0.0.0/8, or * for any)") from None
    return ",".join(items)


def _choice(var: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (os.environ.get(var) or default).strip().lower()
    if value not in allowed:
        raise InvalidInput(f"{var}={value!r} is not one of {', '.join(allowed)}")
    return value


def _observability_env() -> dict[str, object]:
    """Observability (SPEC 9): LEGATO_METRICS (1|0), LEGATO_OTEL (off|console|otlp),
    LEGATO_LOG_FORMAT (text|json), LEGATO_SLA_FORECAST_S (seconds between forecasts, 0 = off)."""
    metrics = _choice("LEGATO_METRICS", "1", ("1", "0", "true", "false", "on", "off"))
    otel = _choice("LEGATO_OTEL", "off", ("off", "console", "otlp"))
    raw = os.environ.get("LEGATO_SLA_FORECAST_S") or "30"
    try:
        forecast_s = float(raw)
    except ValueError:
        raise InvalidInput(f"LEGATO_SLA_FORECAST_S={raw!r} is not a number of seconds") from None
    if not forecast_s >= 0:
        raise InvalidInput(f"LEGATO_SLA_FORECAST_S={raw!r} must be 0 (off) or a positive number")
    return {"metrics": metrics in ("1", "true", "on"), "otel": "" if otel == "off" else otel,
            "log_format": _choice("LEGATO_LOG_FORMAT", "text", ("text", "json")),
            "sla_forecast_s": forecast_s}


def _openlineage_env() -> str:
    """LEGATO_OPENLINEAGE (SPEC 5): where OpenLineage events go; see legato.lineage.transport."""
    value = (os.environ.get("LEGATO_OPENLINEAGE") or "").strip()
    if value in ("", "off") or value == "console" or value.startswith(("file:", "http://", "https://")):
        return "" if value == "off" else value
    raise InvalidInput(f"LEGATO_OPENLINEAGE={value!r} is not one of console, file:/path/events.jsonl, "
                     f"http(s)://host:port (or unset)")
