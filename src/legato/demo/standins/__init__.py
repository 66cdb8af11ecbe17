"""Local stand-ins for the systems the article's pipelines talk to, each a small real HTTP
server on 127.0.0.1 (a free port, a daemon thread), so the gallery in `examples/` runs end to
end on a laptop with no cloud account:

- `ProcurementApi` (connection `procurement_api`): a purchase-order system, paginated,
  rate-limited (429 + Retry-After), sometimes 503; replenishment orders with Idempotency-Key.
- `DdosApi` (`ddos_api`): a DDoS-protection service: attack logs, reroute, logging level,
  signed alert webhooks.
- `Helpdesk` (`helpdesk`, and the `Jira` incident sink): Jira Cloud REST v3 (issues,
  comments, transitions, JQL search).
- `ChatWebhook` (`chat`, and the `Slack` incident sink): a Slack incoming webhook.
- `BiTool` (`bi_tool_api`): a BI tool's dataset refresh API.

The bucket is a local folder (`landing_bucket`), the warehouse the embedded DuckDB
(`legato.io.Warehouse()`), queues the embedded queue. `StandIns(root).start()` starts them all;
`environment()` is what the examples read (`LEGATO_CONN_*`, `LEGATO_VAR_*`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import bi, helpdesk, procurement, security
from .bi import BiTool
from .chat import ChatWebhook
from .helpdesk import Helpdesk
from .procurement import ProcurementApi
from .security import DdosApi
from .server import Reply, Request, StandIn

__all__ = ["BiTool", "ChatWebhook", "DdosApi", "Helpdesk", "ProcurementApi", "Reply", "Request",
           "StandIn", "StandIns"]

DDOS_WEBHOOK_SECRET = "demo-ddos-webhook-secret"


class StandIns:
    """Every stand-in, plus the folders that play the bucket and the export drop."""

    def __init__(self, root: Path, **procurement_options: Any) -> None:
        self.root = Path(root)
        self.procurement = ProcurementApi(**procurement_options)
        self.ddos = DdosApi()
        self.helpdesk = Helpdesk()
        self.chat = ChatWebhook()
        self.bi = BiTool()

    @property
    def all(self) -> tuple[StandIn, ...]:
        return (self.procurement, self.ddos, self.helpdesk, self.chat, self.bi)

    @property
    def bucket(self) -> Path:
        return self.root / "bucket"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def sales_db(self) -> Path:
        return self.root / "sales.db"

    def start(self) -> StandIns:
        for s in self.all:
            s.start()
        self.bucket.mkdir(parents=True, exist_ok=True)
        self.exports.mkdir(parents=True, exist_ok=True)
        return self

    def stop(self) -> None:
        for s in self.all:
            s.stop()

    def __enter__(self) -> StandIns:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        """The connections and variables the examples read, pointing at these stand-ins."""
        user = helpdesk.USER.replace("@", "%40")
        return {
            "LEGATO_CONN_PROCUREMENT_API": f"{self.procurement.url}?token={procurement.TOKEN}",
            "LEGATO_CONN_DDOS_API": f"{self.ddos.url}?token={security.TOKEN}",
            "LEGATO_CONN_HELPDESK": f"http://{user}:{helpdesk.TOKEN}@127.0.0.1:{self.helpdesk.port}",
            "LEGATO_CONN_CHAT": self.chat.hook_url,
            "LEGATO_CONN_BI_TOOL_API": f"{self.bi.url}?token={bi.TOKEN}",
            "LEGATO_CONN_SALES_DB": f"sqlite:///{self.sales_db}",
            "LEGATO_VAR_LANDING_BUCKET": str(self.bucket),
            "LEGATO_VAR_EXPORT_DIR": str(self.exports),
            "LEGATO_VAR_DDOS_WEBHOOK_SECRET": DDOS_WEBHOOK_SECRET,
        }

