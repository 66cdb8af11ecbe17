"""/api/v1 routes for incidents; `create_app` mounts the router this builds.

GET /incidents (?state=open|resolved, ?dag_id=, ?limit=), GET /incidents/figures (open count
and mean time to resolution per DAG), GET /incidents/{id} (with history and deliveries).
All read-only, for viewers; they call services.incidents like the CLI and the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query

from ..config import Settings
from ..services import incidents as svc


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    """`require(role)` is the auth dependency; `record(token, action, target, detail)` audits."""
    router = APIRouter()
    viewer = require("viewer")

    @router.get("/incidents", dependencies=[viewer])
    def list_incidents(state: str | None = Query(default=None, pattern="^(open|resolved)$"),
                       dag_id: str | None = None,
                       limit: int = Query(default=50, ge=1, le=10000)) -> list[dict[str, Any]]:
        return [svc.incident_json(i) for i in svc.list_incidents(settings, state, dag_id, limit)]

    @router.get("/incidents/figures", dependencies=[viewer])
    def figures() -> dict[str, Any]:
        return svc.incident_figures(settings)

    @router.get("/incidents/{incident_id}", dependencies=[viewer])
    def show_incident(incident_id: int) -> dict[str, Any]:
        return svc.show_incident(settings, incident_id).to_json()

    return router
