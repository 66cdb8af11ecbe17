"""`fetch_all`: every record of a paginated JSON API, and `request`: one call of any method,
both with auth from a connection, timeouts and bounded retries.

- Auth (`conn="api"`): the connection's `extra.token` -> `Authorization: Bearer <token>`;
  else login + password -> HTTP basic; else a password alone -> Bearer <password>. A relative
  `url` is joined to the connection's base (`https://host:port/<schema>`), as in HttpTask.
  Credentials are never sent over plain `http://` except to a loopback host (refused with an
  error otherwise, unless `allow_insecure=True`), nor to another origin than the first URL's
  (a `Link: next` pointing elsewhere is refused).
- Retries: 408, 425, 429, 5xx (legato.httpclient's policy) and connection errors/timeouts are
  retried up to `retries` times, waiting `Retry-After` (seconds or an HTTP date) when the
  server sends it, else legato.retrying's backoff (`backoff_s`, doubling, up to half taken off
  as jitter); every wait is capped at `max_wait`. Another 4xx fails at once. The error names
  the URL (without credentials), the status and a body snippet.
- Pagination (`paginate=`): `None` one request; `"link"` follows RFC 5988 `Link: <...>;
  rel="next"`; `"cursor"` reads the next cursor at `cursor_path` (dotted, `meta.next`) and
  sends it as the query parameter `cursor_param`, ending on an empty/missing cursor; `"page"`
  sends `page_param` = 1, 2, ... until a page has no records. `max_pages` bounds all three.
- Records: `records="data.items"` (dotted path) is where the list sits in each body; without
  it the body itself must be a list (a dict body is one record).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..httpclient import client as http_client
from ..httpclient import describe, is_transient, retry_after, safe_url
from ..retrying import Backoff
from .httpauth import Target, resolve_target

PAGINATIONS = (None, "link", "cursor", "page")
_SNIPPET = 300


class FetchError(RuntimeError):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def dig(body: Any, path: str | None) -> Any:
    """The value at a dotted path (`meta.next_cursor`), None when any step is missing."""
    value = body
    for step in (path.split(".") if path else []):
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


class _Fetcher:
    def __init__(self, client: Any, target: Target, retries: int, backoff_s: float,
                 max_wait: float, sleep: Callable[[float], None]) -> None:
        self.client, self.target = client, target
        self.retries, self.max_wait = retries, max_wait
        self.backoff = Backoff(backoff_s, max_wait, jitter=0.5)
        self.sleep, self.rng = sleep, random.Random()

    def get(self, url: str, params: Mapping[str, Any] | None) -> Any:
        return self.send("GET", url, params=params)

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        """The 2xx response of `method url`, retried on 429/5xx/transport errors (a caller
        passes retries=0 for a request that is not safe to repeat)."""
        import httpx

        shown = safe_url(url)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.client.request(method, url, headers=self.target.headers,
                                               auth=self.target.auth, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise FetchError(f"{method} {shown} failed after {attempt + 1} attempt(s): "
                                     f"{describe(exc)}") from exc
                self.sleep(self.backoff.delay(attempt + 1, self.rng))
                continue
            if response.is_success:
                return response
            if not is_transient(response.status_code) or last:
                raise FetchError(
                    f"{method} {shown} returned HTTP {response.status_code} after {attempt + 1} "
                    f"attempt(s): {response.text[:_SNIPPET]}", response.status_code)
            wait = retry_after(response.headers.get("retry-after"), time.time())
            if wait is None:
                wait = self.backoff.delay(attempt + 1, self.rng)
            self.sleep(min(wait, self.max_wait))
        raise AssertionError("unreachable")


def _records(body: Any, path: str | None, url: str) -> list[Any]:
    found = dig(body, path)
    if isinstance(found, list):
        return found
    if found is None:
        return []
    if isinstance(found, Mapping) and not path:
        return [found]
    raise FetchError(f"{safe_url(url)}: expected a list at {path or 'the top level'}, "
                     f"got {type(found).__name__}")


def _next_link(response: Any, origin: str) -> str | None:
    nxt = response.links.get("next", {}).get("url")
    if not nxt:
        return None
    nxt = urljoin(str(response.url), nxt)
    parts = urlsplit(nxt)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        raise FetchError(f"Link rel=next points to another origin ({safe_url(nxt)}); refused so "
                         f"credentials are not sent there")
    return nxt


def fetch_all(url: str, conn: str | None = None, paginate: str | None = None, *,
              records: str | None = None, params: Mapping[str, Any] | None = None,
              headers: Mapping[str, str] | None = None, cursor_path: str | None = None,
              cursor_param: str = "cursor", page_param: str = "page", start_page: int = 1,
              max_pages: int = 10_000, timeout: float = 30.0, retries: int = 5,
              backoff_s: float = 0.5, max_wait: float = 60.0, allow_insecure: bool = False,
              sleep: Callable[[float], None] = time.sleep) -> Iterator[Any]:
    """Yield every record of every page (lazily: a page is fetched when the last one is used)."""
    if paginate not in PAGINATIONS:
        raise ValueError(f"paginate must be one of {PAGINATIONS}, got {paginate!r}")
    if paginate == "cursor" and not cursor_path:
        raise ValueError("paginate='cursor' needs cursor_path (where the next cursor is, e.g. "
                         "'meta.next_cursor')")
    target = resolve_target(url, conn, headers, allow_insecure)
    with http_client(timeout=timeout) as client:
        fetcher = _Fetcher(client, target, retries, backoff_s, max_wait, sleep)
        yield from _pages(fetcher, target, paginate, records, dict(params or {}), cursor_path,
                          cursor_param, page_param, start_page, max_pages)


def _pages(fetcher: _Fetcher, target: Target, paginate: str | None, path: str | None,
           params: dict[str, Any], cursor_path: str | None, cursor_param: str, page_param: str,
           page: int, max_pages: int) -> Iterator[Any]:
    url: str | None = target.url
    seen_cursors: set[str] = set()
    for _ in range(max_pages):
        if paginate == "page":
            params[page_param] = page
        response = fetcher.get(url or target.url, params or None)
        body = response.json() if response.content.strip() else None
        batch = _records(body, path, target.url)
        yield from batch
        if paginate is None or (paginate == "page" and not batch):
            return
        if paginate == "page":
            page += 1
        elif paginate == "link":
            url, params = _next_link(response, target.origin), {}
            if url is None:
                return
        else:
            cursor = dig(body, cursor_path)
            if cursor in (None, ""):
                return
            if str(cursor) in seen_cursors:
                raise FetchError(f"{safe_url(target.url)}: the cursor {cursor!r} came back twice "
                                 f"(the API would loop)")
            seen_cursors.add(str(cursor))
            params[cursor_param] = cursor
    raise FetchError(f"{safe_url(target.url)}: more than max_pages={max_pages} pages")


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def request(method: str, url: str = "", conn: str | None = None, *,
            params: Mapping[str, Any] | None = None, json: Any = None, data: Any = None,
            headers: Mapping[str, str] | None = None, timeout: float = 30.0,
            retries: int = 3, backoff_s: float = 0.5, max_wait: float = 30.0,
            allow_insecure: bool = False,
            sleep: Callable[[float], None] = time.sleep) -> Any:
    """One HTTP call with the connection's base URL and credentials (the same rules as
    `fetch_all`: a relative `url` is joined to the connection's base; `?token=` -> Bearer,
    login + password -> basic, a password alone -> Bearer; no credentials over plain http but
    to loopback). Returns the `httpx.Response` (2xx only; `.json()` for the body).

    Retried like `fetch_all` (429 with Retry-After, 5xx, network errors) only when repeating
    it is safe: an idempotent method (GET, HEAD, OPTIONS, PUT, DELETE) or a request that
    carries an `Idempotency-Key` header. Any other failure raises FetchError naming the
    method, the URL without credentials, the status and a body snippet."""
    target = resolve_target(url, conn, headers, allow_insecure)
    verb = method.upper()
    safe = verb in IDEMPOTENT_METHODS or any(k.lower() == "idempotency-key" for k in target.headers)
    body: dict[str, Any] = {}
    if json is not None:
        body["json"] = json
    elif isinstance(data, str | bytes):
        body["content"] = data
    elif data is not None:
        body["data"] = data
    with http_client(timeout=timeout) as client:
        fetcher = _Fetcher(client, target, retries if safe else 0, backoff_s, max_wait, sleep)
        return fetcher.send(verb, target.url, params=dict(params) if params else None, **body)
