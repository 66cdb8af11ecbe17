"""/api/v1 routes for incidents: GET /incidents (?state=open|resolved, ?dag_id=, ?limit=),
GET /incidents/figures (open count and mean time to resolution per DAG), GET
/incidents/{id} (with history and deliveries), for viewers; POST /incidents/{id}/resolve
for operators. They call services.incidents like the CLI and the UI.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ..services import audit
from ..services import incidents as svc
from ..store.schema import MAX_ROW_ID
from .deps import Operator, SettingsDep, Viewer
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


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000, description="Why it is resolved.")


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentDetail,
             responses=errors(401, 403, 404, 409, 422))
def resolve_incident(incident_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
                     settings: SettingsDep, token: Operator,
                     body: ResolveBody | None = None) -> dict[str, Any]:
    """Resolve an open incident by hand (operators; audited); its sinks are told."""
    note = body.note if body else None
    detail = svc.resolve_incident(settings, incident_id, audit.actor(token), note)
    audit.record(settings, token, "resolve_incident", f"incident:{incident_id}", {"note": note})
    return detail.to_json()


@router.get("/incidents/{incident_id}", response_model=IncidentDetail,
            responses=errors(401, 404, 422))
def show_incident(incident_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], settings: SettingsDep,
                  _: Viewer) -> dict[str, Any]:
    """One incident with its history and the delivery of each event to each sink."""
    return svc.show_incident(settings, incident_id).to_json()
