"""`Dataset`: a named piece of data a task reads (inlet) or writes (outlet).

Only the URI identifies a dataset: two `Dataset`s with one URI are equal and hash alike, so a
bare `Dataset(uri)` in a consumer's DAG names the same dataset its producer describes. The
rest is catalog metadata, recorded (never compared) when the DAG is synced to the store:
owner, domain, description, schema (a JSON Schema dict, or a `legato.quality.Contract`),
freshness (the SLO: how old the last update may be) and `product=True` for a data product.

A data product is a promise to consumers, so it must say who answers for it (owner), which
domain publishes it, and what its records look like (a contract): one without them is refused
here, when the DAG file is imported, not when a consumer first reads bad data. This module
stays pure: a Contract is recognised by its `name` and `json_schema`, never imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from .errors import DagDefinitionError


def _text(value: Any, what: str, uri: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DagDefinitionError(f"Dataset {uri!r}: {what} must be a non-empty string, got {value!r}")
    return value.strip()


def _schema(value: Any, uri: str) -> tuple[dict[str, Any] | None, str | None]:
    """(JSON Schema, contract name) from a dict or a Contract-like object."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        return value, None
    schema, name = getattr(value, "json_schema", None), getattr(value, "name", None)
    if isinstance(schema, dict) and isinstance(name, str):
        return schema, name
    raise DagDefinitionError(f"Dataset {uri!r}: schema must be a JSON Schema dict or a "
                             f"legato.quality.Contract, got {type(value).__name__}")


@dataclass(frozen=True)
class Dataset:
    is_dataset: ClassVar[bool] = True      # how schedules/ recognise one without importing us
    uri: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    owner: str | None = field(default=None, compare=False, kw_only=True)
    domain: str | None = field(default=None, compare=False, kw_only=True)
    description: str | None = field(default=None, compare=False, kw_only=True)
    schema: Any = field(default=None, compare=False, kw_only=True, repr=False)
    freshness: timedelta | None = field(default=None, compare=False, kw_only=True)
    product: bool = field(default=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri.strip():
            raise ValueError("Dataset needs a non-empty URI string")
        if len(self.uri) > 1000 or "\x00" in self.uri:
            raise DagDefinitionError(f"Dataset URI {self.uri[:60]!r}…: at most 1000 characters, no NUL")
        for name in ("owner", "domain", "description"):
            object.__setattr__(self, name, _text(getattr(self, name), name, self.uri))
        _schema(self.schema, self.uri)
        if self.freshness is not None and (not isinstance(self.freshness, timedelta)
                                           or self.freshness <= timedelta(0)):
            raise DagDefinitionError(f"Dataset {self.uri!r}: freshness must be a positive "
                                     f"timedelta (the freshness SLO), got {self.freshness!r}")
        if self.product:
            self._check_product()

    def _check_product(self) -> None:
        missing = [n for n, v in (("owner", self.owner), ("domain", self.domain),
                                  ("schema (a contract)", self.schema)) if v is None]
        if missing:
            raise DagDefinitionError(
                f"data product {self.uri!r} needs {', '.join(missing)}: a product is published "
                f"with an owner, a domain and a contract consumers can rely on")

    @property
    def json_schema(self) -> dict[str, Any] | None:
        return _schema(self.schema, self.uri)[0]

    @property
    def contract_name(self) -> str | None:
        return _schema(self.schema, self.uri)[1]

    def catalog_entry(self) -> dict[str, Any] | None:
        """The metadata the catalog records, as plain data; None for a bare `Dataset(uri)`."""
        entry = {"uri": self.uri, "owner": self.owner, "domain": self.domain,
                 "description": self.description, "schema": self.json_schema,
                 "contract": self.contract_name,
                 "freshness_s": None if self.freshness is None else self.freshness.total_seconds(),
                 "product": bool(self.product)}
        if not any(v for k, v in entry.items() if k != "uri") and not self.extra:
            return None
        if self.extra:
            entry["extra"] = dict(self.extra)
        return entry
