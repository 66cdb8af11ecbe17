"""The process-pool executor runs tries in other processes, importing the DAG by its file."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from legato.authoring.loader import load_file


def test_process_executor_runs_tasks_in_child_processes(tmp_path: Path) -> None:
    dag_file = tmp_path / "procs.py"
    dag_file.write_text(textwrap.dedent("""
        import os
        from legato import DAG, task
        with DAG("procs") as dag:
            @task
            def pid():
                return os.getpid()
            @task
            def pair(a):
                return [a, os.getpid()]
            pair(pid())
    """))
    dag = load_file(dag_file).dags[0]
    result = dag.run(executor="local:process", max_workers=2)
    assert result.state == "success"
    first, second = result["pair"].result
    assert first != os.getpid() and second != os.getpid()
