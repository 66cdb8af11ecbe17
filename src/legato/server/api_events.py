"""/api/v1 routes for events: webhook triggers, the embedded queue and received events.

`create_app` mounts the router this builds.

POST /events/webhooks/{name} takes an operator token, or no token and a valid
`X-Legato-Signature` (HMAC-SHA256 of the raw body under the trigger's secret); anything else
is 401/403. It answers 202 with the event id (`X-Legato-Event-Id`, if sent, is the dedupe
key: a retried delivery makes no second run), 404 for a name no DAG listens on (token
callers only), 400 for a body that is not JSON, 413 over 1 MiB. Token deliveries and queue
publishes are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..security import AuthError, Forbidden, authenticate, permits
from ..services import events
from ..store.tokens import TokenRow

Name = Annotated[str, Path(min_length=1, max_length=200)]
_JSON_BODY = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"description": "Any JSON value: it becomes ctx.event."}}}}}


async def _body(request: Request) -> bytes:
    """The raw body, refused (413) as soon as it passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > events.MAX_BODY:
        raise events.BodyTooLarge(f"body is {declared} bytes; the limit is {events.MAX_BODY}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > events.MAX_BODY:
            raise events.BodyTooLarge(f"body is over the {events.MAX_BODY}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _operator(settings: Settings, authorization: str) -> TokenRow:
    token = authenticate(settings, authorization)
    if not permits(token.role, "operator"):
        raise Forbidden(f"role {token.role!r} may not do this (needs operator)")
    return token


def build_router(settings: Settings, require: Callable[[str], Any],
                 record: Callable[..., None]) -> APIRouter:
    router = APIRouter()
    viewer, operator = require("viewer"), require("operator")

    @router.post("/events/webhooks/{name}", status_code=202, openapi_extra=_JSON_BODY,
                 responses={401: {"description": "no token and no valid signature"},
                            404: {"description": "no DAG listens on this name"},
                            413: {"description": "body over 1 MiB"}})
    async def webhook(
        name: Name, request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_legato_signature: Annotated[str | None, Header(max_length=200)] = None,
        x_legato_event_id: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Any:
        token = await run_in_threadpool(_operator, settings, authorization) if authorization else None
        if token is None and not x_legato_signature:
            raise AuthError("send an operator token or an X-Legato-Signature")
        try:
            body = await _body(request)
        except events.BodyTooLarge as exc:
            return JSONResponse({"detail": str(exc)}, status_code=413)
        delivery = await run_in_threadpool(
            lambda: events.receive_webhook(settings, name, body, authenticated=token is not None,
                                           signature=x_legato_signature, event_id=x_legato_event_id))
        if token is not None:
            await run_in_threadpool(record, token, "webhook", f"webhook:{name}", delivery.to_json())
        return delivery.to_json()

    @router.post("/events/queue/{topic}", status_code=202, openapi_extra=_JSON_BODY)
    async def publish(topic: Name, request: Request, token: Any = operator) -> Any:
        try:
            payload = events.parse_body(await _body(request))
        except events.BodyTooLarge as exc:
            return JSONResponse({"detail": str(exc)}, status_code=413)
        sent = await run_in_threadpool(events.publish, settings, topic, payload)
        await run_in_threadpool(record, token, "publish", f"queue:{topic}",
                                {"message_id": sent["message_id"]})
        return sent

    @router.get("/events", dependencies=[viewer])
    def list_events(
        dag_id: Annotated[str | None, Query(max_length=250)] = None,
        source: Annotated[str | None, Query(max_length=20)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    ) -> list[dict[str, Any]]:
        if "\x00" in (dag_id or "") + (source or ""):
            raise ValueError("dag_id and source may not contain NUL characters")
        return [e.to_json() for e in events.list_events(settings, dag_id=dag_id, source=source,
                                                        limit=limit)]

    return router
