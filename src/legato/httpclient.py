"""One HTTP client setup for everything Legato sends over HTTP (`legato.io.fetch_all`,
`HttpTask`, `HttpSensor` and its trigger, the incident sinks, the OpenLineage emitter): how a client is made
(timeout, `User-Agent`, redirects), which answers are worth sending again, how long a server
asks us to wait, and how a URL or an error is shown without its credentials.

- `client()`: an httpx.Client with a timeout (each caller keeps its own default) and the
  `User-Agent: legato/<version>` header (a request's own headers win); `async_client()` the
  same for async code (HttpSensor's trigger).
- `is_transient(status)`: 408, 425, 429 and every 5xx are worth sending again (the request
  was fine, the server could not take it now); `is_refusal(status)`: any other 4xx, which
  the same request will meet again. A caller may widen the transient set for its peer (the
  helpdesk sinks add 409, a conflicting concurrent edit).
- `retry_after(header, now)`: the wait a 429 or 503 asks for, in delta seconds or an HTTP date.
- `safe_url(url)` / `redact(text)`: no `user:password@` in a log line or an error message.

httpx is imported when a client is made, never at `import legato`; the rest is stdlib only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

TRANSIENT_STATUS = frozenset({408, 425, 429})
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@")


@functools.cache
def user_agent() -> str:
    """`legato/<version>`, from the installed distribution (the root package is not imported:
    this module sits below it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"legato/{version('legato')}"
    except PackageNotFoundError:                            # pragma: no cover - a source tree
        return "legato"


def client(*, timeout: float | None = 30.0, follow_redirects: bool = False,
           headers: Mapping[str, str] | None = None) -> httpx.Client:
    """A client with Legato's setup; close it (or use it as a context manager) when done."""
    import httpx

    return httpx.Client(timeout=timeout, follow_redirects=follow_redirects,
                        headers={"User-Agent": user_agent(), **(headers or {})})


def async_client(*, timeout: float | None = 30.0, follow_redirects: bool = False,
                 headers: Mapping[str, str] | None = None) -> httpx.AsyncClient:
    """`client()`'s setup for async code (a deferred HTTP sensor's trigger in the triggerer)."""
    import httpx

    return httpx.AsyncClient(timeout=timeout, follow_redirects=follow_redirects,
                             headers={"User-Agent": user_agent(), **(headers or {})})


def is_transient(status: int, also: frozenset[int] = frozenset()) -> bool:
    """An answer worth sending the same request again for (`also`: a caller's extra codes)."""
    return status >= 500 or status in TRANSIENT_STATUS or status in also


def is_refusal(status: int, also_transient: frozenset[int] = frozenset()) -> bool:
    """A 4xx the same request will meet again: retrying cannot help."""
    return 400 <= status < 500 and not is_transient(status, also_transient)


def retry_after(header: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None when
    it is missing or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(header).timestamp() - now)
    except (TypeError, ValueError):
        return None


def safe_url(url: str) -> str:
    """The URL without any user:password part, for logs and errors."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def redact(text: str) -> str:
    """`text` with the `user:password@` part of every URL in it removed."""
    return _USERINFO.sub(r"\g<scheme>", text)


def describe(exc: BaseException) -> str:
    """`Type: message` of a transport error, credentials removed, for a log line or a row."""
    return f"{type(exc).__name__}: {redact(str(exc))}"
