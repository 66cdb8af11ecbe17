"""The JSON Schema type of a Python value, for code that types columns or fields from sample
values as it types them from a schema (the warehouse's columns in `sqlnames`, the trigger
form's fields in `services.ui_params`): each maps the type to its own kinds once, and
handles what JSON has no type for (dates, decimals) itself.

`bool` is checked before `int` (True is an int in Python, never in JSON); lists and tuples
are arrays, dicts objects, None null, and anything else a string.
"""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    """"boolean", "integer", "number", "array", "object", "null" or "string"."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else "string"
