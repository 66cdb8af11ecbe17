"""Assets (Airflow 3) and Datasets (Airflow 2) as Legato Datasets, with `&` / `|` expressions.

An `Asset` IS a `legato.Dataset` (same URI, same catalog and lineage). A schedule written as an
expression (`a & (b | c)`) runs on Legato when any asset in it is updated after the last run
and all the assets the expression needs have been updated (Legato's dataset schedules take a
list: the expression is flattened to its assets; see docs/guides/airflow.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...authoring.dataset import Dataset as LegatoDataset


class _Expr:
    def __and__(self, other: Any) -> AssetAll:
        return AssetAll(self, other)

    def __or__(self, other: Any) -> AssetAny:
        return AssetAny(self, other)

    def iter_assets(self) -> Iterator[Asset]:
        raise NotImplementedError


class Asset(LegatoDataset, _Expr):
    """`Asset(name=..., uri=...)` or `Asset("s3://bucket/key")`."""

    def __init__(self, name: str | None = None, uri: str | None = None, *, group: str = "asset",
                 extra: dict[str, Any] | None = None, watchers: Any = None) -> None:
        ident = uri or name
        if not ident:
            raise TypeError("Asset needs a name or a uri")
        LegatoDataset.__init__(self, ident, dict(extra or {}))
        object.__setattr__(self, "name", name or ident)
        object.__setattr__(self, "group", group)

    def __hash__(self) -> int:
        return hash(self.uri)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LegatoDataset) and other.uri == self.uri

    def iter_assets(self) -> Iterator[Asset]:
        yield self

    @classmethod
    def ref(cls, *, name: str | None = None, uri: str | None = None) -> Asset:
        return cls(name=name, uri=uri)


class Dataset_(Asset):  # Airflow 2's Dataset(uri, extra)
    def __init__(self, uri: str, extra: dict[str, Any] | None = None, **_: Any) -> None:
        super().__init__(uri=uri, extra=extra)


class AssetAll(_Expr):
    def __init__(self, *objects: Any) -> None:
        self.objects = objects

    def iter_assets(self) -> Iterator[Asset]:
        for o in self.objects:
            yield from o.iter_assets()


class AssetAny(AssetAll):
    pass


class AssetAlias:
    def __init__(self, name: str, group: str = "asset") -> None:
        self.name, self.group = name, group

    def iter_assets(self) -> Iterator[Asset]:
        return iter(())


class Metadata:
    """Yielded by a task to attach `extra` to an asset event (kept in the outlet events)."""

    def __init__(self, asset: Any, extra: dict[str, Any], alias: Any = None) -> None:
        self.asset, self.extra, self.alias = asset, extra, alias


class AssetWatcher:
    def __init__(self, name: str, trigger: Any) -> None:
        self.name, self.trigger = name, trigger


class Model(Asset):
    pass


Dataset = Dataset_  # type: ignore[misc]  # served as airflow.datasets.Dataset
DatasetAlias = AssetAlias
DatasetAll = AssetAll
DatasetAny = AssetAny


def schedule_assets(schedule: Any) -> list[Asset] | None:
    """The assets of an asset schedule (a list, one asset or an expression); else None."""
    if isinstance(schedule, _Expr):
        return list(dict.fromkeys(schedule.iter_assets()))
    if isinstance(schedule, list | tuple) and schedule and all(
            isinstance(s, _Expr | AssetAlias) for s in schedule):
        return list(dict.fromkeys(a for s in schedule for a in s.iter_assets()))
    return None


class OutletEventAccessor:
    """`context["outlet_events"][asset]`: extra for the asset event this task emits."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.extra: dict[str, Any] = {}
        self.asset_alias_events: list[tuple[Any, dict[str, Any]]] = []

    def add(self, asset: Any, extra: dict[str, Any] | None = None) -> None:
        self.asset_alias_events.append((asset, dict(extra or {})))


class OutletEventAccessors(dict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> OutletEventAccessor:
        value = self[key] = OutletEventAccessor(key)
        return value


class InletEvents:
    """`context["inlet_events"][asset]`: the events of one of the task's inlets (an index into
    the inlets works too); no events are handed to tasks yet, so each is an empty list.
    Anything that is not one of the task's inlets is a KeyError, as in Airflow."""

    def __init__(self, inlets: list[Any]) -> None:
        self._inlets = list(inlets)

    def __getitem__(self, key: Any) -> list[Any]:
        if isinstance(key, int):
            key = self._inlets[key]
        if isinstance(key, AssetAlias) or (isinstance(key, LegatoDataset) and key in self._inlets):
            return []
        raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        return key in self._inlets

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inlets)

    def __len__(self) -> int:
        return len(self._inlets)
