"""GET /metrics: Prometheus text exposition (format 0.0.4). `create_app` mounts the router this
builds, without the /api/v1 prefix.

It needs a viewer token, like every route but health (SPEC 8): Prometheus sends it with
`authorization: {credentials_file: ...}` in the scrape config. The body is the process's
bus-fed metrics (present where a scheduler or `dag.run()` shares this process, as in `legato
up`) followed by gauges read from the store at scrape time (right in any process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from ..config import Settings
from ..observability import exposition, store_gauges
from ..observability.metrics import REGISTRY


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", dependencies=[require("viewer")], response_class=Response,
                summary="Prometheus metrics (text format 0.0.4)")
    def metrics() -> Response:
        families = REGISTRY.collect() + store_gauges.collect(settings.database_url)
        return Response(exposition.render(families), media_type=exposition.CONTENT_TYPE)

    return router
