"""`legato demo --all | NAME`: the gallery end to end, on a store of its own.

It points this process at a new home (its own SQLite store, warehouse, bucket and logs; the
user's `LEGATO_HOME`, database, incident sinks and key are left alone; new DAGs start paused
so no scheduled run slips in; the environment is restored when it ends), starts the
stand-ins and `legato server` (for the webhook example), runs each example's scenario in
gallery order, and gathers the summary. An example "behaved as designed" when every check of
its scenario held, including the ones designed to fail and open a ticket.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .gallery import Example, plan
from .scenarios import World
from .standins import StandIns

_ISOLATE = ("LEGATO_INCIDENTS", "LEGATO_SECRET_KEY", "LEGATO_OPENLINEAGE", "LEGATO_OTEL")


@dataclass
class ExampleResult:
    name: str
    how: str
    ok: bool
    checks: list[tuple[str, bool]]
    runs: list[dict[str, Any]]
    seconds: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "how": self.how, "ok": self.ok, "seconds": round(self.seconds, 2),
                "checks": [{"expected": c, "held": h} for c, h in self.checks],
                "runs": self.runs, "error": self.error}


@dataclass
class GalleryReport:
    home: Path
    examples_dir: Path
    results: list[ExampleResult] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    helpdesk_url: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "home": str(self.home), "examples": str(self.examples_dir),
                "seconds": round(self.seconds, 2), "results": [r.to_json() for r in self.results],
                "summary": self.summary}


def point_gallery_settings(home: Path, examples: Path) -> None:
    """This process (and its children) now use `home` and the examples folder only."""
    os.environ["LEGATO_HOME"] = str(home)
    os.environ["LEGATO_DATABASE_URL"] = f"sqlite:///{home / 'legato.db'}"
    os.environ["LEGATO_DAGS"] = str(examples)
    os.environ["LEGATO_DAGS_PAUSED_AT_CREATION"] = "true"
    for name in _ISOLATE:
        os.environ.pop(name, None)


def run_gallery(names: list[str], home: Path, examples: Path,
                on_start: Callable[[Example], None] | None = None,
                on_result: Callable[[ExampleResult], None] | None = None) -> GalleryReport:
    from ..config import load_settings
    from .apiserver import ApiServer
    from .drive import Driver
    from .summary import gather

    began = time.monotonic()
    todo = plan(names)
    home.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    point_gallery_settings(home, examples)
    stand_ins = StandIns(home / "world").start()
    os.environ.update(stand_ins.environment())
    api = (ApiServer(home).start() if any(e.name == "ddos_response_playbook" for e in todo)
           else None)
    report = GalleryReport(home, examples, helpdesk_url=stand_ins.helpdesk.url)
    try:
        settings = load_settings()
        world = World(settings, stand_ins, Driver(settings), api.url if api else None)
        # The tasks' own prints and the scheduler's log lines go to a file, not the summary.
        with (home / "demo-output.log").open("a") as sink, redirect_stdout(sink), \
                redirect_stderr(sink):
            for example in todo:
                if on_start is not None:
                    on_start(example)
                if api is not None and example.name == "ddos_response_playbook":
                    api.wait_ready()
                report.results.append(run_one(world, example))
                if on_result is not None:
                    on_result(report.results[-1])
            report.summary = gather(world, [d for e in todo for d in e.dag_ids])
    finally:
        if api is not None:
            api.stop()
        stand_ins.stop()
        os.environ.clear()              # a caller in this process gets its own settings back
        os.environ.update(saved)
    report.seconds = time.monotonic() - began
    return report


def run_one(world: World, example: Example) -> ExampleResult:
    began = time.monotonic()
    before = {r.run_id for d in example.dag_ids for r in world.driver.runs_of(d)}
    checks: list[tuple[str, bool]] = []
    error = None
    try:
        checks = example.scenario(world)
    except Exception as exc:  # noqa: BLE001 - one example's breakage is reported, the rest run
        error = f"{type(exc).__name__}: {exc}"
    runs = [{"dag_id": r.dag_id, "run_id": r.run_id, "logical_date": r.logical_date.isoformat(),
             "type": r.run_type, "state": r.state}
            for d in example.dag_ids for r in world.driver.runs_of(d) if r.run_id not in before]
    ok = error is None and bool(checks) and all(held for _, held in checks)
    return ExampleResult(example.name, example.how, ok, checks, runs,
                         time.monotonic() - began, error)
