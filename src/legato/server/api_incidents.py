"""/api/v1 routes for incidents: GET /incidents (?state=open|resolved, ?dag_id=, ?limit=),
GET /incidents/figures (open count and mean time to resolution per DAG), GET
/incidents/{id} (with history and deliveries). Read-only, for viewers; they call
services.incidents like the CLI and the UI.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from ..services import incidents as svc
from ..store.schema import MAX_ROW_ID
from .deps import SettingsDep, Viewer
from .models import Figures, Incident, IncidentDetail, errors

router = APIRouter(tags=["incidents"])


@router.get("/incidents", response_model=list[Incident], responses=errors(401, 422))
def list_incidents(settings: SettingsDep, _: Viewer,
                   state: Literal["open", "resolved"] | None = None,
                   dag_id: Annotated[str | None, Query(max_length=250, pattern=r"^[^\x00]*$")] = None,
                   limit: Annotated[int, Query(ge=1, le=10000)] = 50) -> list[dict[str, Any]]:
    """Incidents, newest first."""
    return [svc.incident_json(i) for i in svc.list_incidents(settings, state, dag_id, limit)]


@router.get("/incidents/figures", response_model=Figures, responses=errors(401))
def figures(settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """Open incidents and mean time to resolution (seconds), overall and per DAG."""
    return svc.incident_figures(settings)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail,
            responses=errors(401, 404, 422))
def show_incident(incident_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], settings: SettingsDep,
                  _: Viewer) -> dict[str, Any]:
    """One incident with its history and the delivery of each event to each sink."""
    return svc.show_incident(settings, incident_id).to_json()
