"""A run through dag.run() on every metadata store, SQLite and PostgreSQL (the `backend`
fixture: a database of its own per test, dropped afterwards). The store modules' own contracts
are the conformance suite in tests/conformance/store/."""

from __future__ import annotations

from legato import DAG, task
from legato.tasks import EmptyTask


def test_run_with_retries_mapping_and_branch(backend: str) -> None:
    with DAG(f"conformance_{backend}", default_args={"retries": 2, "retry_delay": 0}) as dag:
        @task
        def flaky(ctx) -> list[int]:
            if ctx.try_number == 1:
                raise ConnectionError("blip")
            return [1, 2, 3]

        @task
        def double(x: int) -> int:
            return 2 * x

        @task.branch
        def pick(values: list[int]) -> str:
            return "big" if sum(values) > 10 else "small"

        big, small = EmptyTask("big"), EmptyTask("small")
        pick(double.expand(x=flaky())) >> [big, small]
    result = dag.run(logical_date="2023-01-01")
    assert result.state == "success"
    assert result["flaky"].tries == 2
    assert result["double"].result == [2, 4, 6]
    assert (result["big"].state, result["small"].state) == ("success", "skipped")
    assert result.logical_date.isoformat() == "2023-01-01T00:00:00+00:00"


def test_large_result_and_listing(backend: str) -> None:
    from legato.config import load_settings
    from legato.services import queries

    with DAG(f"big_{backend}") as dag:
        @task
        def make() -> str:
            return "y" * 200_000

        @task
        def size(s: str) -> int:
            return len(s)

        size(make())
    result = dag.run()
    assert result["size"].result == 200_000
    runs = queries.list_runs(load_settings())
    assert [r.run_id for r in runs] == [result.run_id]
    assert queries.show_run(load_settings(), result.run_id[:-2]).state == "success"
