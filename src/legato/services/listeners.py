"""Every subscriber an engine bus gets, in one place, so `dag.run()`, `legato scheduler`,
`legato up` and `legato backfill` all see the same incidents, lineage and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..engine.bus import Bus


@dataclass
class Listeners:
    incidents: Any
    lineage: Any
    observability: Any


def attach_all(bus: Bus, settings: Settings) -> Listeners:
    """Also makes the encrypted store the process-wide fallback for variables and connections,
    so code that runs outside a try (incident sinks resolving "conn:ID" or "var:NAME") sees
    what `legato connections add` / `legato variables set` stored."""
    from ..authoring.variables import set_default_resolver
    from ..incidents.listener import attach as attach_incidents
    from ..security.secrets import StoreResolver

    set_default_resolver(StoreResolver(settings.database_url, settings.home))
    from ..lineage.listener import attach as attach_lineage
    from ..observability.listener import attach as attach_observability

    _wake_on_dataset_updates(bus, settings)
    return Listeners(incidents=attach_incidents(bus, settings),
                     lineage=attach_lineage(bus, settings),
                     observability=attach_observability(bus, settings))


def _wake_on_dataset_updates(bus: Bus, settings: Settings) -> None:
    """A success that updated datasets may start dataset-scheduled runs: wake the schedulers
    (once the update is committed: this is a post-commit subscriber)."""
    from ..engine.bus import TaskFinished
    from ..engine.wakeup import notify

    def on_task(ev: TaskFinished) -> None:
        if ev.state == "success" and ev.outlets:
            notify(settings.database_url, settings.home)

    bus.subscribe(TaskFinished, on_task)
