"""The admin pages' read and write use cases: the audit log with filters, and the encrypted
connections and variables (security/secrets.py) whose values the UI only ever writes.

The audit query is SQLAlchemy Core over store/schema.py's audit_log (index on `at`), newest
first, filtered by actor / target (substring, any case), action (exact) and a time range.
Secret values never leave the server: listings show names, types, the key id and when they
changed; setting one replaces it whole; deleting removes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..authoring.variables import Connection
from ..config import Settings
from ..errors import InvalidInput
from ..security.secrets import SecretInfo, SecretStore
from ..store.audit import AuditRow
from ..store.db import open_engine
from ..store.schema import audit_log

AUDIT_PAGE = 200


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def audit(settings: Settings, f: AuditFilter, limit: int = AUDIT_PAGE, offset: int = 0) -> list[AuditRow]:
    """Audit rows matching `f`, newest first (`limit` + 1 asked, to know if there is more)."""
    a = audit_log.c
    q = sa.select(audit_log).order_by(a.id.desc()).limit(limit).offset(offset)
    if f.actor:
        q = q.where(sa.func.lower(a.actor).like(_like(f.actor), escape="\\"))
    if f.target:
        q = q.where(sa.func.lower(a.target).like(_like(f.target), escape="\\"))
    if f.action:
        q = q.where(a.action == f.action)
    if f.since:
        q = q.where(a.at >= f.since)
    if f.until:
        q = q.where(a.at < f.until)
    with open_engine(settings.database_url).connect() as conn:
        return [AuditRow(r.id, r.at, r.actor, r.action, r.target, json.loads(r.detail_json or "{}"))
                for r in conn.execute(q)]


def audit_actions(settings: Settings) -> list[str]:
    with open_engine(settings.database_url).connect() as conn:
        return sorted(r[0] for r in conn.execute(sa.select(audit_log.c.action).distinct()))


def _store(settings: Settings) -> SecretStore:
    return SecretStore(settings.database_url, settings.home)


def connections(settings: Settings) -> list[SecretInfo]:
    return _store(settings).connections()


def variables(settings: Settings) -> list[SecretInfo]:
    return _store(settings).variables()


def set_connection(settings: Settings, form: dict[str, str]) -> tuple[str, bool]:
    """(conn_id, created) from the form's fields; a bad port or extra is a ValueError."""
    conn_id, conn_type = form.get("conn_id", "").strip(), form.get("conn_type", "").strip()
    if not conn_type:
        raise InvalidInput("a connection needs a type (postgres, http, ...)")
    port_text = form.get("port", "").strip()
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise InvalidInput(f"port must be a number from 1 to 65535, not {port_text!r}")
    try:
        extra: Any = json.loads(form.get("extra") or "{}")
    except ValueError as exc:
        raise InvalidInput(f"extra must be a JSON object ({exc.msg})") from None
    if not isinstance(extra, dict):
        raise InvalidInput("extra must be a JSON object")

    def opt(name: str) -> str | None:
        return form.get(name, "").strip() or None
    connection = Connection(conn_id=conn_id, conn_type=conn_type, host=opt("host"), login=opt("login"),
                            password=form.get("password") or None, port=int(port_text) if port_text else None,
                            schema=opt("schema"), extra=extra)
    return conn_id, _store(settings).add_connection(connection)


def set_variable(settings: Settings, name: str, value: str) -> bool:
    return _store(settings).set_variable(name.strip(), value)


def delete_connection(settings: Settings, conn_id: str) -> bool:
    return _store(settings).delete_connection(conn_id)


def delete_variable(settings: Settings, name: str) -> bool:
    return _store(settings).delete_variable(name)
