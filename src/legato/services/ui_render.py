"""What the task page shows of a task's code: its templated fields rendered for one run, and
the traceback of its last failed try.

Templates are rendered with the run's own values (ds, ts, logical_date, data interval, run_id,
params, map_index, macros) in the sandbox the runner uses, so `{{ ds }}` shows the date the try
used. The server never imports a DAG file (user code), so rendering happens in a child process
(the fork server the DAG processor uses, when there is one) that imports the file, renders and
exits, killed after RENDER_TIMEOUT_S: it is a page of its own, not part of the task page.
Variables and connections are never resolved: `{{ var.value.x }}` renders as `‹var.value.x›`,
so the page cannot show a secret; the result is masked as logs are.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..security.masking import mask
from ..store.runs import RunRow
from . import queries, ui_logs
from .ui_format import redact_paths

MAX_FIELD_CHARS = 20_000
RENDER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Field:
    name: str
    text: str
    error: str | None = None


class Unresolved:
    """Stands for a value the server will not look up (var, conn, ti): renders as its path."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str) -> Unresolved:
        if name.startswith("_"):
            raise AttributeError(name)
        return Unresolved(f"{self._path}.{name}")

    def __getitem__(self, key: Any) -> Unresolved:
        return Unresolved(f"{self._path}[{key!r}]")

    def __call__(self, *args: Any, **kwargs: Any) -> Unresolved:
        inner = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        return Unresolved(f"{self._path}({inner})")

    def __str__(self) -> str:
        return f"‹{self._path}›"

    __repr__ = __str__


def _variables(run: dict[str, Any], task_id: str, map_index: int) -> dict[str, Any]:
    from ..authoring.templating import MACROS

    when = datetime.fromisoformat(run["logical_date"])
    return {
        "ds": when.strftime("%Y-%m-%d"), "ds_nodash": when.strftime("%Y%m%d"), "ts": when.isoformat(),
        "ts_nodash": when.strftime("%Y%m%dT%H%M%S"), "logical_date": when,
        "data_interval_start": datetime.fromisoformat(run["data_interval_start"]),
        "data_interval_end": datetime.fromisoformat(run["data_interval_end"]),
        "run_id": run["run_id"], "dag_id": run["dag_id"], "task_id": task_id, "map_index": map_index,
        "params": dict(run["params"]), "event": run["event"], "macros": MACROS,
        "var": Unresolved("var"), "conn": Unresolved("conn"), "ti": Unresolved("ti"),
        "try_number": Unresolved("try_number"), "dag": Unresolved("dag"), "task": Unresolved("task"),
        "log": Unresolved("log"),
    }


def _text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    text = mask(text)
    return text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS] + "\n…"


def render_task(task: Any, run: dict[str, Any], map_index: int) -> tuple[list[Field], str | None]:
    """(fields, note) of a task object: each templated field rendered for `run` (a dict)."""
    from ..authoring.templating import render

    fn = getattr(task, "python_callable", None)
    code = getattr(fn, "__code__", None)
    calls = (f"The task calls {fn.__qualname__}() from {Path(code.co_filename).name}, line "
             f"{code.co_firstlineno}." if code is not None else None)
    names = tuple(getattr(task, "template_fields", ()))
    if not names:
        return [], calls or f"{type(task).__name__} has no templated fields."
    variables = _variables(run, task.task_id, map_index)
    fields = []
    for name in names:
        raw = getattr(task, name, None)
        try:
            fields.append(Field(name, _text(render(raw, variables))))
        except Exception as exc:  # noqa: BLE001 - a template that fails here is shown, not raised
            fields.append(Field(name, _text(raw), f"{type(exc).__name__}: {exc}"))
    return fields, calls


