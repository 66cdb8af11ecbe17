"""Helpers of the event-trigger tests (imported by conftest.py and the tests): DAG files whose
task returns ctx.event, a listener polled by hand, and reading runs back."""

from __future__ import annotations

import textwrap
from pathlib import Path

from legato.authoring.loader import load_folder
from legato.config import load_settings
from legato.events.listener import EventListener
from legato.services import queries
from legato.store import runs as run_store
from legato.store.db import open_engine


def write_dag(folder: Path, dag_id: str, schedule: str) -> None:
    """A DAG with one task that returns the event that started its run."""
    (folder / f"{dag_id}.py").write_text(textwrap.dedent(f"""
        from legato import DAG, Dataset, events, task
        with DAG({dag_id!r}, schedule={schedule}) as dag:
            @task
            def seen(ctx):
                return ctx.event
            seen()
    """))


class Polls:
    """A listener over the DAG folder, polled on demand with a clock that always says 'due'."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.listener = EventListener(open_engine(load_settings().database_url),
                                      lambda: load_folder(folder).dags)
        self.clock = 1e9

    def __call__(self, times: int = 1) -> int:
        self.listener.refresh()
        got = 0
        for _ in range(times):
            self.clock += 3600
            got += self.listener.poll_once(self.clock)
        return got

    def listener_failures(self) -> list[int]:
        """Sources whose last poll failed (a broker down makes the test fail, not skip)."""
        return [p.failures for p in self.listener.sources.values() if p.failures]

    def close(self) -> None:
        for key in list(self.listener.sources):
            self.listener._close(key)


def runs_of(dag_id: str) -> list[run_store.RunRow]:
    return sorted(queries.list_runs(load_settings(), dag_id, 1000), key=lambda r: r.created_at)


def result_of(run_id: str, task_id: str = "seen") -> object:
    return queries.show_run(load_settings(), run_id)[task_id].result
