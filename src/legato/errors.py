"""Legato's error tree: what went wrong, and whose fault it is.

Every layer may raise these (this module imports only the standard library), and the shells
translate them once: the HTTP server answers a `UserError` with its `status` and
`{"detail": message}`, the CLI prints the message on one line and exits 2. An `InternalError`
(or any exception that is not a `UserError`) is a bug or a broken machine: the server answers
500 with the error's type only, and logs the traceback.

    LegatoError
    ├── UserError               the caller can fix it (4xx)
    │   ├── InvalidInput        400  (also a ValueError, so `except ValueError` still catches it)
    │   ├── Unauthorized        401
    │   ├── Forbidden           403
    │   ├── NotFound            404  (also a LookupError)
    │   ├── Conflict            409  (clashes with the current state or work in progress)
    │   ├── PayloadTooLarge     413
    │   └── UnsupportedMediaType 415
    └── InternalError           500  (a broken invariant, e.g. an illegal state transition)

Messages are for people: say what was wrong and, where it helps, what to do instead. Never put
a server path, a secret or a stack trace in one.
"""

from __future__ import annotations


class LegatoError(Exception):
    """The base of every error Legato raises on purpose."""

    status: int = 500

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UserError(LegatoError):
    """The request or the command is wrong; its message says how (HTTP 4xx, CLI exit 2)."""

    status = 400


class InvalidInput(UserError, ValueError):
    """A value the caller sent is malformed or out of range (HTTP 400)."""

    status = 400


class Unauthorized(UserError):
    """No credentials, or credentials the store does not accept (HTTP 401)."""

    status = 401


class Forbidden(UserError):
    """Known credentials whose role is too low for the action (HTTP 403)."""

    status = 403


class NotFound(UserError, LookupError):
    """What was asked for does not exist (HTTP 404); the message says what."""

    status = 404


class Conflict(UserError):
    """The request clashes with the current state or with work in progress (HTTP 409)."""

    status = 409


class PayloadTooLarge(UserError):
    """A request body over the configured limit (HTTP 413)."""

    status = 413


class UnsupportedMediaType(UserError):
    """A body in a media type the operation does not take (HTTP 415)."""

    status = 415


class InternalError(LegatoError):
    """A broken invariant inside Legato, not the caller's fault (HTTP 500, logged)."""

    status = 500
