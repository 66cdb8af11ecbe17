"""What the API's routes depend on: the settings, and the caller's token checked against a role.

The routers are module-level (api_*.py) and find the settings on the app
(`app.state.settings`, set by `create_app`). Authentication happens before a route is reached:
the gate (gate.py) checks the bearer token of every /api/v1 request before anything reads its
body, and leaves the token on the request; `require(role)` only checks the role. The
`bearer` scheme is declared here so the OpenAPI document says how to authenticate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..config import Settings
from ..security import Forbidden, authenticate, permits
from ..store.tokens import TokenRow

TOKEN_STATE = "legato_token"          # where the gate leaves the caller's TokenRow
bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="An API token (`legato tokens create --role viewer|operator|admin`).")


def settings_of(request: Request) -> Settings:
    return request.app.state.settings     # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(settings_of)]


def caller(request: Request,
           _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> TokenRow:
    """The caller's token: as the gate checked it, or checked here for a route the gate does not
    guard (a test's extra route)."""
    token = getattr(request.state, TOKEN_STATE, None)
    if token is None:
        token = authenticate(settings_of(request), request.headers.get("authorization"))
    return token  # type: ignore[no-any-return]


def require(role: str) -> Any:
    """A dependency: the caller's token, if its role is at least `role` (else Forbidden)."""
    def check(token: Annotated[TokenRow, Depends(caller)]) -> TokenRow:
        if not permits(token.role, role):
            raise Forbidden(f"role {token.role!r} may not do this (needs {role})")
        return token
    return Depends(check)


def known_query_only(request: Request) -> None:
    """Refuse query parameters the operation does not declare (422): a typo such as
    `/runs?dag=x` would otherwise be ignored and answer with every DAG's runs."""
    route = request.scope.get("route")
    unknown = sorted(set(request.query_params) - _declared_query(route)) if route else []
    if unknown:
        raise RequestValidationError([{"type": "extra_forbidden", "loc": ("query", name),
                                       "msg": "unknown query parameter"} for name in unknown])


_declared: dict[int, frozenset[str]] = {}


def _declared_query(route: Any) -> frozenset[str]:
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(_query_names(route.dependant))
    return names


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


Viewer = Annotated[TokenRow, require("viewer")]
Operator = Annotated[TokenRow, require("operator")]
Admin = Annotated[TokenRow, require("admin")]

