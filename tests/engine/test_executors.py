"""The process-pool executor through dag.run: a worker process that dies is reported lost and its try
retried (what every executor does is in tests/conformance/test_executor_conformance.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from legato.authoring.loader import load_file


def test_a_dead_worker_process_is_reported_lost_and_retried(tmp_path: Path) -> None:
    marker = tmp_path / "died-once"
    dag_file = tmp_path / "dies.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os
        from pathlib import Path
        from legato import DAG, task
        MARKER = Path({str(marker)!r})
        with DAG("dies", default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def crash_once():
                if not MARKER.exists():
                    MARKER.write_text("x")
                    os._exit(9)          # the worker process vanishes mid-try
                return "second try"
            crash_once()
    """))
    dag = load_file(dag_file).dags[0]
    result = dag.run(executor="local:process", max_workers=1)
    assert result.state == "success"
    assert result["crash_once"].tries == 2 and result["crash_once"].result == "second try"


def test_many_worker_deaths_in_one_run_lose_nothing_and_never_hang(tmp_path: Path) -> None:
    """Workers killed mid-try while siblings are reporting: every try is reported and the run
    finishes. A death costs only the try of the worker that died (its siblings' tries carry
    on), so one retry is enough for every task."""
    dag_file = tmp_path / "many_deaths.py"
    dag_file.write_text(textwrap.dedent(f"""
        import os
        from pathlib import Path
        from legato import DAG, task
        HOME = Path({str(tmp_path)!r})
        with DAG("many_deaths", default_args={{"retries": 1, "retry_delay": 0}}) as dag:
            @task
            def work(i):
                marker = HOME / f"died-{{i}}"
                if i % 2 == 0 and not marker.exists():
                    marker.write_text("x")
                    os._exit(9)
                return i
            work.expand(i=list(range(12)))
    """))
    dag = load_file(dag_file).dags[0]
    result = dag.run(executor="local:process", max_workers=3)
    assert result.state == "success"
    assert sorted(result["work"].result) == list(range(12))
