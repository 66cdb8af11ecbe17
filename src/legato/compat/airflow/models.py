"""Variables, Connections, Params, edge labels and hooks, served from Legato's own stores.

Variables and connections are read as Airflow reads them from its environment backend
(`AIRFLOW_VAR_<KEY>`, `AIRFLOW_CONN_<ID>`), then through Legato (`LEGATO_VAR_*`,
`LEGATO_CONN_*`, and the encrypted store the runner installs for each try).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ...authoring import variables as legato_vars
from ...authoring.dependencies import DependencyMixin as _LegatoDependencies
from .exceptions import AirflowNotFoundException, ParamValidationError

NOTSET: Any = type("ArgNotSet", (), {"__repr__": lambda self: "NOTSET"})()
_set_in_process: dict[str, str] = {}


class Variable:
    """`Variable.get(key, default_var=..., deserialize_json=False)` and `Variable.set`."""

    def __init__(self, key: str | None = None, val: Any = None, description: str | None = None):
        self.key, self.val, self.description = key, val, description

    @staticmethod
    def get(key: str, default_var: Any = NOTSET, deserialize_json: bool = False,
            default: Any = NOTSET) -> Any:
        if default is not NOTSET:
            default_var = default
        raw = os.environ.get(f"AIRFLOW_VAR_{key.upper()}", _set_in_process.get(key))
        if raw is None:
            try:
                raw = legato_vars.get_variable(key)
            except legato_vars.MissingResource:
                if default_var is NOTSET:
                    raise KeyError(f"Variable {key} does not exist") from None
                return default_var
        return json.loads(raw) if deserialize_json else raw

    @staticmethod
    def set(key: str, value: Any, description: str | None = None,
            serialize_json: bool = False) -> None:
        """Kept for this process only; store variables with `legato variables set`."""
        _set_in_process[key] = json.dumps(value) if serialize_json else str(value)

    @staticmethod
    def delete(key: str) -> None:
        _set_in_process.pop(key, None)


class Connection:
    """Airflow's connection fields over a Legato connection (or an AIRFLOW_CONN_ URI)."""

    def __init__(self, conn_id: str | None = None, conn_type: str | None = None,
                 host: str | None = None, login: str | None = None,
                 password: str | None = None, schema: str | None = None,
                 port: int | None = None, extra: Any = None, uri: str | None = None,
                 description: str | None = None) -> None:
        if uri:
            c = legato_vars.parse_connection(conn_id or "", uri)
            conn_type, host, login, password = c.conn_type, c.host, c.login, c.password
            schema, port, extra = c.schema, c.port, extra or c.extra
        self.conn_id, self.conn_type, self.host, self.login = conn_id, conn_type, host, login
        self.password, self.schema, self.port, self.description = password, schema, port, description
        self.extra = json.dumps(extra) if isinstance(extra, dict) else extra

    @property
    def extra_dejson(self) -> dict[str, Any]:
        return json.loads(self.extra) if self.extra else {}

    def get_uri(self) -> str:
        auth = f"{self.login or ''}{':' + self.password if self.password else ''}"
        port = f":{self.port}" if self.port else ""
        return f"{self.conn_type}://{auth}{'@' if auth else ''}{self.host or ''}{port}/{self.schema or ''}"

    @classmethod
    def get(cls, conn_id: str) -> Connection:
        return get_connection(conn_id)

    get_connection_from_secrets = get


def get_connection(conn_id: str) -> Connection:
    uri = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if uri:
        return Connection(conn_id, uri=uri)
    try:
        c = legato_vars.get_connection(conn_id)
    except legato_vars.MissingResource as exc:
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined ({exc})") from None
    return Connection(conn_id, c.conn_type, c.host, c.login, c.password, c.schema, c.port,
                      dict(c.extra))


class BaseHook:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.log = __import__("logging").getLogger(type(self).__name__)

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        return get_connection(conn_id)


