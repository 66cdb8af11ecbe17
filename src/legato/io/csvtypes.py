"""Typing CSV columns: a CSV file has only text, so `storage.read_csv` returns strings unless
told how to type them. The rule is per column, never per cell (a column never mixes types):

- `schema=`: a Contract or a JSON Schema (the one `Warehouse.load(schema=)` creates tables
  from): `integer` -> int, `number` -> float, `boolean` -> bool, `string` stays text;
- `dtypes={"amount": float, "qty": int, "paid": bool, "sku": str}`: per column, a type or any
  callable taking the text;
- `infer=True`: a column whose every non-empty value is an integer literal becomes int, else
  a decimal number -> float, else true/false -> bool, else it stays text; a column with a
  leading zero anywhere ("007", "02134") stays text: it holds identifiers, not numbers;

`dtypes` wins over `schema`, which wins over inference; columns none of them names stay text.
An empty field is None in a typed column (it stays "" in a text one). A value that does not
convert is a ValueError naming the file, the line, the column and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Converter = Callable[[str], Any]
_INT = re.compile(r"[+-]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")                 # "007", "02134": identifiers
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})


def to_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean (true/false, yes/no, 1/0)")


_BY_TYPE: dict[Any, Converter] = {int: int, float: float, bool: to_bool, str: str}
_BY_SCHEMA: dict[str, Converter] = {"integer": int, "number": float, "boolean": to_bool}


def _schema_converters(schema: Any) -> dict[str, Converter]:
    doc = getattr(schema, "json_schema", schema)
    props = doc.get("properties") if isinstance(doc, Mapping) else None
    if not isinstance(props, Mapping):
        raise ValueError("schema must be a Contract or a JSON Schema with `properties`")
    out = {}
    for name, prop in props.items():
        kind = prop.get("type") if isinstance(prop, Mapping) else None
        if isinstance(kind, list):                         # ["number", "null"]
            kind = next((k for k in kind if k != "null"), None)
        if kind in _BY_SCHEMA:
            out[name] = _BY_SCHEMA[kind]
    return out


def _inferred(column: list[str]) -> Converter | None:
    values = [v.strip() for v in column if v.strip()]
    if not values:
        return None
    if any(_LEADING_ZERO.match(v) for v in values):
        return None
    if all(_INT.fullmatch(v) for v in values):
        return int
    if all(_FLOAT.fullmatch(v) for v in values):
        return float
    if all(v.lower() in ("true", "false") for v in values):
        return to_bool
    return None


def converters(rows: list[dict[str, str]], *, schema: Any = None,
               dtypes: Mapping[str, Any] | None = None, infer: bool = False) -> dict[str, Converter]:
    """{column: converter} by the module's rule (dtypes over schema over inference)."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    out: dict[str, Converter] = {}
    if infer:
        for name in names:
            found = _inferred([r.get(name) or "" for r in rows])
            if found is not None:
                out[name] = found
    if schema is not None:
        out.update(_schema_converters(schema))
    for name, kind in (dtypes or {}).items():
        if not callable(kind):
            raise ValueError(f"dtypes[{name!r}] must be a type (int, float, bool, str) or a "
                             f"callable, got {kind!r}")
        out[name] = _BY_TYPE.get(kind, kind)
    return out


def apply(rows: list[dict[str, str]], convert: Mapping[str, Converter], where: str) -> list[dict[str, Any]]:
    """`rows` with each typed column converted; line numbers count the header as line 1."""
    if not convert:
        return rows
    out = []
    for line, row in enumerate(rows, start=2):
        typed: dict[str, Any] = dict(row)
        for name, fn in convert.items():
            if name not in row:
                continue
            text = row[name]
            if fn is str:
                continue
            try:
                typed[name] = None if text is None or not text.strip() else fn(text.strip())
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: line {line}, column {name!r}: cannot convert "
                                 f"{text!r} ({exc})") from None
        out.append(typed)
    return out
