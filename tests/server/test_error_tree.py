"""The LegatoError tree (legato/errors.py) and how the API answers it (issue 11): a user error
is its 4xx with a message; an internal one, such as an illegal state transition, is a 500 and
a log line, never a 400 that blames the client. There is no ValueError -> 400 catch-all."""

from __future__ import annotations

import logging

import pytest

from legato import errors
from legato.engine.states import IllegalTransition
from legato.security import AuthError, Forbidden
from legato.server.app import PREFIX
from legato.services import queries
from server_harness import Live


def test_the_tree() -> None:
    assert queries.NotFound is errors.NotFound and issubclass(errors.NotFound, LookupError)
    assert issubclass(errors.InvalidInput, ValueError)
    assert issubclass(AuthError, errors.Unauthorized) and issubclass(Forbidden, errors.Forbidden)
    for cls, status in ((errors.InvalidInput, 400), (errors.Unauthorized, 401),
                        (errors.Forbidden, 403), (errors.NotFound, 404), (errors.Conflict, 409),
                        (errors.PayloadTooLarge, 413), (errors.UnsupportedMediaType, 415)):
        assert issubclass(cls, errors.UserError) and cls.status == status
    assert not issubclass(errors.InternalError, errors.UserError)
    assert errors.Conflict("busy").message == "busy"


def _raiser(exc: BaseException):
    def route() -> None:
        raise exc
    return route


@pytest.mark.parametrize(("exc", "status", "detail"), [
    (IllegalTransition("task state cannot go from success to queued"), 500,
     "internal error: IllegalTransition"),
    (ValueError("an internal slip"), 500, "internal error: ValueError"),
    (errors.InternalError("invariant broken"), 500, "internal error: InternalError"),
    (KeyError("x"), 500, "internal error: KeyError"),
    (errors.InvalidInput("limit must be positive"), 400, "limit must be positive"),
    (errors.NotFound("no run 'r'"), 404, "no run 'r'"),
    (errors.Conflict("a trigger is in progress"), 409, "a trigger is in progress"),
])
def test_errors_become_the_right_answer(live: Live, caplog: pytest.LogCaptureFixture,
                                        exc: BaseException, status: int, detail: str) -> None:
    live.app.add_api_route(f"{PREFIX}/test-raise", _raiser(exc))      # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="legato.server"), live.client("viewer") as c:
        r = c.get("/test-raise")
    assert (r.status_code, r.json()) == (status, {"detail": detail})
    logged = [rec for rec in caplog.records if rec.name == "legato.server"]
    assert bool(logged) == (status == 500)
    if logged:
        assert type(exc).__name__ in logged[0].getMessage() and logged[0].exc_info
