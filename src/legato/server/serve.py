"""Running the app under uvicorn, once, for `legato server` and `legato up`.

Forwarded headers: uvicorn believes `X-Forwarded-For` / `X-Forwarded-Proto` from 127.0.0.1 by
default, so any local client (or anything behind a local proxy that passes the header on)
could pick its own address and dodge the per-IP rate limit. Legato trusts them only from the
proxies named in LEGATO_TRUSTED_PROXIES (addresses or networks, comma-separated; "*" for any);
by default none, and the client address is the TCP peer.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings


def uvicorn_config(app: Any, settings: Settings, *, host: str, port: int,
                   log_level: str = "info") -> Any:
    """A uvicorn.Config for `app` that trusts forwarded headers only from configured proxies."""
    import uvicorn

    proxies = settings.trusted_proxies
    return uvicorn.Config(app, host=host, port=port, log_level=log_level,
                          proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


def serve(app: Any, settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn owns SIGINT/SIGTERM meanwhile)."""
    import uvicorn

    uvicorn.Server(uvicorn_config(app, settings, host=host, port=port, log_level=log_level)).run()
