"""A chat tool's incoming webhook (Slack's shape): `POST /services/<T>/<B>/<secret>` with
`{"text": ..., "blocks": [...]}` answers `200 ok` as Slack does, `400 invalid_payload` for a
body that is not JSON and `400 no_text` when there is neither text nor blocks; a wrong path is
`404 no_service`. Legato's `Slack` incident sink and a task posting through
`legato.io.http.request` both speak to it. `GET /` lists the messages received.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .server import Reply, Request, StandIn

HOOK_PATH = "/services/T0DEMO/B0DEMO/demo-webhook-secret"


class ChatWebhook(StandIn):
    name = "chat"

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        super().__init__()

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("POST", r"/services/(?P<path>[A-Za-z0-9/_-]+)", self.post),
                ("GET", r"/", self.page)]

    @property
    def hook_url(self) -> str:
        return self.url + HOOK_PATH

    def post(self, req: Request, path: str) -> Reply:
        if "/services/" + path != HOOK_PATH:
            return Reply(404, "no_service")
        try:
            body = json.loads(req.body)
        except json.JSONDecodeError:
            return Reply(400, "invalid_payload")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return Reply(400, "no_text")
        with self.lock:
            self.messages.append(body)
        return Reply(200, "ok")

    def texts(self) -> list[str]:
        """Each message's text, with its blocks' text after it."""
        with self.lock:
            return [_text(m) for m in self.messages]

    def page(self, req: Request) -> Reply:
        items = "".join(f"<li><pre>{html.escape(t)}</pre></li>" for t in self.texts())
        return Reply(200, f"<!doctype html><title>Chat stand-in</title><ul>{items}</ul>")


def _text(message: dict[str, Any]) -> str:
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        text = (block.get("text") or {}).get("text") if isinstance(block, dict) else None
        if text:
            parts.append(str(text))
    return "\n".join(p for p in parts if p)
