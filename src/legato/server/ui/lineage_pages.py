"""UI pages for datasets and the lineage graph. `create_app` mounts the router this builds."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from ...config import Settings


def build_lineage_ui(settings: Settings, record: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)
    return router
