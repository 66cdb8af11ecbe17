"""The registry of incident sinks: which `Sink` (base.py) delivers a spec of a given `type`.

The seven built-in sinks are listed here by name (each module has one function, `send(cfg, d,
client) -> ref | None`, speaking its product's API; the ref, a remote id such as an issue key,
is stored and handed back with the incident's later events). Others come from `register(sink)`
or, loaded the first time an unknown type is asked for, from the entry point group
`legato.incident_sinks`, whose entry points name a Sink object (`pkg.module:SINK`); their name
must be the config's `type`. A built-in type cannot be replaced.
httpx is imported by the dispatcher, never at `import legato`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import SinkConfig
from .base import Delivery, DeliveryError, Sink

__all__ = ["ENTRY_POINT_GROUP", "Delivery", "DeliveryError", "Sink", "deliver", "get", "known",
           "register"]

ENTRY_POINT_GROUP = "legato.incident_sinks"
log = logging.getLogger("legato.incidents")
_registered: dict[str, Sink] = {}
_lock = threading.Lock()
_entry_points_loaded = False


@dataclass(frozen=True)
class BuiltinSink:
    """A built-in sink: its config class and its module's `send`."""

    config: type[SinkConfig]
    send_fn: Callable[[Any, Delivery, Any], dict[str, Any] | None]

    def send(self, cfg: Any, d: Delivery, client: Any) -> dict[str, Any] | None:
        return self.send_fn(cfg, d, client)


@functools.cache
def _builtins() -> dict[str, Sink]:
    from .. import config as c
    from . import jira, opsgenie, pagerduty, servicenow, slack, webhook, zendesk

    pairs = ((c.Webhook, webhook.send), (c.Jira, jira.send), (c.ServiceNow, servicenow.send),
             (c.Zendesk, zendesk.send), (c.PagerDuty, pagerduty.send),
             (c.Opsgenie, opsgenie.send), (c.Slack, slack.send))
    return {cfg.type: BuiltinSink(cfg, send) for cfg, send in pairs}


def register(sink: Sink) -> None:
    """Make `sink` deliver the specs of type `sink.config.type`."""
    kind = sink.config.type
    if not kind:
        raise ValueError(f"incident sink {sink!r}: its config class has no `type`")
    from ..config import SINK_TYPES

    if kind in SINK_TYPES:
        raise ValueError(f"incident sink type {kind!r} is built in and cannot be replaced")
    with _lock:
        _registered[kind] = sink


def _load_entry_points() -> None:
    """Register the sinks of the entry point group, once per process; one that fails to load
    is logged and left out (the spec that names it then fails as an unknown type)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    from importlib.metadata import entry_points

    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            sink = ep.load()
            if sink.config.type != ep.name:
                raise ValueError(f"its config's type is {sink.config.type!r}, not {ep.name!r}")
            register(sink)
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop the others
            log.error("incident sink entry point %s (%s) not loaded: %s", ep.name, ep.value, exc)


def get(kind: str) -> Sink | None:
    """The sink of `kind`, built in, registered or from an entry point; None if unknown."""
    builtin = _builtins().get(kind)
    if builtin is not None:
        return builtin
    if kind not in _registered:
        _load_entry_points()
    return _registered.get(kind)


def known() -> list[str]:
    """Every sink type that can be used, sorted."""
    _load_entry_points()
    return sorted({*_builtins(), *_registered})


def deliver(cfg: SinkConfig, d: Delivery, client: Any) -> dict[str, Any] | None:
    sink = get(cfg.type)
    if sink is None:
        raise DeliveryError(f"no incident sink delivers type {cfg.type!r}", permanent=True)
    return sink.send(cfg, d, client)
