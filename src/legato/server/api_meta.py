"""/api/v1/health (open, never rate limited), the OpenAPI document and its reference page.

The document (/api/v1/openapi.json) and the page (/api/v1/docs, rendered here from the
document: no CDN assets) need a bearer token or a UI session, like everything but health.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..security import authenticate
from ..store.tokens import TokenRow
from . import ui
from .deps import settings_of
from .models import Health
from .ui.routes import render

router = APIRouter()


@router.get("/health", response_model=Health, summary="Liveness: always 200")
def health() -> dict[str, str]:
    return {"status": "ok"}


def reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> TokenRow:
    """A bearer token or, failing that, a UI session (for the document and the page)."""
    settings = settings_of(request)
    if authorization:
        return authenticate(settings, authorization)
    session = ui.session_of(settings, request)
    if session is None:
        raise ui.LoginRequired(request.url.path)
    return session.token


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request, _: Annotated[TokenRow, Depends(reader)]) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(request: Request, _: Annotated[TokenRow, Depends(reader)]) -> HTMLResponse:
    session = ui.session_of(settings_of(request), request)
    return render(request, session, "api_docs.html", doc=request.app.openapi())
