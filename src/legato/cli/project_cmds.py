"""`legato init` and `legato demo`.

`init` writes a starter project and never overwrites: if any file it would write exists, it
lists them and writes nothing. `demo` runs the packaged demo DAG on a store of its own (a new
temporary folder unless `--home`), so it never touches the user's `~/.legato`; `demo --all`
and `demo NAME` run the example gallery against local stand-ins the same way
(legato.demo.gallery_run; the summary is printed by gallery_output.py), `demo --list` lists it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .output import EXIT_FAILED, console, emit_json, fail_usage, styled, table

EXAMPLE_DAG = '''"""A first DAG: extract, transform, load, once a day. Run it now with
`legato run dags/example.py`, or leave `legato up` running to schedule it."""

from datetime import timedelta

from legato import DAG, task

with DAG("example", schedule="@daily", start_date="2024-01-01", catchup=False,
         default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
         tags=["example"]) as dag:

    @task
    def extract(ctx):
        ctx.log.info("extracting for %s", ctx.ds)
        return [{"sku": "A", "qty": 3}, {"sku": "B", "qty": 5}]

    @task
    def transform(rows):
        return sum(r["qty"] for r in rows)

    @task
    def load(total, ctx):
        print(f"{ctx.ds}: {total} units")

    load(transform(extract()))
'''

GITIGNORE = """# Legato's local state (when LEGATO_HOME points here) and Python leftovers
.legato/
__pycache__/
*.pyc
.venv/
"""

README = """# {name}

