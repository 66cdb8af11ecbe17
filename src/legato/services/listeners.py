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
    from ..incidents.listener import attach as attach_incidents
    from ..lineage.listener import attach as attach_lineage
    from ..observability.listener import attach as attach_observability

    return Listeners(incidents=attach_incidents(bus, settings),
                     lineage=attach_lineage(bus, settings),
                     observability=attach_observability(bus, settings))
