#!/usr/bin/env python3
"""Web UI under load: 1,000 runs of a 100-task DAG in the store, pages timed over real HTTP, and
the cost of the live channel with 20 open pages.

Usage: python benchmarks/ui.py [--runs 1000] [--tasks 100] [--requests 15] [--live-seconds 20]
                               [--database-url URL]

Seeds a new temporary store through the store modules (one transaction: the runs with
`runs.insert_run`, their task instances with `tries.insert_instances`, 100,000 rows, a few
tries with start and end times; then ANALYZE on PostgreSQL, as autovacuum would), starts the
app with uvicorn in a child process on a free loopback port, logs in as a UI user, and times
each page (one warm-up request, then the median of --requests) with the session cookie: the
DAG list, the grid (25, 50 and 250 runs), its live JSON, the graph, the Gantt of a run, a run
page and a task page. "server ms" is the median wall time of a request on this loopback
connection (the client's share is well under a millisecond).

The live channel: 20 pages hold server-sent-event streams open for --live-seconds while the
server process's CPU time (utime + stime from /proc) is sampled, in three cases: 20 pages on
one grid while nothing changes; the same while one task instance changes state every 0.5 s (a
running run); 20 pages on 20 different run pages with that writer. For comparison, the same
20 pages polling the grid's JSON every 2 s (the UI's fallback when EventSource is missing).
It reports; it does not test (exit 0).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

PAGES = 20
STATES = ("running", "failed", "queued", "success")
_WRITES = itertools.count()


def dag_source(tasks: int) -> str:
    """A DAG of `tasks` no-ops in layers of ten, each task depending on one of the layer above."""
    lines = ["from legato import DAG", "from legato.tasks import EmptyTask", "",
             "with DAG('big', schedule='@daily', start_date='2020-01-01') as dag:",
             f"    t = [EmptyTask(f'task_{{i:03d}}') for i in range({tasks})]",
             f"    for i in range(10, {tasks}):", "        t[i - 10] >> t[i]", ""]
    return "\n".join(lines)


def seed(settings: object, runs: int) -> list[str]:
    import sqlalchemy as sa

    from legato.authoring.loader import load_folder
    from legato.engine.planner import initial_instances
    from legato.store import dags as dag_store
    from legato.store import runs as run_store
    from legato.store import tries as try_store
    from legato.store.db import open_engine

    (dag,) = load_folder(settings.dags_folder).dags              # type: ignore[attr-defined]
    keys = list(initial_instances(dag.spec()))
    start = datetime(2020, 1, 1, tzinfo=UTC)
    ids = []
    with open_engine(settings.database_url).begin() as conn:      # type: ignore[attr-defined]
        dag_store.upsert_dag(conn, dag.dag_id, dag.fileloc, dag.spec_json(), start)
        for n in range(runs):
            when = start + timedelta(days=n)
            state = "failed" if n % 17 == 0 else "success"
            run = run_store.RunRow(f"scheduled__{when:%Y-%m-%d}", dag.dag_id, "scheduled", when, when,
                                   when + timedelta(days=1), state, {}, None, when, when, when)
            run_store.insert_run(conn, run)
            try_store.insert_instances(conn, run.run_id, keys, state)
            ids.append(run.run_id)
        timed = [try_store.InstanceRow(ids[-1], t, m, "success", 1, None, start + timedelta(seconds=i),
                                       start + timedelta(seconds=i + 0.25), None, None)
                 for i, (t, m) in enumerate(keys)]
        try_store.update_instances(conn, timed)
    engine = open_engine(settings.database_url)                   # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":    # fresh statistics, as autovacuum keeps them: else the
        with engine.connect() as conn:         # planner scans 100,000 instances for 2,500
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return ids


SERVER = """
import sys, uvicorn
from legato.config import load_settings
from legato.server.app import create_app
uvicorn.run(create_app(load_settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def serve(port: int) -> subprocess.Popen[bytes]:
    import httpx

    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server never answered")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: object, url: str, requests: int) -> tuple[float, float, int, int]:
    """(median ms, max ms, bytes, bytes on the wire) of GET url after one warm-up."""
    response = client.get(url)                                    # type: ignore[attr-defined]
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url)                                # type: ignore[attr-defined]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), len(response.content), response.num_bytes_downloaded


def _listen(base: str, cookies: dict[str, str], topic: str, stop: threading.Event,
            counts: list[int]) -> None:
    import httpx

    with httpx.Client(base_url=base, cookies=cookies, timeout=None) as c:
        while not stop.is_set():
            with c.stream("GET", "/ui/api/live", params={"topic": topic}) as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        counts[0] += 1
                    if stop.is_set():
                        break


def _poll(base: str, cookies: dict[str, str], url: str, stop: threading.Event, counts: list[int]) -> None:
    import httpx

    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as c:
        while not stop.wait(2.0):
            c.get(url)
            counts[0] += 1


def _writer(settings: object, run_id: str, stop: threading.Event) -> None:
    """A running run: one instance changes state every 0.5 s, as a scheduler commits."""
    from legato.store import tries as try_store
    from legato.store.db import open_engine

    engine = open_engine(settings.database_url)                   # type: ignore[attr-defined]
    while not stop.wait(0.5):          # every write changes what a page shows
        n = next(_WRITES)
        row = try_store.InstanceRow(run_id, f"task_{n % 100:03d}", -1, STATES[n // 100 % len(STATES)], 1,
                                    None, None, None, None, None)
        with engine.begin() as conn:
            try_store.update_instances(conn, [row])


def live_cost(base: str, cookies: dict[str, str], pid: int, topics: list[str], seconds: float,
              writer: Any | None, poll: bool = False) -> tuple[float, int]:
    """(server CPU % of one core, messages received) with the pages open for `seconds`."""
    stop, counts = threading.Event(), [0]
    target = _poll if poll else _listen
    threads = [threading.Thread(target=target, args=(base, cookies, t, stop, counts), daemon=True)
               for t in topics]
    if writer is not None:
        threads.append(threading.Thread(target=writer, args=(stop,), daemon=True))
    for t in threads:
        t.start()
    time.sleep(3)                                     # connected, first payloads sent
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used = (cpu_seconds(pid) - c0) / (time.monotonic() - t0) * 100
    stop.set()
    return used, counts[0]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY database (default: SQLite in a temporary home)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="legato-ui-bench-"))
    dags = home / "dags"
    dags.mkdir()
    (dags / "big.py").write_text(dag_source(args.tasks))
    os.environ.update(LEGATO_HOME=str(home), LEGATO_DAGS=str(dags), LEGATO_RATE_LIMIT="1000000/60")
    if args.database_url:
        os.environ["LEGATO_DATABASE_URL"] = args.database_url
    import httpx

    from legato.config import load_settings
    from legato.security import create_token

    settings = load_settings()
    t0 = time.perf_counter()
    run_ids = seed(settings, args.runs)
    seeded = time.perf_counter() - t0
    token, _ = create_token(settings, "viewer", "bench")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = serve(port)
    base = f"http://127.0.0.1:{port}"
    last = quote(run_ids[-1], safe="")
    pages = [("DAG list", "/ui/dags"), ("grid, 25 runs", "/ui/dags/big/grid"),
             ("grid, 50 runs", "/ui/dags/big/grid?runs=50"), ("grid, 250 runs", "/ui/dags/big/grid?runs=250"),
             ("grid live JSON, 25 runs", "/ui/api/dags/big/grid?runs=25"), ("graph", "/ui/dags/big/graph"),
             ("Gantt of a run", f"/ui/dags/big/gantt?run_id={last}"), ("run page", f"/ui/runs/{last}"),
             ("task page", f"/ui/runs/{last}/tasks/task_055"),
             ("durations, 50 runs", "/ui/dags/big/durations"), ("calendar", "/ui/dags/big/calendar")]
    print(f"store: {settings.database_url.split('://')[0]}, {args.runs} runs x {args.tasks} tasks "
          f"({args.runs * args.tasks} task instances) seeded in {seeded:.1f} s; "
          f"median of {args.requests} requests after one warm-up\n")
    print(f"{'page':<26}{'server ms':>11}{'max ms':>10}{'KiB':>9}{'KiB gzip':>10}")
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.post("/ui/login", data={"token": token}).status_code == 303
            cookies = dict(client.cookies)
            for label, url in pages:
                median, worst, size, wire = timed(client, url, args.requests)
                print(f"{label:<26}{median:>11.1f}{worst:>10.1f}{size / 1024:>9.1f}{wire / 1024:>10.1f}")
        _live_table(base, cookies, proc.pid, settings, run_ids, args.live_seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _live_table(base: str, cookies: dict[str, str], pid: int, settings: object, run_ids: list[str],
                seconds: float) -> None:
    grid = "/ui/api/dags/big/grid?runs=25"
    running = run_ids[-1]

    def writer(stop: threading.Event) -> None:
        _writer(settings, running, stop)

    runs = [f"/ui/api/runs/{quote(r, safe='')}" for r in run_ids[-PAGES:]]
    idle_cpu = live_cost(base, cookies, pid, [], seconds, None)[0]
    cases = [("20 SSE pages, one grid, idle store", [grid] * PAGES, None, False),
             ("20 SSE pages, one grid, run changing", [grid] * PAGES, writer, False),
             ("20 SSE pages, 20 run pages, changing", runs, writer, False),
             ("20 pages polling the grid JSON / 2 s", [grid] * PAGES, writer, True),
             ("no page open, run changing", [], writer, False)]
    print(f"\nlive channel, {seconds:g} s each (server CPU, % of one core; idle server: {idle_cpu:.1f} %)")
    print(f"{'case':<42}{'CPU %':>8}{'per page %':>12}{'messages':>10}")
    for label, topics, write, poll in cases:
        used, messages = live_cost(base, cookies, pid, topics, seconds, write, poll)
        per = used / len(topics) if topics else 0.0
        print(f"{label:<42}{used:>8.1f}{per:>12.2f}{messages:>10}")
    print(json.dumps({"note": "CPU of the server process only; the writer and the clients run in this one"}))


if __name__ == "__main__":
    main()