A [Legato](https://pypi.org/project/legato/) project: pipelines are the Python files in `dags/`.

```bash
legato dags list                    # the DAGs in ./dags, with import errors if any
legato run dags/example.py          # run one now and wait for it
legato up                           # scheduler, API and UI on http://127.0.0.1:8080
```

Connections and variables are stored encrypted (`legato connections add ...`,
`legato variables set ...`); state lives in `$LEGATO_HOME` (default `~/.legato`; set
`LEGATO_HOME=.legato` to keep it in this folder, which `.gitignore` already ignores).
"""


def _project_files(root: Path) -> dict[Path, str]:
    return {root / "dags" / "example.py": EXAMPLE_DAG, root / ".gitignore": GITIGNORE,
            root / "README.md": README.format(name=root.resolve().name)}


def init(path: Annotated[Path, typer.Argument(help="Project folder (made if missing).")] = Path(".")) -> None:
    """Start a project: dags/ with an example DAG, a .gitignore and a README."""
    if path.exists() and not path.is_dir():
        raise fail_usage(f"{path} exists and is not a folder")
    files = _project_files(path)
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise fail_usage("refusing to overwrite existing files (nothing was written): "
                         + ", ".join(existing))
    for file, text in files.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    out = console()
    out.print(f"created a Legato project in {path.resolve()}:", highlight=False)
    for file in files:
        out.print(f"  {file}", highlight=False)
    where = "" if path == Path(".") else f"cd {path} && "
    out.print(f"next: {where}legato run dags/example.py   (or `legato up` to schedule it)",
              highlight=False)


def _print_report(report: Any) -> None:
    out = console()
    out.print(f"run {report.run_id}: {styled(report.state)}")
    out.print(table("tasks", ["task", "state", "tries", "error"], [
        [t, styled(r["state"]), r["tries"], (r["error"] or "")[:70]] for t, r in report.tasks.items()]))
    out.print(table(f"dead letters ({len(report.dead_letters)})", ["id", "task", "why"], [
        [d["id"], d["task_id"], "; ".join(d["errors"])[:90]] for d in report.dead_letters]))
    out.print(table(f"incidents ({len(report.incidents)})", ["id", "task", "state", "error"], [
        [i["id"], i["task_id"], i["state"], (i["error"] or "")[:70]] for i in report.incidents]))
    from ..demo._run import DEMO_DIR

    if report.masked_line:
        out.print(f"the token read from the encrypted store, as the log shows it:\n  "
                  f"{report.masked_line.strip()}", highlight=False, markup=False)
    out.print("\nnext, explore it:", highlight=False)
    for cmd in ((f"export LEGATO_HOME={report.home} "
                 f"LEGATO_DATABASE_URL=sqlite:///{report.home / 'legato.db'}"),
                f"legato runs show {report.run_id}", f"legato logs {report.run_id} extract --try 1",
                "legato dlq list", "legato incidents list", "legato variables list",
                f"LEGATO_DAGS={DEMO_DIR} legato up      # the web UI on 127.0.0.1:8080"):
        out.print(f"  {cmd}", highlight=False, markup=False, soft_wrap=True)


def demo(
    name: Annotated[str | None, typer.Argument(
        help="Run one example of the gallery (legato demo --list shows them).")] = None,
    run_all: Annotated[bool, typer.Option("--all", help="Run every example of the gallery.")] = False,
    list_them: Annotated[bool, typer.Option("--list", help="List the gallery's examples.")] = False,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Where to keep the demo's store (default: a new temporary folder).")] = None,
    examples: Annotated[Path | None, typer.Option(
        "--examples", help="The gallery's folder (default: ./examples or the source checkout's).")]
        = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Without arguments: a small pipeline (a flaky extract retried, bad records to dead letters,
    a failing report that opens an incident, a secret masked in the log). With --all or NAME:
    the article's pipelines from examples/ against local stand-ins (procurement API, DDoS API,
    helpdesk, chat), ending with a summary. Exit 0 when everything ran as designed (some runs
    are meant to fail), 1 when something did not, 2 for bad arguments."""
    if list_them:
        _list_gallery(as_json)
        return
    if name is not None or run_all:
        _run_gallery(name, run_all, home, examples, as_json)
        return
    _small_demo(home, as_json)


def _small_demo(home: Path | None, as_json: bool) -> None:
    from ..demo._run import run_demo

    folder = (home or Path(tempfile.mkdtemp(prefix="legato-demo-"))).resolve()
    if not as_json:
        console().print(f"running the demo pipeline in {folder} ...", highlight=False)
    report = _reported("the demo", lambda: run_demo(folder))
    if as_json:
        emit_json(report.to_json())
    else:
        _print_report(report)


def _reported(what: str, run: Callable[[], Any]) -> Any:
    """`run()`, or one line on stderr and exit 1: the demo reports, never a traceback."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - whatever broke, the user gets one line
        sys.stderr.write(f"error: {what} failed: {type(exc).__name__}: {exc}\n")
        raise typer.Exit(EXIT_FAILED) from None


def _list_gallery(as_json: bool) -> None:
    from ..demo.gallery import GALLERY

    if as_json:
        emit_json([{"name": e.name, "section": e.section, "shows": e.shows, "how": e.how,
                    "dags": list(e.dag_ids)} for e in GALLERY])
        return
    console().print(table("the gallery: examples/<name>.py, `legato demo <name>`",
                          ["name", "article section", "shows", "driven by"],
                          [[e.name, e.section, e.shows, e.how] for e in GALLERY]))


def _run_gallery(name: str | None, run_all: bool, home: Path | None, examples: Path | None,
                 as_json: bool) -> None:
    from ..demo.gallery import GALLERY, find_examples, plan
    from ..demo.gallery_run import run_gallery
    from ..extras import MissingExtra, require
    from .gallery_output import print_gallery, print_progress

    if name is not None and run_all:
        raise fail_usage("give an example's NAME or --all, not both")
    names = [e.name for e in GALLERY] if run_all else [str(name)]
    try:
        plan(names)
        folder = find_examples(examples)
    except (KeyError, FileNotFoundError) as exc:
        raise fail_usage(str(exc.args[0]) if exc.args else str(exc)) from None
    try:
        require("duckdb", "the gallery's warehouse")
    except MissingExtra as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_FAILED) from None
    if home is not None and home.exists() and any(home.iterdir()):
        raise fail_usage(f"--home {home} is not empty: the gallery's checks expect a new store "
                         "(give a new or empty folder)")
    where = (home or Path(tempfile.mkdtemp(prefix="legato-gallery-"))).resolve()
    out = console()
    out.file = sys.stdout           # the gallery sends the tasks' own output to a log file
    if not as_json:
        out.print(f"the gallery from {folder}, in its own store {where}", highlight=False)
    report = _reported("the gallery", lambda: run_gallery(
        names, where, folder, on_result=None if as_json else lambda r: print_progress(out, r)))
    if as_json:
        emit_json(report.to_json())
    else:
        print_gallery(out, report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to `app`."""
    app.command("init")(init)
    app.command("demo")(demo)