def _render_in_child(path: str, dag_id: str, task_id: str, run: dict[str, Any], map_index: int,
                     conn: Any) -> None:
    """Runs in a child process: import the DAG file, render, send (fields, note), exit."""
    try:
        os.dup2(2, 1)                              # a print at import never reaches the pipe
        from ..authoring.loader import load_file

        loaded = load_file(path)
        dag = next((d for d in loaded.dags if d.dag_id == dag_id), None)
        if dag is None or task_id not in dag.tasks:
            why = "; ".join(e.message for e in loaded.errors) or "it does not define this task now"
            conn.send(([], f"The DAG file cannot be used to render this task: {why}."))
        else:
            fields, note = render_task(dag.tasks[task_id], run, map_index)
            conn.send(([(f.name, f.text, f.error) for f in fields], note))
    except BaseException as exc:  # noqa: BLE001 - reported to the page
        conn.send(([], f"Rendering failed: {type(exc).__name__}: {exc}"))
    finally:
        os._exit(0)


def _context() -> Any:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def rendered_fields(settings: Settings, run: RunRow, task_id: str, map_index: int,
                    timeout_s: float = RENDER_TIMEOUT_S) -> tuple[list[Field], str | None]:
    """(fields, note): the task's templated fields rendered for `run`, in a child process that
    imports the DAG file (the server never imports one itself) and is killed after `timeout_s`."""
    dag = queries.discover_dags(settings)
    found = next((d for d in dag.dags if d.dag_id == run.dag_id), None)
    if found is None:
        return [], "The DAGs folder does not define this DAG now, so its fields cannot be rendered."
    path = Path(found.fileloc).resolve()
    if not path.is_relative_to(settings.dags_folder.resolve()):
        return [], "The DAG's file is outside the DAGs folder."
    doc = {"run_id": run.run_id, "dag_id": run.dag_id, "logical_date": run.logical_date.isoformat(),
           "data_interval_start": run.data_interval_start.isoformat(),
           "data_interval_end": run.data_interval_end.isoformat(), "params": run.params, "event": run.event}
    ctx = _context()
    reader, writer = ctx.Pipe(duplex=False)
    args = (str(path), run.dag_id, task_id, doc, map_index, writer)
    child = ctx.Process(target=_render_in_child, args=args, daemon=True, name="legato-render")
    child.start()
    writer.close()
    try:
        if not reader.poll(timeout_s):
            return [], f"Rendering took longer than {timeout_s:g} s and was stopped."
        fields, note = reader.recv()
    except EOFError:
        return [], "The DAG file exited while it was imported."
    finally:
        reader.close()
        if child.is_alive():
            child.kill()
        child.join(1)
    return [Field(*f) for f in fields], note


def traceback_of(settings: Settings, run: RunRow, task_id: str, map_index: int,
                 tries: list[Any]) -> str | None:
    """The traceback logged by the latest failed try (tries newest first), if its log has one,
    without Legato's own frames and with paths shown relative to the DAGs folder."""
    failed = next((t for t in tries if t.state in ("failed", "up_for_retry") or t.error_type), None)
    if failed is None:
        return None
    try:
        ref = ui_logs.find_log(settings, run.run_id, task_id, failed.number, map_index)
    except queries.NotFound:
        return None
    found = ui_logs.traceback_in(ui_logs.read_chunk(ref).text)
    return None if found is None else tidy_traceback(found, settings.dags_folder)


_FRAME = re.compile(r'^  File "([^"]+)", line \d+')


def tidy_traceback(text: str, dags_folder: Path) -> str:
    """Drop the frames of Legato's own package; DAG files relative to the DAGs folder, other
    paths cut to their last part (pages never show the server's layout)."""
    package = str(Path(__file__).resolve().parents[1]) + os.sep
    folder = str(dags_folder.resolve()) + os.sep
    out, skipping = [], False
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            skipping = frame.group(1).startswith(package)
            if skipping:
                continue
            path = frame.group(1)
            shown = path[len(folder):] if path.startswith(folder) else redact_paths(path)
            line = line.replace(path, shown, 1)
        elif skipping and line.startswith("    "):
            continue
        else:
            skipping = False
        out.append(line)
    return "\n".join(out)
