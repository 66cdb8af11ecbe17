"""A cloud purchase-order system (Coupa- or Ariba-like) in miniature.

- `GET /v1/orders?date=&status=&created_after=&created_before=&page=&page_size=`: the day's
  purchase orders, paginated (`{"orders", "page", "total", "has_next_page", "next_page"}`).
  It is rate-limited and a little unreliable, deterministically: every `throttle_every`-th
  call is answered `429` with `Retry-After`, and a seeded fraction of the others `503`.
- `POST /v1/purchase-orders` `{"item_sku", "quantity", "reason"}` creates a replenishment
  order; an `Idempotency-Key` header makes a retried POST return the first order (201 the
  first time, 200 after). `GET /v1/purchase-orders` lists them.
- `GET /v1/suppliers`: the supplier catalogue; `503` while `outage` is set (the demo flips it
  to show a ticket opened, commented and resolved).

Every call needs `Authorization: Bearer <token>` (or `X-API-Key: <token>`).
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import Any

from . import data
from .server import Reply, Request, StandIn, bearer_token, error

TOKEN = "demo-procurement-token"
MAX_PAGE_SIZE = 200


class ProcurementApi(StandIn):
    name = "procurement"

    def __init__(self, *, token: str = TOKEN, seed: int = data.SEED, throttle_every: int = 9,
                 fail_rate: float = 0.08, retry_after_s: int = 1) -> None:
        self.token, self.seed = token, seed
        self.throttle_every, self.fail_rate, self.retry_after_s = throttle_every, fail_rate, retry_after_s
        self.outage = False
        self.calls = 0
        self.throttled = 0
        self.failed = 0
        self.created: dict[str, dict[str, Any]] = {}     # Idempotency-Key -> order
        self._count = threading.Lock()
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("GET", "/v1/orders", self.orders),
                ("POST", "/v1/purchase-orders", self.create_order),
                ("GET", "/v1/purchase-orders", self.list_orders),
                ("GET", "/v1/suppliers", self.suppliers)]

    def _auth(self, req: Request) -> Reply | None:
        if bearer_token(req) != self.token:
            return error(401, "missing or wrong API token", **{"WWW-Authenticate": "Bearer"})
        return None

    def _unreliable(self) -> Reply | None:
        """429 on every throttle_every-th call, 503 on a seeded fraction of the others."""
        with self._count:
            self.calls += 1
            n = self.calls
        if self.throttle_every and n % self.throttle_every == 0:
            self.throttled += 1
            return error(429, "rate limit exceeded", **{"Retry-After": str(self.retry_after_s)})
        if random.Random(f"{self.seed}:call:{n}").random() < self.fail_rate:
            self.failed += 1
            return error(503, "upstream ERP timeout, try again")
        return None

    # -- orders -----------------------------------------------------------------------------
    def orders(self, req: Request) -> Reply:
        refused = self._auth(req) or self._unreliable()
        if refused is not None:
            return refused
        found = _select(req.query)
        page, size = _positive(req.query, "page", 1), _positive(req.query, "page_size", 100)
        size = min(size, MAX_PAGE_SIZE)
        chunk = found[(page - 1) * size: page * size]
        more = page * size < len(found)
        return Reply(200, {"orders": chunk, "page": page, "page_size": size, "total": len(found),
                           "has_next_page": more, "next_page": page + 1 if more else None})

    def create_order(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        body = req.json()
        if not isinstance(body, dict) or not body.get("item_sku") or not isinstance(
                body.get("quantity"), int) or body["quantity"] < 1:
            return error(422, "item_sku (a string) and quantity (an integer >= 1) are required")
        key = req.headers.get("idempotency-key")
        with self.lock:
            if key and key in self.created:
                return Reply(200, self.created[key])
            order = {"id": f"RPO-{len(self.created) + 1:04d}", "item_sku": body["item_sku"],
                     "quantity": body["quantity"], "reason": body.get("reason", ""),
                     "status": "submitted", "created_at": datetime.now(UTC).isoformat()}
            self.created[key or order["id"]] = order
        return Reply(201, order)

    def list_orders(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        with self.lock:
            return Reply(200, {"purchase_orders": list(self.created.values())})

    def suppliers(self, req: Request) -> Reply:
        refused = self._auth(req)
        if refused is not None:
            return refused
        if self.outage:
            return error(503, "supplier catalogue unavailable (maintenance)")
        return Reply(200, {"suppliers": [{"vendor_id": v, "name": v.removeprefix("V-").title()}
                                         for v in data.VENDORS]})

    def replenishments(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.created.values())


def _positive(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def _select(query: dict[str, str]) -> list[dict[str, Any]]:
    """The orders the query asks for: a `date`, or a `created_after` [`created_before`] window
    (ISO date-times, at most over two days), optionally of one `status`."""
    if "date" in query:
        found = data.purchase_orders(query["date"])
    elif "created_after" in query:
        after = data.instant(query["created_after"])
        before = data.instant(query["created_before"]) if "created_before" in query else None
        days = {after.date(), (before or after).date()}
        found = [o for d in sorted(days) for o in data.purchase_orders(d)
                 if data.instant(o["created_date"]) >= after
                 and (before is None or data.instant(o["created_date"]) < before)]
    else:
        raise ValueError("give date=YYYY-MM-DD or created_after=<ISO date-time>")
    status = query.get("status")
    return [o for o in found if status is None or o["status"] == status]
