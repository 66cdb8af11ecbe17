"""`Dataset`: a named piece of data a task reads (inlet) or writes (outlet).

Only the URI identifies a dataset; `extra` carries free-form metadata (owner, schema) that the
catalog records but never compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dataset:
    uri: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri.strip():
            raise ValueError("Dataset needs a non-empty URI string")
