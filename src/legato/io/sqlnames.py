"""Identifiers and column types for warehouse loads: validated once, quoted always.

Table and column names are interpolated into SQL (values never are: they are bound), so a name
must be a plain identifier (`[A-Za-z_][A-Za-z0-9_]*`, a table optionally `schema.table`) and is
then double-quoted, which keeps reserved words such as `order` or `day` usable. Anything else
is refused with an error naming the bad name, before any statement runs.

Types come from a JSON Schema (a Contract's or a dict: `properties` with `type`/`format`) or
are inferred from the first non-null value of each column in the records; nested values
(objects, arrays) are stored as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .jsontype import json_type

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class BadName(ValueError):
    """A table or column name that is not a plain SQL identifier."""


def column(name: Any) -> str:
    """`name` double-quoted, after checking it is a plain identifier."""
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise BadName(f"bad column name {name!r}: use letters, digits and _ (not first), "
                      f"at most 63 characters")
    return f'"{name}"'


def table(name: Any) -> tuple[str | None, str]:
    """(schema or None, table) of a `table` or `schema.table` name, checked."""
    parts = name.split(".") if isinstance(name, str) else [name]
    if len(parts) > 2 or not all(isinstance(p, str) and _IDENT.fullmatch(p) for p in parts):
        raise BadName(f"bad table name {name!r}: use `table` or `schema.table` with letters, "
                      f"digits and _ (not first)")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def qualified(name: str) -> str:
    schema, tbl = table(name)
    return f'"{schema}"."{tbl}"' if schema else f'"{tbl}"'


# -- types ------------------------------------------------------------------------------------

_KINDS = {"integer": "integer", "number": "double", "boolean": "boolean"}   # by JSON type; else text


def _kind_of_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return "numeric"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return _KINDS.get(json_type(value), "text")


def _kind_of_schema(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):                       # ["integer", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string":
        return {"date": "date", "date-time": "timestamp"}.get(prop.get("format", ""), "text")
    return _KINDS.get(kind, "text")


def columns_from_schema(schema: Any) -> dict[str, str]:
    """{column: kind} from a Contract or a JSON Schema dict with `properties`."""
    doc = getattr(schema, "json_schema", schema)
    props = doc.get("properties") if isinstance(doc, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        raise ValueError("schema must be a Contract or a JSON Schema with `properties`")
    return {name: _kind_of_schema(p if isinstance(p, Mapping) else {}) for name, p in props.items()}


def columns_from_records(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """{column: kind}: every key of the records in first-seen order, typed by its first
    non-null value (text when all are null)."""
    kinds: dict[str, str | None] = {}
    for record in records:
        for key, value in record.items():
            if kinds.get(key) is None:
                kinds[key] = None if value is None else _kind_of_value(value)
    return {k: v or "text" for k, v in kinds.items()}


def cell(value: Any) -> Any:
    """A value as the database takes it: nested structures become JSON text."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, sort_keys=True)
    return value
