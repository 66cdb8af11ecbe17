"""Start N workers at the same instant (a barrier) and collect what they raise: for the tests
of races between parallel first loads and deliveries."""

from __future__ import annotations

import threading
from collections.abc import Callable


def all_at_once(n: int, work: Callable[[int], object], timeout_s: float = 60.0) -> list[BaseException]:
    """Run `work(0)` ... `work(n - 1)` in n threads released together; the exceptions raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    return errors
