"""The audit log as use cases: who (an API token, by name and role) did what to what, written
by the API and the UI for every state-changing action, read by admins (GET /api/v1/audit).

`record` is what the server hands the UI as its `Recorder` (bound to the settings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..store import audit as store
from ..store.db import open_engine
from ..store.tokens import TokenRow


def actor(token: TokenRow) -> str:
    """How the log names a caller: "<token name or #id> (<role>)"."""
    return f"{token.name or f'token #{token.id}'} ({token.role})"


def record(settings: Settings, token: TokenRow, action: str, target: str,
           detail: dict[str, Any] | None = None) -> None:
    """One row: `action` (trigger, pause, replay, ...) by `token` on `target` (a DAG id, a run,
    `dead_letter:7`, ...), with `detail` as JSON. Committed before the caller answers."""
    with open_engine(settings.database_url).begin() as conn:
        store.insert_audit(conn, datetime.now(UTC), actor(token), action, target[:250], detail)


def list_entries(settings: Settings, limit: int = 100) -> list[store.AuditRow]:
    """The newest `limit` rows, newest first."""
    with open_engine(settings.database_url).connect() as conn:
        return store.list_audit(conn, limit)
