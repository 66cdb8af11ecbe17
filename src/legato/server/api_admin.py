"""Admin routes: the audit log, and API tokens (list, create, revoke). Admin token only.

Creating and revoking a token are audited. A revoked or expired token is refused from the
next request, bearer or UI session alike (security/tokens.py); rows are kept, never deleted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ..services import audit
from ..services import tokens as token_service
from ..store.schema import MAX_ROW_ID
from .deps import Admin, SettingsDep
from .models import AuditEntry, NewToken, Revoked, Token, errors

router = APIRouter(tags=["admin"])
TokenId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


class NewTokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "operator", "admin"]
    name: str | None = Field(default=None, max_length=250, pattern=r"^[^\x00]*$")
    expires_in: str | None = Field(default=None, pattern=token_service.LIFETIME_PATTERN,
                                   description="Lifetime: 90m, 12h, 30d or 2w; default: until "
                                               "revoked.")


@router.get("/audit", response_model=list[AuditEntry], responses=errors(401, 403, 422))
def list_audit(settings: SettingsDep, _: Admin,
               limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> list[dict[str, Any]]:
    """Who triggered, paused, replayed, ... what: newest first."""
    return [row.to_json() for row in audit.list_entries(settings, limit)]


@router.get("/tokens", response_model=list[Token], responses=errors(401, 403, 422))
def list_tokens(settings: SettingsDep, _: Admin,
                active: Annotated[bool, Query(description="Only tokens that still work.")] = False,
                ) -> list[dict[str, Any]]:
    """Every API token (never the token itself), oldest first."""
    return [t.to_json() for t in token_service.list_tokens(settings, include_inactive=not active)]


@router.post("/tokens", status_code=201, response_model=NewToken,
             responses=errors(400, 401, 403, 413, 422))
def create_token(body: NewTokenBody, settings: SettingsDep, token: Admin) -> dict[str, Any]:
    """A new token; the answer is the only place the token itself is ever shown."""
    plain, info = token_service.create_token(settings, body.role, body.name, body.expires_in)
    audit.record(settings, token, "token", f"token:{info.id}",
                 {"op": "create", "role": info.role, "name": info.name,
                  "expires_at": info.expires_at.isoformat() if info.expires_at else None})
    return {**info.to_json(), "token": plain}


@router.post("/tokens/{token_id}/revoke", response_model=Revoked, responses=errors(401, 403, 404, 422))
def revoke_token(token_id: TokenId, settings: SettingsDep, token: Admin) -> dict[str, Any]:
    """Revoke a token now (its requests and UI sessions are refused from the next request)."""
    info, changed = token_service.revoke_token(settings, token_id)
    if changed:
        audit.record(settings, token, "token", f"token:{info.id}", {"op": "revoke"})
    return {**info.to_json(), "changed": changed}
