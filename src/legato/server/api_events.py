"""/api/v1 routes for events: webhook triggers, the embedded queue and received events.

POST /events/webhooks/{name} takes an operator token, or no token and a signed delivery
(security/signing.py: `X-Legato-Signature` = HMAC-SHA256 of "<X-Legato-Timestamp>.
<X-Legato-Event-Id>.<raw body>" under the trigger's secret, the timestamp within 5 minutes);
anything else is 401/403, checked before the body is read when no signature is offered. It
answers 202 with the event id (`X-Legato-Event-Id` is the dedupe key: a retried or replayed
delivery makes no second run), 404 for a name no DAG listens on (token callers only), 415 for
a body that is not `application/json`, 400 for a body that is not JSON, 413 over 1 MiB. Token
deliveries and queue publishes are written to the audit log.
"""

from __future__ import annotations

import email.message
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..errors import UnsupportedMediaType
from ..security import AuthError, Forbidden, permits
from ..services import audit, events
from ..store.tokens import TokenRow
from .deps import Operator, SettingsDep, Viewer, bearer, caller
from .models import Delivery, Published, ReceivedEvent, errors

router = APIRouter(tags=["events"])
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$",
                           description="Letters, digits, '_', '.', '-'; 1-200 characters.")]
JSON_BODY = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"description": "Any JSON value: it becomes ctx.event."}}}}}
SIGNED = {"x-legato-signed": True}            # app.openapi() adds the signature scheme to it


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


async def json_body(request: Request) -> bytes:
    """The raw body of a JSON request: 415 unless it is application/json (an empty body may
    omit the header), 413 as soon as it passes events.MAX_BODY."""
    content_type = request.headers.get("content-type")
    if content_type and not is_json(content_type):
        raise UnsupportedMediaType(f"send the body as application/json, not {content_type[:100]!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > events.MAX_BODY:
        raise events.BodyTooLarge(f"body is {declared} bytes; the limit is {events.MAX_BODY}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > events.MAX_BODY:
            raise events.BodyTooLarge(f"body is over the {events.MAX_BODY}-byte limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    if body.strip() and not content_type:
        raise UnsupportedMediaType("send the body with Content-Type: application/json")
    return body


def _operator(request: Request) -> TokenRow:
    token = caller(request)
    if not permits(token.role, "operator"):
        raise Forbidden(f"role {token.role!r} may not do this (needs operator)")
    return token


def _receive(settings: Settings, name: str, body: bytes, token: TokenRow | None,
             headers: dict[str, str | None]) -> dict[str, Any]:
    delivery = events.receive_webhook(settings, name, body, authenticated=token is not None,
                                      signature=headers["signature"], event_id=headers["event_id"],
                                      timestamp=headers["timestamp"])
    if token is not None:
        audit.record(settings, token, "webhook", f"webhook:{name}", delivery.to_json())
    return delivery.to_json()


@router.post("/events/webhooks/{name}", status_code=202, response_model=Delivery,
             openapi_extra={**JSON_BODY, **SIGNED},
             responses=errors(400, 401, 403, 404, 413, 415, 422))
async def webhook(
    name: Name, request: Request, settings: SettingsDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    x_legato_signature: Annotated[str | None, Header(max_length=200)] = None,
    x_legato_event_id: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
    x_legato_timestamp: Annotated[str | None, Header(max_length=20)] = None,
) -> dict[str, Any]:
    """Deliver an event to every DAG listening on webhook `name` (one run each)."""
    sent_token = bool(request.headers.get("authorization"))
    token = await run_in_threadpool(_operator, request) if sent_token else None
    if token is None and not x_legato_signature:
        raise AuthError("send an operator token or an X-Legato-Signature")
    body = await json_body(request)
    headers = {"signature": x_legato_signature, "event_id": x_legato_event_id,
               "timestamp": x_legato_timestamp}
    return await run_in_threadpool(_receive, settings, name, body, token, headers)


@router.post("/events/queue/{topic}", status_code=202, response_model=Published,
             openapi_extra=JSON_BODY, responses=errors(400, 401, 403, 413, 415, 422))
async def publish(topic: Name, request: Request, settings: SettingsDep, token: Operator) -> Any:
    """Publish one message to the embedded queue: every DAG on `topic` gets one run."""
    payload = events.parse_body(await json_body(request))
    sent = await run_in_threadpool(events.publish, settings, topic, payload)
    await run_in_threadpool(audit.record, settings, token, "publish", f"queue:{topic}",
                            {"message_id": sent["message_id"]})
    return sent


@router.get("/events", response_model=list[ReceivedEvent], responses=errors(401, 422))
def list_events(
    settings: SettingsDep, _: Viewer,
    dag_id: Annotated[str | None, Query(max_length=250, pattern=r"^[^\x00]*$")] = None,
    source: Annotated[str | None, Query(max_length=20, pattern=r"^[^\x00]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
) -> list[dict[str, Any]]:
    """Events received (webhooks, queue messages, files, dataset updates), newest first, with
    the run each started."""
    return [e.to_json() for e in events.list_events(settings, dag_id=dag_id, source=source,
                                                    limit=limit)]
