"""A BI tool's dataset API (Tableau- or Looker-like): `POST /api/v1/datasets/{name}/refresh`
queues a refresh of a dashboard's dataset (202 `{"refresh_id", "dataset", "status"}`), or
answers 423 while the dataset is locked (`locked`: the finance dataset is, by a month-end
extract, so the gallery has a pipeline that fails for a reason outside it);
`GET /api/v1/datasets/{name}/refreshes` lists them. Bearer token auth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .server import Reply, Request, StandIn, bearer_token, error

TOKEN = "demo-bi-token"


class BiTool(StandIn):
    name = "bi"

    def __init__(self, *, token: str = TOKEN, locked: tuple[str, ...] = ("finance-revenue",)) -> None:
        self.token = token
        self.locked = set(locked)
        self.refreshes: list[dict[str, Any]] = []
        self.refused: list[str] = []
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        dataset = r"/api/v1/datasets/(?P<name>[A-Za-z0-9_.-]+)"
        return [("POST", dataset + "/refresh", self.refresh),
                ("GET", dataset + "/refreshes", self.list_refreshes)]

    def refresh(self, req: Request, name: str) -> Reply:
        if bearer_token(req) != self.token:
            return error(401, "missing or wrong API token")
        if name in self.locked:
            with self.lock:
                self.refused.append(name)
            return error(423, f"dataset {name!r} is locked by a running month-end extract")
        with self.lock:
            item = {"refresh_id": f"RF-{len(self.refreshes) + 1}", "dataset": name,
                    "status": "queued", "requested_at": datetime.now(UTC).isoformat(),
                    "body": req.json()}
            self.refreshes.append(item)
        return Reply(202, item)

    def list_refreshes(self, req: Request, name: str) -> Reply:
        if bearer_token(req) != self.token:
            return error(401, "missing or wrong API token")
        with self.lock:
            return Reply(200, {"refreshes": [r for r in self.refreshes if r["dataset"] == name]})
