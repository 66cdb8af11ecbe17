"""The local executor's worker threads: a free thread is reused before one is added, and work
never waits behind a busy thread while another may be added."""

from __future__ import annotations

import threading
from typing import Any

from legato import DAG, task
from legato.engine.executors.threads import WorkerThreads


def test_a_chain_runs_on_the_thread_that_ran_the_previous_try(legato_home: Any) -> None:
    names: list[str] = []

    def record() -> None:
        names.append(threading.current_thread().name)

    with DAG("thread_reuse_chain", start_date="2024-01-01", schedule=None) as dag:
        prev = None
        for i in range(30):
            node = task(record, task_id=f"c{i}")()
            if prev is not None:
                prev >> node
            prev = node
    assert dag.run().state == "success"               # the default: up to 32 threads
    assert len(names) == 30
    assert len(set(names)) <= 3, sorted(set(names))   # one, and rarely a racing second


def test_work_submitted_while_threads_are_busy_gets_a_new_thread() -> None:
    pool = WorkerThreads(4)
    release = threading.Event()
    started = [threading.Event() for _ in range(4)]
    try:
        for ev in started:
            pool.submit(lambda e: (e.set(), release.wait(10)), ev)   # four that block
        assert all(ev.wait(5) for ev in started), "a try waited behind a blocked thread"
    finally:
        release.set()
        pool.shutdown()


def test_a_thread_back_from_work_is_reused_before_one_is_added() -> None:
    pool = WorkerThreads(8)
    try:
        for _ in range(50):
            done = threading.Event()
            pool.submit(lambda e: e.set(), done)
            assert done.wait(5)
            for _ in range(1000):                    # let the thread get back to its queue
                if not pool._idle.empty():
                    break
                threading.Event().wait(0.001)
        assert len(pool._threads) == 1
    finally:
        pool.shutdown()
