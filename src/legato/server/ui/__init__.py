"""The web UI of the server (pages, sessions, static files); see routes.py for adding a page."""

from __future__ import annotations

from .routes import Recorder, build_ui, error_page, is_page
from .session import LoginRequired, login_url, session_of

__all__ = ["LoginRequired", "Recorder", "build_ui", "error_page", "is_page", "login_url", "session_of"]
