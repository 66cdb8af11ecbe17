"""GET /metrics: Prometheus text exposition (format 0.0.4), mounted without the /api/v1 prefix.

It needs a viewer token, like every route but health (SPEC 8): Prometheus sends it with
`authorization: {credentials_file: ...}` in the scrape config. The body is the process's
bus-fed metrics (present where a scheduler or `dag.run()` shares this process, as in `legato
up`) followed by gauges read from the store at scrape time (right in any process).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..observability import exposition, store_gauges
from ..observability.metrics import REGISTRY
from .deps import SettingsDep, Viewer
from .models import errors

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (text format 0.0.4)",
            responses={200: {"content": {exposition.CONTENT_TYPE: {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition."}, **errors(401)})
def metrics(settings: SettingsDep, _: Viewer) -> Response:
    families = REGISTRY.collect() + store_gauges.collect(settings.database_url)
    return Response(exposition.render(families), media_type=exposition.CONTENT_TYPE)
