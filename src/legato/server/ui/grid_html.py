"""The grid's cells as HTML, written in Python: 250 runs x 100 tasks is 25,000 cells, each a link
with an accessible name (task, run date, state, tries, duration), and a Jinja loop over them
costs several times this string join. Every id is escaped once per row or column, not per cell.

The table carries the run of each column in its header (`th[data-run]`) and the task of each
row on the row (`tr[data-task]`), so legato.js can recolour a cell without per-cell ids.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from markupsafe import Markup

from ...services.ui_format import duration, short_date, when
from ...services.ui_views import NO_CELL, Cell, GridView

MAPPED_TAG = ' <span class="tag">mapped</span>'


def _label(task: str, date: str, cell: Cell, mapped: bool) -> str:
    """The cell's accessible name; `task` and `date` come escaped, the rest is plain words."""
    state, mix, instances, tries, seconds = cell
    if state == "none":
        return f"{task}, {date}: no instance"
    text = f"{task}, {date}: {state}" if mix is None else f"{task}, {date}: {state} and {mix}"
    if mapped or instances > 1:
        text += f", {instances} mapped instances"
    if tries:
        text += f", try {tries}"
    if seconds is not None:
        text += f", {duration(seconds)}"
    return text


def grid_body(view: GridView) -> Markup:
    runs = [(r.run_id, escape(f"/ui/runs/{quote(r.run_id, safe='')}/tasks/"), escape(when(r.logical_date)))
            for r in view.runs]
    out = []
    for task in view.tasks:
        tq, te = quote(task, safe=""), escape(task)
        mapped = task in view.mapped
        extra = " mapped" if mapped else ""
        cells = []
        for run_id, base, date in runs:
            cell = view.cells.get(run_id, {}).get(task, NO_CELL)
            css = f"cell s-{cell[0]}{extra}" if cell[1] is None else f"cell s-{cell[0]} mix-{cell[1]}{extra}"
            label = _label(te, date, cell, mapped)
            cells.append(f'<td><a class="{css}" href="{base}{tq}" aria-label="{label}"></a></td>')
        out.append(f'<tr data-task="{te}"><th class="task" scope="row"><a href="/ui/dags/'
                   f'{quote(view.dag_id, safe="")}#task-{tq}">{te}</a>{MAPPED_TAG if mapped else ""}</th>'
                   + "".join(cells) + "</tr>")
    return Markup("\n".join(out))


def grid_head(view: GridView) -> Markup:
    """Two header rows: the runs' dates, then one cell per run in the run's state."""
    dates, states = [], []
    for r in view.runs:
        label = escape(f"run {r.run_id} of {when(r.logical_date)} ({r.run_type}): {r.state}")
        dates.append(f'<th scope="col"><span class="date">{escape(short_date(r.logical_date))}</span></th>')
        rid = escape(r.run_id)
        states.append(f'<th data-col-run="{rid}"><a class="cell run s-{r.state}" data-run="{rid}" '
                      f'href="/ui/runs/{quote(r.run_id, safe="")}" aria-label="{label}"></a></th>')
    return Markup('<tr class="dates"><th scope="col">Task</th>' + "".join(dates) + "</tr>\n"
                  '<tr class="runs"><th scope="row">Run</th>' + "".join(states) + "</tr>")
