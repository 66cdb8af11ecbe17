"""A fast accept-path for common JSON Schemas: plain closures instead of jsonschema's walk.

`compile_fast(schema)` returns a predicate, or None when the schema uses anything outside the
supported subset (type, required, properties, additionalProperties, items, minimum, maximum,
exclusiveMinimum/Maximum as numbers, minLength, maxLength, minItems, maxItems, string enums,
and annotation keywords). The contract is one-sided: when the predicate says True, jsonschema
would accept the record too; when it says False, the caller asks jsonschema for the reasons
(and accepts the record if jsonschema finds none). So the predicate may be stricter than
jsonschema — `integer` accepts only `int`, not `1.0`; `object` only `dict` — never looser.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"title", "description", "$schema", "$id", "default", "examples",
                         "$comment", "deprecated", "readOnly", "writeOnly"})
SUPPORTED = frozenset({"type", "required", "properties", "additionalProperties", "items",
                       "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                       "maxLength", "minItems", "maxItems", "enum"}) | ANNOTATIONS

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "null": (type(None),), "object": (dict,), "array": (list,),
}
_NUMBER = (int, float)


class Unsupported(Exception):
    pass


def compile_fast(schema: Any) -> Check | None:
    try:
        return _node(schema)
    except Unsupported:
        return None


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]

    def check(v: Any) -> bool:
        return all(c(v) for c in checks)
    return check


def _node(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict) or set(schema) - SUPPORTED:
        raise Unsupported
    return _all([c for c in (_type(schema), _object(schema), _array(schema), _number(schema),
                             _string(schema)) if c is not None])


def _type(schema: dict[str, Any]) -> Check | None:
    if "type" not in schema:
        return None
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not names or any(n not in _TYPES for n in names):
        raise Unsupported
    exact = frozenset(t for n in names for t in _TYPES[n])
    return lambda v: type(v) in exact                 # exact types: bool is not an integer


def _object(schema: dict[str, Any]) -> Check | None:
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        raise Unsupported
    props_schema = schema.get("properties", {})
    if not isinstance(props_schema, dict):
        raise Unsupported
    props = tuple((k, _node(s)) for k, s in props_schema.items())
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True else _node(extra)
    names = frozenset(props_schema)
    if not required and not props and extra_check is None:
        return None

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return not isinstance(v, dict)                # only objects are bound; a subclass: ask jsonschema
        for k in required:
            if k not in v:
                return False
        for k, sub in props:
            if k in v and not sub(v[k]):
                return False
        if extra_check is not None:
            for k, x in v.items():
                if k not in names and not extra_check(x):
                    return False
        return True
    return check


def _array(schema: dict[str, Any]) -> Check | None:
    items = schema.get("items")
    if items is not None and not isinstance(items, (dict, bool)):
        raise Unsupported                                 # tuple-form items
    each = None if items is None else _node(items)
    lo, hi = _count(schema, "minItems"), _count(schema, "maxItems")
    if each is None and lo is None and hi is None:
        return None

    def check(v: Any) -> bool:
        if type(v) is not list:
            return not isinstance(v, list)
        if (lo is not None and len(v) < lo) or (hi is not None and len(v) > hi):
            return False
        if each is not None:
            for x in v:
                if not each(x):
                    return False
        return True
    return check


def _count(schema: dict[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if value is not None and (type(value) is not int or value < 0):
        raise Unsupported
    return value


def _bound(schema: dict[str, Any], key: str) -> float | None:
    value = schema.get(key)
    if value is not None and type(value) not in _NUMBER:
        raise Unsupported                                 # e.g. draft 4's boolean exclusives
    return value


def _number(schema: dict[str, Any]) -> Check | None:
    lo, hi = _bound(schema, "minimum"), _bound(schema, "maximum")
    xlo, xhi = _bound(schema, "exclusiveMinimum"), _bound(schema, "exclusiveMaximum")
    if lo is None and hi is None and xlo is None and xhi is None:
        return None

    def check(v: Any) -> bool:
        if type(v) not in _NUMBER:
            return isinstance(v, bool) or not isinstance(v, numbers.Number)
        return not ((lo is not None and v < lo) or (hi is not None and v > hi)
                    or (xlo is not None and v <= xlo) or (xhi is not None and v >= xhi))
    return check


def _string(schema: dict[str, Any]) -> Check | None:
    lo, hi = _count(schema, "minLength"), _count(schema, "maxLength")
    enum = schema.get("enum")
    if enum is not None and (not isinstance(enum, list) or not all(type(e) is str for e in enum)):
        raise Unsupported                                 # only string enums: 1 == True in Python
    allowed = None if enum is None else frozenset(enum)
    if lo is None and hi is None and allowed is None:
        return None

    def check(v: Any) -> bool:
        if allowed is not None and (type(v) is not str or v not in allowed):
            return False
        if type(v) is not str:
            return not isinstance(v, str)
        return not ((lo is not None and len(v) < lo) or (hi is not None and len(v) > hi))
    return check
