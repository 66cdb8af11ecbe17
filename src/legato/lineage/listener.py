"""Lineage's subscriber on the engine bus: dataset updates and OpenLineage events."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..engine.bus import Bus


def attach(bus: Bus, settings: Settings) -> Any:
    """Subscribe to `bus`. Called once per bus by services.listeners.attach_all."""
    return None
