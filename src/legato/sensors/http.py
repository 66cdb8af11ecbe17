"""`HttpSensor`: waits until a URL answers with the expected status code."""

from __future__ import annotations

from typing import Any

from ..authoring.context import Context
from .base import BaseSensor
from .triggers import HttpTrigger


class HttpSensor(BaseSensor):
    template_fields = ("url",)

    def __init__(self, task_id: str, url: str, *, method: str = "GET",
                 expected_status: int = 200, request_timeout: float = 30.0,
                 **sensor_kwargs: Any) -> None:
        self.url = url
        self.method = method.upper()
        self.expected_status = expected_status
        self.request_timeout = request_timeout
        super().__init__(task_id, **sensor_kwargs)

    def poke(self, ctx: Context) -> bool:
        import httpx

        try:
            response = httpx.request(self.method, self.url, timeout=self.request_timeout)
        except httpx.TransportError as exc:
            ctx.log.info(f"{self.method} {self.url}: {exc!r}")
            return False
        ctx.log.info(f"{self.method} {self.url}: {response.status_code}")
        return response.status_code == self.expected_status

    def trigger(self) -> HttpTrigger:
        return HttpTrigger(self.url, self.method, self.expected_status, self.poke_interval,
                           self.request_timeout)
