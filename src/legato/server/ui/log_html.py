"""A log's lines as HTML: one element per line with an anchor (#L12) and its level, so the page
can filter by level, search and jump to the first error without parsing text in the browser.
Lines without a "[time] LEVEL" prefix (a traceback's body) take the level of the line above.
log.js draws lines that arrive later the same way."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from ...services.ui_logs import LINE_START


def line_level(line: str, previous: str) -> str:
    found = LINE_START.match(line)
    return found.group(1) if found else previous


def lines_html(lines: list[str], first: int = 1) -> Markup:
    out, level = [], "INFO"
    for n, line in enumerate(lines, first):
        level = line_level(line, level)
        out.append(f'<span class="ln lv-{escape(level)}" id="L{n}" data-level="{escape(level)}">'
                   f'<a href="#L{n}" aria-label="line {n}">{n}</a>{escape(line)}</span>')
    return Markup("".join(out))
