"""The admin pages (admin role): the audit log with filters, connections and variables (values
write-only, encrypted at rest by security/secrets.py) and API tokens (services/tokens.py:
created with the plain token shown once, revoked at once). Every change is audited with who
did it and never with a secret value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...errors import InvalidInput
from ...services import ui_admin
from .rendering import render
from .routes import UiContext, see_other
from .session import UiSession, check_csrf, read_form

Text = Annotated[str | None, Query(max_length=250)]


def _day(text: str | None, what: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} must be a date (YYYY-MM-DD), not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build(ctx: UiContext) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings

    @router.get("/admin")
    def admin_home(request: Request, session: UiSession = ctx.admin) -> HTMLResponse:
        return render(request, session, "admin.html")

    @router.get("/admin/audit")
    def audit(request: Request, session: UiSession = ctx.admin, actor: Text = None, action: Text = None,
              target: Text = None, since: Text = None, until: Text = None,
              offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> HTMLResponse:
        for value in (actor, action, target):
            if value and "\x00" in value:
                raise InvalidInput("filters may not contain NUL characters")
        f = ui_admin.AuditFilter(actor or None, action or None, target or None, _day(since, "since"),
                                 _day(until, "until"))
        rows = ui_admin.audit(settings, f, ui_admin.AUDIT_PAGE + 1, offset)
        return render(request, session, "audit.html", rows=rows[:ui_admin.AUDIT_PAGE],
                      more=len(rows) > ui_admin.AUDIT_PAGE, offset=offset, page=ui_admin.AUDIT_PAGE,
                      actions=ui_admin.audit_actions(settings), actor=actor or "", action=action or "",
                      target=target or "", since=since or "", until=until or "",
                      query=request.url.query)

    _secret_routes(router, ctx)
    _token_routes(router, ctx)
    return router


def _secrets_page(ctx: UiContext, request: Request, session: UiSession, status: int = 200,
                  **extra: Any) -> HTMLResponse:
    values = {"error": None, "flash": None, "form": {}, **extra}
    return render(request, session, "secrets.html", status=status,
                  connections=ui_admin.connections(ctx.settings), variables=ui_admin.variables(ctx.settings),
                  **values)


def _secret_routes(router: APIRouter, ctx: UiContext) -> None:
    settings = ctx.settings

    @router.get("/admin/connections")
    def secrets_page(request: Request, session: UiSession = ctx.admin) -> HTMLResponse:
        return _secrets_page(ctx, request, session)

    @router.get("/admin/variables")
    def variables_page(_: UiSession = ctx.admin) -> RedirectResponse:
        return see_other("/ui/admin/connections#variables")

    def change(request: Request, session: UiSession, form: dict[str, str], action: str, name: str,
               apply: Any) -> HTMLResponse | RedirectResponse:
        check_csrf(request, session, form)
        try:
            result = apply()
        except Exception as exc:  # noqa: BLE001 - a bad name, port, JSON or key: shown by the form
            message = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            safe_form = {k: v for k, v in form.items() if k not in ("password", "value", "csrf")}
            return _secrets_page(ctx, request, session, 422, error=message, form=safe_form)
        ctx.record(session.token, action, name, {"via": "ui", "changed": bool(result)})
        return see_other("/ui/admin/connections" + ("#variables" if "variable" in action else ""))

    @router.post("/admin/connections")
    def set_connection(request: Request, session: UiSession = ctx.admin,
                       form: dict[str, str] = Depends(read_form)) -> Any:
        return change(request, session, form, "connection.set", form.get("conn_id", ""),
                      lambda: ui_admin.set_connection(settings, form)[1] or True)

    @router.post("/admin/connections/{conn_id}/delete")
    def delete_connection(request: Request, conn_id: str, session: UiSession = ctx.admin,
                          form: dict[str, str] = Depends(read_form)) -> Any:
        return change(request, session, form, "connection.delete", conn_id,
                      lambda: ui_admin.delete_connection(settings, conn_id))

    @router.post("/admin/variables")
    def set_variable(request: Request, session: UiSession = ctx.admin,
                     form: dict[str, str] = Depends(read_form)) -> Any:
        return change(request, session, form, "variable.set", form.get("name", ""),
                      lambda: ui_admin.set_variable(settings, form.get("name", ""),
                                                    form.get("value", "")) or True)

    @router.post("/admin/variables/{name}/delete")
    def delete_variable(request: Request, name: str, session: UiSession = ctx.admin,
                        form: dict[str, str] = Depends(read_form)) -> Any:
        return change(request, session, form, "variable.delete", name,
                      lambda: ui_admin.delete_variable(settings, name))


def _tokens_page(ctx: UiContext, request: Request, session: UiSession, status: int = 200,
                 **extra: Any) -> HTMLResponse:
    from ...services import tokens

    values = {"created": None, "error": None, "form": {}, **extra}
    return render(request, session, "tokens.html", status=status, tokens=tokens.list_tokens(ctx.settings),
                  roles=("viewer", "operator", "admin"), me=session.token.id, **values)


def _token_routes(router: APIRouter, ctx: UiContext) -> None:
    """API tokens over services/tokens.py: the plain token is in the answer to the create
    request only (shown once, never stored, never redirected through a URL)."""

    @router.get("/admin/tokens")
    def tokens_page(request: Request, session: UiSession = ctx.admin) -> HTMLResponse:
        return _tokens_page(ctx, request, session)

    @router.post("/admin/tokens")
    def create(request: Request, session: UiSession = ctx.admin,
               form: dict[str, str] = Depends(read_form)) -> HTMLResponse:
        from ...services import tokens

        check_csrf(request, session, form)
        name, role = form.get("name", "").strip() or None, form.get("role", "")
        try:
            expires = form.get("expires_in", "").strip() or None
            plain, info = tokens.create_token(ctx.settings, role, name, expires)
        except ValueError as exc:
            shown = {k: form.get(k, "") for k in ("name", "role", "expires_in")}
            return _tokens_page(ctx, request, session, 422, error=str(exc), form=shown)
        ctx.record(session.token, "token.create", f"token #{info.id}", {"via": "ui", "role": info.role,
                                                                      "name": info.name})
        return _tokens_page(ctx, request, session, created=(plain, info))

    @router.post("/admin/tokens/{token_id}/revoke")
    def revoke(request: Request, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
               session: UiSession = ctx.admin, form: dict[str, str] = Depends(read_form)) -> RedirectResponse:
        from ...services import tokens

        check_csrf(request, session, form)
        _, changed = tokens.revoke_token(ctx.settings, token_id)
        ctx.record(session.token, "token.revoke", f"token #{token_id}", {"via": "ui", "changed": changed})
        return see_other("/ui/admin/tokens")
