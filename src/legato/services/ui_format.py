"""How the UI writes times, durations and server messages (Jinja filters and error text).

Durations keep their sub-second part (0.05 s and 0.9 s read differently); error messages shown
on pages lose any absolute filesystem path (a DAGs folder, a log file): pages never reveal the
server's layout.
"""

from __future__ import annotations

import re
from datetime import datetime

_PATH = re.compile(r"(?<![\w:/.])/(?!ui/|api/)(?:[^\s'\"/()]+/)+([^\s'\"/()]*)")


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def short_date(value: datetime | None) -> str:
    """Compact, for grid headers: "01-31 04:00" (the year is in the tooltip)."""
    return value.strftime("%m-%d %H:%M") if value else ""


def duration(seconds: float | None, *, whole: bool = False) -> str:
    """"12 ms", "0.05 s", "0.90 s", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h"; "—" for none.
    `whole`: seconds rounded ("0 s", "42 s"), for spans where a fraction means nothing (MTTR)."""
    if seconds is None:
        return "—"
    s = max(0.0, float(round(seconds) if whole else seconds))
    if whole and s < 60:
        return f"{int(s)} s"
    if s < 0.01:
        return f"{s * 1000:.1f} ms"
    if s < 10:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    whole = round(s)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s" if whole % 60 else f"{whole // 60} min"
    if whole < 86400:
        minutes = whole % 3600 // 60
        return f"{whole // 3600} h {minutes} min" if minutes else f"{whole // 3600} h"
    hours = whole % 86400 // 3600
    return f"{whole // 86400} d {hours} h" if hours else f"{whole // 86400} d"


def redact_paths(message: str) -> str:
    """`message` with absolute paths cut to their last part ("…/dags"): pages never show where
    the server keeps its files. UI and API paths (/ui/..., /api/...) are kept."""
    return _PATH.sub(lambda m: "…/" + m.group(1) if m.group(1) else "…", message)
