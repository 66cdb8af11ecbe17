"""A cloud DDoS-protection service (Cloudflare-, Shield- or Cloud-Armor-like) in miniature.

- `GET /v1/logs?start_time=&end_time=&limit=`: the attacks that overlap the window
  (`{"events": [{id, start_time, end_time, attack_type, peak_rps, target, source_ips}]}`).
- `POST /v1/traffic/reroute` `{"region", "reason"}`: send traffic to a backup region (202).
- `POST /v1/logging` `{"level", "sample_rate"}`: scale up attack logging (200).
- `send_alert(url, secret, attack)`: what the service does when an attack starts: POST the
  attack to a webhook, signed the way Legato's webhook triggers check (X-Legato-Timestamp,
  X-Legato-Event-Id, X-Legato-Signature).

Every call needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from . import data
from .server import Reply, Request, StandIn, bearer_token, error

TOKEN = "demo-ddos-token"


class DdosApi(StandIn):
    name = "ddos"

    def __init__(self, *, token: str = TOKEN) -> None:
        self.token = token
        self.reroutes: list[dict[str, Any]] = []
        self.logging: list[dict[str, Any]] = []
        self.alerts_sent: list[dict[str, Any]] = []
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("GET", "/v1/logs", self.logs), ("POST", "/v1/traffic/reroute", self.reroute),
                ("POST", "/v1/logging", self.set_logging)]

    def _auth(self, req: Request) -> Reply | None:
        if bearer_token(req) != self.token:
            return error(401, "missing or wrong API token", **{"WWW-Authenticate": "Bearer"})
        return None

    def logs(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        if "start_time" not in req.query:
            raise ValueError("start_time (an ISO date-time) is required")
        start = data.instant(req.query["start_time"])
        end = data.instant(req.query["end_time"]) if "end_time" in req.query else None
        limit = int(req.query.get("limit") or 10_000)
        days = {start.date(), (end or start).date()}
        events = [e for d in sorted(days) for e in data.ddos_events(d)
                  if data.instant(e["end_time"]) > start
                  and (end is None or data.instant(e["start_time"]) < end)]
        return Reply(200, {"events": events[:limit]})

    def reroute(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        body = req.json() or {}
        if not body.get("region"):
            return error(422, "region is required")
        with self.lock:
            self.reroutes.append({**body, "at": datetime.now(UTC).isoformat()})
        return Reply(202, {"status": "rerouting", "region": body["region"]})

    def set_logging(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        body = req.json() or {}
        if body.get("level") not in ("normal", "verbose"):
            return error(422, "level must be 'normal' or 'verbose'")
        with self.lock:
            self.logging.append(body)
        return Reply(200, {"level": body["level"]})

    def send_alert(self, url: str, secret: str, attack: dict[str, Any]) -> int:
        """POST `attack` to `url` as a signed webhook delivery; the HTTP status."""
        import httpx

        from ...security.signing import signed_headers

        body = json.dumps({"alert": "ddos_attack_started", "attack": attack}).encode()
        headers = {"Content-Type": "application/json",
                   **signed_headers(secret, f"ddos-{attack['id']}", body)}
        response = httpx.post(url, content=body, headers=headers, timeout=10)
        with self.lock:
            self.alerts_sent.append({"attack": attack["id"], "status": response.status_code})
        return response.status_code
