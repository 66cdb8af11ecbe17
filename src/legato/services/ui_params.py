"""The trigger form of the web UI, generated from a DAG's `params`, and its validation.

Each param becomes one field whose kind comes from its schema when the DAG declares one (an
Airflow `Param(default, type=..., enum=..., format="date")`, kept by the compatibility layer
as `dag.param_schemas`) and otherwise from its default: bool -> boolean, int -> integer,
float -> number, "YYYY-MM-DD" -> date, list or dict -> JSON, anything else -> string.
`parse` turns the submitted text back into values and returns the errors by field, so the run
is created only when every field is valid (and the form is shown again with the messages).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..errors import InvalidInput
from ..io.jsontype import json_type

KINDS = ("string", "number", "integer", "boolean", "enum", "date", "datetime", "json")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_SCHEMA_KINDS = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean",
                 "array": "json", "object": "json"}


@dataclass(frozen=True)
class ParamField:
    name: str
    kind: str
    default: Any
    text: str                          # what the input shows
    options: tuple[Any, ...] = ()      # enum values
    description: str | None = None
    required: bool = False
    nullable: bool = False
    schema: dict[str, Any] | None = None
    error: str | None = None


def _text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value, indent=2)
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def _kind_of_value(value: Any) -> str:
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date) or (isinstance(value, str) and _DATE.match(value)):
        return "date"
    return _SCHEMA_KINDS.get(json_type(value), "string")


def _kind_of_schema(schema: dict[str, Any], value: Any) -> tuple[str, bool]:
    """(kind, nullable) from a JSON Schema ("type" may be a list with "null")."""
    if schema.get("enum"):
        return "enum", None in schema["enum"]
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    nullable = "null" in types
    types = [t for t in types if t != "null"]
    if types and types[0] == "string" and schema.get("format") in ("date", "date-time"):
        return ("date" if schema["format"] == "date" else "datetime"), nullable
    if types:
        return _SCHEMA_KINDS.get(types[0], "json"), nullable
    return _kind_of_value(value), nullable


def fields_of(dag: Any) -> list[ParamField]:
    """The form's fields for a loaded DAG (its params, and their schemas when declared)."""
    schemas = getattr(dag, "param_schemas", {}) or {}
    names = list(dict.fromkeys([*dag.params, *schemas]))
    out = []
    for name in names:
        param = schemas.get(name)
        schema = dict(getattr(param, "schema", {}) or {}) if param is not None else None
        default = dag.params.get(name)
        if schema is not None:
            kind, nullable = _kind_of_schema(schema, default)
        else:
            kind, nullable = _kind_of_value(default), default is None
        value = default.isoformat() if isinstance(default, date | datetime) else default
        out.append(ParamField(name, kind, value, _text(kind, value),
                              tuple(schema.get("enum", ())) if schema else (),
                              getattr(param, "description", None), name not in dag.params,
                              nullable, schema))
    return out


def _convert(f: ParamField, raw: str | None) -> Any:
    """The value of one field's submitted text; ValueError with the reason."""
    if f.kind == "boolean":
        return raw in ("true", "on", "1")
    text = (raw or "").strip()
    if text == "":
        if f.required and not f.nullable:
            raise InvalidInput("a value is required")
        return None if (f.nullable or f.default is None) else ("" if f.kind == "string" else None)
    if f.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(f"{text!r} is not a whole number") from None
    if f.kind == "number":
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise InvalidInput(f"{text!r} is not a number") from None
    if f.kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if f.kind == "datetime":
        try:
            return datetime.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidInput(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    if f.kind == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if f.kind == "enum":
        match = next((o for o in f.options if str(o) == text), None)
        if match is None:
            raise InvalidInput(f"{text!r} is not one of {', '.join(map(str, f.options))}")
        return match
    return raw


def _check_schema(f: ParamField, value: Any) -> None:
    if not f.schema or (value is None and f.nullable):
        return
    import jsonschema

    try:
        jsonschema.validate(value, f.schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as exc:
        raise InvalidInput(exc.message) from None


def parse(fields: list[ParamField], form: dict[str, str]) -> tuple[dict[str, Any], list[ParamField]]:
    """(params, fields with the submitted text and any error): params are good only when no
    field has an error. Form keys are `param.<name>`."""
    params: dict[str, Any] = {}
    shown = []
    for f in fields:
        raw = form.get(f"param.{f.name}")
        try:
            value = _convert(f, raw)
            _check_schema(f, value)
            params[f.name] = value
            shown.append(replace(f, text=raw if raw is not None else f.text))
        except ValueError as exc:
            shown.append(replace(f, text=raw or "", error=str(exc)))
    return params, shown
