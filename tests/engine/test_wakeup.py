"""New work wakes a running scheduler instead of waiting for its next poll (issue 16): a
trigger, a clear and an operator's request from another process reach a scheduler whose own
poll interval is a minute, on SQLite (datagrams on 127.0.0.1) and PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine import scheduler as scheduler_module
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.engine.wakeup import WakeListener, notify
from legato.services import operate, queries, run_ops
from waiting import eventually

DAG_FILE = """
from legato import DAG, task
with DAG("woken", schedule=None) as dag:
    @task
    def one():
        return 1
    one()
"""


def test_a_listener_hears_notify(tmp_path: Path, backend: str) -> None:
    settings = load_settings()
    heard = threading.Event()
    listener = WakeListener(settings.database_url, settings.home, heard.set).start()
    try:
        eventually(lambda: (notify(settings.database_url, settings.home), heard.wait(0.2))[1],
                   timeout_s=10, what="the wake-up heard")
    finally:
        listener.stop()


@pytest.fixture()
def slow_polling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scheduler:
    """A scheduler that would look at the store only once a minute on its own."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "woken.py").write_text(DAG_FILE)
    monkeypatch.setenv("LEGATO_DAGS", str(folder))
    monkeypatch.setattr(scheduler_module, "HOUSEKEEPING_S", 60.0)
    return Scheduler(load_settings(), make_executor("local"), poll_s=60.0)


def test_a_trigger_and_a_clear_wake_the_scheduler(backend: str, slow_polling: Scheduler) -> None:
    stop = threading.Event()
    loop = threading.Thread(target=slow_polling.serve, args=(stop,), daemon=True)
    loop.start()
    try:
        eventually(lambda: "woken" in slow_polling.dags, timeout_s=30, what="the DAG parsed")
        settings = load_settings()
        run_id = operate.trigger(settings, "woken").run_id
        eventually(lambda: queries.show_run(settings, run_id).state == "success",
                   timeout_s=20, what="the triggered run done long before the next poll")
        run_ops.clear(settings, run_id, ["one"])
        eventually(lambda: queries.show_run(settings, run_id)["one"].tries == 2,
                   timeout_s=20, what="the cleared task run again before the next poll")
    finally:
        stop.set()
        loop.join(timeout=30)
        slow_polling.executor.shutdown()
