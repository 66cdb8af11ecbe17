"""json_type: the JSON Schema type of a Python value, which the warehouse's column inference
and the trigger form's field inference both map to their own kinds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import IntEnum

import pytest

from legato.io.jsontype import json_type


class Level(IntEnum):
    LOW = 1


@pytest.mark.parametrize(("value", "expected"), [
    (True, "boolean"), (False, "boolean"),            # before integer: a bool is an int in Python
    (0, "integer"), (Level.LOW, "integer"),
    (1.5, "number"),
    ([1], "array"), ((1, 2), "array"),
    ({"a": 1}, "object"),
    (None, "null"),
    ("x", "string"), (Decimal("1.2"), "string"), (dt.date(2024, 1, 1), "string"), ({1}, "string"),
])
def test_json_type(value: object, expected: str) -> None:
    assert json_type(value) == expected
