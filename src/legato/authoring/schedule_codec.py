"""A DAG's `schedule` as plain data and back, so the scheduler can work from a stored spec.

DAG files are imported in a child process (engine/dagprocessor.py); what comes back is the
spec's JSON, and the scheduler rebuilds each schedule from it: a cron string or preset stays a
string, a timedelta is kept in seconds, a dataset list as its URIs, an event trigger as its
source kind and fields. Any other schedule object may take part by offering
`to_schedule_def() -> dict` and a classmethod `from_schedule_def(dict)`; it is stored with its
import path. Pure: the event trigger classes are imported only to rebuild one.
"""

from __future__ import annotations

import dataclasses
import importlib
from datetime import timedelta
from typing import Any

_TRIGGERS = {"file": "FileArrival", "webhook": "Webhook", "queue": "Queue"}


class MarkedCron(str):
    """A cron string that carries how a manual run's data interval is inferred
    (`manual_interval`, as an Airflow DAG's schedule does: see schedules.timetable)."""

    manual_interval: str

    def __new__(cls, value: str, manual_interval: str) -> MarkedCron:
        self = super().__new__(cls, value)
        self.manual_interval = manual_interval
        return self


class MarkedDelta(timedelta):
    """A timedelta schedule with its `manual_interval` (see MarkedCron)."""

    manual_interval: str

    def __new__(cls, seconds: float, manual_interval: str) -> MarkedDelta:
        self = super().__new__(cls, seconds=seconds)
        self.manual_interval = manual_interval
        return self


def _marks(schedule: Any) -> dict[str, Any]:
    manual = getattr(schedule, "manual_interval", None)
    return {} if manual is None else {"manual_interval": manual}


def _is_dataclass_object(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def encode_schedule(schedule: Any) -> dict[str, Any] | None:
    """The plain-data form of a schedule (None for no schedule)."""
    if schedule is None:
        return None
    marks = _marks(schedule)
    if isinstance(schedule, str):
        return {"kind": "cron", "value": str(schedule), **marks}
    if isinstance(schedule, timedelta):
        return {"kind": "timedelta", "seconds": schedule.total_seconds(), **marks}
    if isinstance(schedule, list | tuple):
        return {"kind": "datasets", "uris": [getattr(d, "uri", str(d)) for d in schedule]}
    if getattr(schedule, "is_event_trigger", False) and _is_dataclass_object(schedule):
        return {"kind": "event", "source": schedule.source, "fields": dataclasses.asdict(schedule)}
    if hasattr(schedule, "to_schedule_def"):
        cls = type(schedule)
        return {"kind": "object", "path": f"{cls.__module__}:{cls.__qualname__}",
                "data": schedule.to_schedule_def()}
    raise TypeError(f"a schedule of type {type(schedule).__name__} cannot be stored")


def decode_schedule(data: dict[str, Any] | None) -> Any:
    """The schedule object `encode_schedule` described."""
    if data is None:
        return None
    kind = data["kind"]
    manual = data.get("manual_interval")
    if kind == "cron":
        return data["value"] if manual is None else MarkedCron(data["value"], manual)
    if kind == "timedelta":
        seconds = data["seconds"]
        return timedelta(seconds=seconds) if manual is None else MarkedDelta(seconds, manual)
    if kind == "datasets":
        from .dataset import Dataset

        return [Dataset(uri) for uri in data["uris"]]
    if kind == "event":
        from . import triggers

        return getattr(triggers, _TRIGGERS[data["source"]])(**data["fields"])
    if kind == "object":
        module, _, name = data["path"].partition(":")
        cls: Any = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
        return cls.from_schedule_def(data["data"])
    raise ValueError(f"unknown stored schedule kind {kind!r}")
