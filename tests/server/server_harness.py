"""The live-server handle the server tests share (imported by conftest.py and the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from legato.server.app import PREFIX


@dataclass
class Live:
    base: str
    app: object
    tokens: dict[str, str]
    dags: Path

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base + PREFIX, headers=headers, timeout=30)
