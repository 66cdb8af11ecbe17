"""Validation of DAG and task ids, shared so both follow one rule (Airflow's)."""

from __future__ import annotations

import re

from .errors import DagDefinitionError

_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,250}$")


def check_id(kind: str, value: object) -> str:
    """Return `value` if it is a valid id, else raise naming what is wrong."""
    if not isinstance(value, str) or not _ID.match(value):
        raise DagDefinitionError(
            f"invalid {kind} {value!r}: use 1-250 letters, digits, '_', '-' or '.'"
        )
    return value