class BaseNotifier:
    """A callback object: `on_failure_callback=MyNotifier(...)` calls `notify(context)`."""

    template_fields: tuple[str, ...] = ()

    def notify(self, context: Any) -> None:
        raise NotImplementedError

    def __call__(self, *args: Any) -> None:
        context = args[0] if len(args) == 1 else {"args": args}
        self.notify(context)


class Param:
    """A DAG or task parameter: a default and a JSON Schema it must satisfy."""

    def __init__(self, default: Any = NOTSET, description: str | None = None,
                 **schema: Any) -> None:
        self.value, self.description = default, description
        self.schema = {k: v for k, v in schema.items() if k not in ("title", "section")}
        self.schema.pop("description_md", None)

    @property
    def has_value(self) -> bool:
        return self.value is not NOTSET

    def resolve(self, value: Any = NOTSET, name: str = "") -> Any:
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            raise ParamValidationError(f"No value passed and Param {name!r} has no default value")
        if self.schema:
            import jsonschema

            try:
                jsonschema.validate(final, self.schema,
                                    format_checker=jsonschema.FormatChecker())
            except jsonschema.ValidationError as exc:
                raise ParamValidationError(
                    f"Invalid input for param {name}: {exc.message}") from None
        return final

    def dump(self) -> dict[str, Any]:
        return {"value": self.value, "description": self.description, "schema": self.schema}


class ParamsDict(dict):  # type: ignore[type-arg]
    """Airflow's params mapping: values, or Params resolved when read."""

    def validate(self) -> dict[str, Any]:
        return {k: (v.resolve(name=k) if isinstance(v, Param) else v) for k, v in self.items()}


def param_defaults(params: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Param]]:
    """(JSON-able default values, the Param objects by name) of a DAG's or task's params."""
    values: dict[str, Any] = {}
    schemas: dict[str, Param] = {}
    for key, value in (params or {}).items():
        if isinstance(value, Param):
            schemas[key] = value
            if value.has_value:
                values[key] = value.value
        else:
            values[key] = value
    return values, schemas


class EdgeModifier:
    """`a >> Label("why") >> b`: the label is kept for display; the edge is a >> b."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[Any] = []

    def __rrshift__(self, other: Any) -> EdgeModifier:
        self._upstream.extend(other if isinstance(other, list | tuple) else [other])
        return self

    def __rshift__(self, other: Any) -> Any:
        for up in self._upstream:
            up >> other
        return other

    def __lshift__(self, other: Any) -> Any:
        self._upstream.extend(other if isinstance(other, list | tuple) else [other])
        return self


def Label(label: str) -> EdgeModifier:  # Airflow's name
    return EdgeModifier(label)


class DependencyMixin(_LegatoDependencies):
    """Legato's `>>` and `<<` for operators, task groups and XComArgs, and `a >> Label("why")`,
    which hands `a` to the label (its `>> b` then makes the edge)."""

    def __rshift__(self, other: Any) -> Any:
        if isinstance(other, EdgeModifier):
            return other.__rrshift__(self)
        return super().__rshift__(other)


class XCom:
    @staticmethod
    def get_value(*, ti_key: Any = None, key: str | None = None) -> Any:
        return None


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def literal(value: Any) -> _Literal:
    """A templated field value that is not rendered."""
    return _Literal(value)


class _Conf:
    """`airflow.configuration.conf`: every option reads as its fallback."""

    def get(self, section: str, key: str, fallback: Any = None, **_: Any) -> Any:
        return fallback

    def getboolean(self, section: str, key: str, fallback: bool = False, **_: Any) -> bool:
        return fallback

    def getint(self, section: str, key: str, fallback: int = 0, **_: Any) -> int:
        return fallback

    getfloat = getint

    def has_option(self, section: str, key: str) -> bool:
        return False


conf = _Conf()


class DeadlineAlert:
    """Accepted (`DAG(deadline=...)`); Legato's DAG-level `sla=` is its counterpart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


class _Reference:
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return name


DeadlineReference = _Reference()
AsyncCallback = DeadlineAlert
SyncCallback = DeadlineAlert
