"""SLA misses detected by the scheduler open one `sla_miss` incident per DAG, with its outbox
rows written in the transaction that records the miss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.config import load_settings
from legato.engine.bus import Bus
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.incidents.listener import attach
from legato.store import incidents as store
from legato.store import outbox
from legato.store.db import open_engine


def test_scheduler_sla_misses_become_one_incident(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    start = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    (dags / "late.py").write_text(
        "from datetime import timedelta\n"
        "from legato import DAG\n"
        "from legato.incidents import Webhook\n"
        "from legato.tasks import EmptyTask\n"
        f"with DAG('late', schedule='@daily', start_date={start!r}, catchup=True,\n"
        "         sla=timedelta(hours=1), incidents=[Webhook('http://127.0.0.1:9/h')]) as dag:\n"
        "    EmptyTask('noop')\n")
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    settings = load_settings()
    bus = Bus()
    attach(bus, settings)
    runner = make_executor("local")
    try:
        scheduler = Scheduler(settings, runner, bus=bus, poll_s=0.05)
        scheduler.run_until_idle(timeout_s=30)
        scheduler.check_slas(datetime.now(UTC))
    finally:
        runner.shutdown()
    with open_engine(settings.database_url).connect() as conn:
        (inc,) = store.open_of_dag(conn, "late")
        rows = outbox.of_incident(conn, inc.id)
    assert inc.kind == "sla_miss" and inc.task_id is None and inc.occurrences == 2
    assert rows[0].event == "incident.opened" and rows[0].sink["url"] == "http://127.0.0.1:9/h"
    assert "did not finish by its SLA deadline" in rows[0].payload["incident"]["error"]
