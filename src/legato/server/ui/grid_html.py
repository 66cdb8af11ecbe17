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
from ...services.ui_views import Cell, GridView


def _label(task: str, date: str, cell: Cell, mapped: bool) -> str:
    if cell.state == "none":
        return f"{task}, {date}: no instance"
    text = f"{task}, {date}: {cell.state}"
    if cell.mix:
        text += f" and {cell.mix}"
    if mapped or cell.instances > 1:
        text += f", {cell.instances} mapped instances"
    if cell.tries:
        text += f", try {cell.tries}"
    if cell.duration_s is not None:
        text += f", {duration(cell.duration_s)}"
    return text


def grid_body(view: GridView) -> Markup:
    runs = [(r.run_id, f"/ui/runs/{quote(r.run_id, safe='')}/tasks/", when(r.logical_date))
            for r in view.runs]
    out = []
    for task in view.tasks:
        tq, te = quote(task, safe=""), escape(task)
        mapped = task in view.mapped
        cells = []
        for run_id, base, date in runs:
            cell = view.cell(run_id, task)
            css = f"cell s-{cell.state}" + (f" mix-{cell.mix}" if cell.mix else "")
            css += " mapped" if mapped else ""
            label = escape(_label(task, date, cell, mapped))
            cells.append(f'<td><a class="{css}" href="{escape(base)}{tq}" aria-label="{label}"></a></td>')
        out.append(f'<tr data-task="{te}"><th class="task" scope="row"><a href="/ui/dags/'
                   f'{quote(view.dag_id, safe="")}#task-{tq}">{te}</a>{" ⧉" if mapped else ""}</th>'
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
