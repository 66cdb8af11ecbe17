"""A run to operate on (issue 12's API and UI tests): ok -> broken (raises) -> after
(upstream_failed), ended failed, run in this process."""

from __future__ import annotations

from legato import DAG, task


def failed_run(name: str) -> str:
    """The run id of a new failed run of DAG `name`."""
    with DAG(name) as dag:
        @task
        def ok() -> int:
            return 1

        @task
        def broken(x: int) -> int:
            raise RuntimeError("broken on purpose")

        @task
        def after(x: int) -> int:
            return x

        after(broken(ok()))
    result = dag.run()
    assert result.state == "failed"
    return result.run_id
