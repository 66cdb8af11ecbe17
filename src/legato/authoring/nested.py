"""Walking a task's arguments: values nest in lists, tuples and dicts, and what a task does to
them (render templates, turn tasks into result references, put upstream results in their
place) happens at the leaves, the containers being rebuilt around them as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """`value` with `leaf` applied to everything inside it that is not a list, a tuple or a
    dict (at any depth); containers are rebuilt as their own kind, dict keys kept as they are."""
    if isinstance(value, list):
        return [map_leaves(v, leaf) for v in value]
    if isinstance(value, tuple):
        return tuple(map_leaves(v, leaf) for v in value)
    if isinstance(value, dict):
        return {k: map_leaves(v, leaf) for k, v in value.items()}
    return leaf(value)
