"""/api/v1 routes for datasets, the catalog and lineage. `create_app` mounts the router this builds.

Dataset URIs hold slashes and colons (`s3://bucket/key`), so one dataset is addressed both as
`GET /datasets/{uri:path}` (the URI as the rest of the path, percent-encoded or not) and as
`GET /dataset?uri=...`; lineage is `GET /lineage?uri=...&depth=...&direction=...` and answers
`{root, nodes, edges}`. All reads: a viewer token. Bad input is a 400/422 with a message, an
unknown URI a 404 (ValueError and NotFound are mapped by the app's handlers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ..config import Settings
from ..services import lineage

Uri = Annotated[str, Query(min_length=1, max_length=lineage.MAX_URI,
                           description="The dataset's URI, e.g. s3://bucket/key.")]
Text = Annotated[str | None, Query(max_length=250)]


def _text(value: str | None, what: str) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(f"{what} may not contain NUL characters")
    return value or None


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    """`require(role)` is the auth dependency; nothing here changes state, so nothing is audited."""
    router = APIRouter()
    viewer = require("viewer")

    @router.get("/datasets", dependencies=[viewer])
    def list_datasets(domain: Text = None, stale: bool = False) -> list[dict[str, Any]]:
        """The catalog: owner, domain, freshness (fresh|stale|unknown), last update, producers
        and consumers of every dataset; `stale=true` keeps those past their freshness SLO."""
        views = lineage.list_datasets(settings, domain=_text(domain, "domain"), stale=stale)
        return [v.to_json() for v in views]

    @router.get("/dataset", dependencies=[viewer])
    def show_dataset_by_query(uri: Uri) -> dict[str, Any]:
        """One dataset, the URI as a query parameter: its entry, schema and last updates."""
        return lineage.show_dataset(settings, uri).to_json()

    @router.get("/datasets/{uri:path}", dependencies=[viewer])
    def show_dataset(uri: Annotated[str, Path(min_length=1, max_length=lineage.MAX_URI)]
                     ) -> dict[str, Any]:
        """One dataset, the URI as the rest of the path (`/datasets/s3://bucket/key`)."""
        return lineage.show_dataset(settings, uri).to_json()

    @router.get("/lineage", dependencies=[viewer])
    def get_lineage(uri: Uri,
                    depth: Annotated[int, Query(ge=1, le=lineage.MAX_DEPTH)] = 3,
                    direction: Annotated[str, Query(pattern="^(upstream|downstream|both)$")] = "both",
                    ) -> dict[str, Any]:
        """The lineage graph around a dataset: nodes (datasets and dag.task jobs) and edges
        (`reads`: dataset -> task, `writes`: task -> dataset)."""
        return lineage.lineage(settings, uri, direction=direction, depth=depth)

    return router
