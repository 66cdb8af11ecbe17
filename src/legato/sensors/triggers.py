"""Triggers: plain, picklable descriptions of what a deferred sensor waits for. The triggerer
awaits `wait()`, which polls every `poke_interval` seconds on the triggerer's one event loop
and returns True once the condition holds (the triggerer applies the timeout)."""

from __future__ import annotations

import asyncio
import glob
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FileTrigger:
    pattern: str
    poke_interval: float = 60.0

    def check(self) -> bool:
        return bool(glob.glob(self.pattern, recursive=True))

    async def wait(self) -> bool:
        while not self.check():
            await asyncio.sleep(self.poke_interval)
        return True


@dataclass(frozen=True)
class HttpTrigger:
    """Until `url` answers `expected_status`. A sensor with a connection, a query or headers
    passes them resolved by the worker (`params`, `headers`, `auth`): credentials stay in
    memory and out of the repr, never stored."""

    url: str
    method: str = "GET"
    expected_status: int = 200
    poke_interval: float = 60.0
    request_timeout: float = 30.0
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)

    async def wait(self) -> bool:
        import httpx

        from ..httpclient import async_client

        async with async_client(timeout=self.request_timeout) as client:
            while True:
                try:
                    response = await client.request(self.method, self.url, params=self.params or None,
                                                    headers=self.headers, auth=self.auth)
                    if response.status_code == self.expected_status:
                        return True
                except httpx.TransportError:
                    pass
                await asyncio.sleep(self.poke_interval)
