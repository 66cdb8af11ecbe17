"""engine.collector: the young-generation threshold is raised while runs are driven and put
back by the last run to end, never left changed, never touched when collection is off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from legato import DAG, task
from legato.collector import YOUNG_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_put_back_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_and_overlapping_holders_share_one_raise() -> None:
    entered, leave = threading.Event(), threading.Event()

    def other_run() -> None:
        with fewer_collections():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other_run)
    with fewer_collections():
        thread.start()
        assert entered.wait(10)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD      # the other run is still driven
    leave.set()
    thread.join(10)
    assert gc.get_threshold() == (700, 10, 10)


def test_collection_switched_off_or_changed_meanwhile_is_left_alone() -> None:
    gc.set_threshold(0)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        gc.set_threshold(50_000, 10, 10)                 # the application's own choice
    assert gc.get_threshold() == (50_000, 10, 10)


def test_a_run_raises_it_while_tasks_run_and_restores_it(legato_home: object) -> None:
    seen: list[int] = []

    @task
    def look() -> None:
        seen.append(gc.get_threshold()[0])

    with DAG("collector_probe", start_date="2024-01-01", schedule=None) as dag:
        look()
    assert dag.run().state == "success"
    assert seen == [YOUNG_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_dag_block_holds_it_until_the_block_ends_even_on_error() -> None:
    with DAG("collector_block", start_date="2024-01-01", schedule=None):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), DAG("collector_raises", start_date="2024-01-01"):
        raise RuntimeError("bad DAG file")
    assert gc.get_threshold() == (700, 10, 10)
