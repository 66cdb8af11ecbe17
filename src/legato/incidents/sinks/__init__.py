"""The HTTP side of each sink: `deliver(config, delivery, client)` speaks the product's API.

Each module has one function, `send(cfg, d, client) -> ref | None`; the ref (the remote id a
product gave the incident: an issue key, a sys_id, a ticket id) is stored and handed back with
the incident's later events. httpx is imported by the dispatcher, never at `import legato`.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..config import SinkConfig
from .base import Delivery, DeliveryError

__all__ = ["Delivery", "DeliveryError", "deliver"]


def deliver(cfg: SinkConfig, d: Delivery, client: Any) -> dict[str, Any] | None:
    module = importlib.import_module(f"{__name__}.{cfg.type}")
    return module.send(cfg, d, client)
