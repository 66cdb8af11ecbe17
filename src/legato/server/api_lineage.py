"""/api/v1 routes for datasets, the catalog and lineage.

Dataset URIs hold slashes and colons (`s3://bucket/key`), so one dataset is addressed both as
`GET /datasets/{uri:path}` (the URI as the rest of the path, percent-encoded or not) and as
`GET /dataset?uri=...`; lineage is `GET /lineage?uri=...&depth=...&direction=...` and answers
`{root, nodes, edges}`. All reads: a viewer token. An unknown URI is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from ..services import lineage
from .deps import SettingsDep, Viewer
from .models import Dataset, DatasetDetail, Lineage, errors

router = APIRouter(tags=["datasets"])
NO_NUL = r"^[^\x00]+$"
Uri = Annotated[str, Query(min_length=1, max_length=lineage.MAX_URI, pattern=NO_NUL,
                           description="The dataset's URI, e.g. s3://bucket/key.")]
Text = Annotated[str | None, Query(max_length=250, pattern=r"^[^\x00]*$")]


@router.get("/datasets", response_model=list[Dataset], responses=errors(401, 422))
def list_datasets(settings: SettingsDep, _: Viewer, domain: Text = None,
                  stale: bool = False) -> list[dict[str, Any]]:
    """The catalog: owner, domain, freshness (fresh|stale|unknown), last update, producers
    and consumers of every dataset; `stale=true` keeps those past their freshness SLO."""
    views = lineage.list_datasets(settings, domain=domain or None, stale=stale)
    return [v.to_json() for v in views]


@router.get("/dataset", response_model=DatasetDetail, responses=errors(401, 404, 422))
def show_dataset_by_query(uri: Uri, settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """One dataset, the URI as a query parameter: its entry, schema and last updates."""
    return lineage.show_dataset(settings, uri).to_json()


@router.get("/datasets/{uri:path}", response_model=DatasetDetail, responses=errors(401, 404, 422))
def show_dataset(uri: Annotated[str, Path(min_length=1, max_length=lineage.MAX_URI, pattern=NO_NUL)],
                 settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """One dataset, the URI as the rest of the path (`/datasets/s3://bucket/key`)."""
    return lineage.show_dataset(settings, uri).to_json()


@router.get("/lineage", response_model=Lineage, responses=errors(401, 404, 422))
def get_lineage(uri: Uri, settings: SettingsDep, _: Viewer,
                depth: Annotated[int, Query(ge=1, le=lineage.MAX_DEPTH)] = 3,
                direction: Literal["upstream", "downstream", "both"] = "both") -> dict[str, Any]:
    """The lineage graph around a dataset: nodes (datasets and dag.task jobs) and edges
    (`reads`: dataset -> task, `writes`: task -> dataset)."""
    return lineage.lineage(settings, uri, direction=direction, depth=depth)
