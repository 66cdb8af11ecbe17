#!/usr/bin/env python3
"""Web UI under load: 1,000 runs of a 100-task DAG in the store, pages timed over real HTTP.

Usage: python benchmarks/ui.py [--runs 1000] [--tasks 100] [--requests 15] [--database-url URL]

Seeds a new temporary store through the store modules (one transaction: the runs with
`runs.insert_run`, their task instances with `tries.insert_instances`, 100,000 rows; then
ANALYZE on PostgreSQL, as autovacuum would after such an insert), starts
the app with uvicorn on a free loopback port, logs in as a UI user, and times each page (one
warm-up request, then the median of --requests) with the session cookie: the DAG list, the
grid (default 25 runs and 100 runs), the grid's JSON poll, the graph and one run's page. It
reports; it does not test (exit 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


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
    engine = open_engine(settings.database_url)                   # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":    # fresh statistics, as autovacuum keeps them: else the
        with engine.connect() as conn:         # planner scans 100,000 instances for 2,500
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return ids


def serve(app: object) -> tuple[str, object, threading.Thread]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server, thread


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--requests", type=int, default=15)
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
    from legato.server.app import create_app

    settings = load_settings()
    t0 = time.perf_counter()
    run_ids = seed(settings, args.runs)
    seeded = time.perf_counter() - t0
    token, _ = create_token(settings, "viewer", "bench")
    base, server, thread = serve(create_app(settings))
    pages = [("DAG list", "/ui/dags"), ("grid, 25 runs", "/ui/dags/big/grid"),
             ("grid, 100 runs", "/ui/dags/big/grid?runs=100"),
             ("grid JSON poll, 25 runs", "/ui/api/dags/big/grid?runs=25"),
             ("graph", "/ui/dags/big/graph"), ("run page", f"/ui/runs/{run_ids[len(run_ids) // 2]}")]
    print(f"store: {settings.database_url.split('://')[0]}, {args.runs} runs x {args.tasks} tasks "
          f"({args.runs * args.tasks} task instances) seeded in {seeded:.1f} s; "
          f"median of {args.requests} requests after one warm-up\n")
    print(f"{'page':<26}{'median ms':>11}{'max ms':>10}{'KiB':>9}{'KiB gzip':>10}")
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.post("/ui/login", data={"token": token}).status_code == 303
        for label, url in pages:
            median, worst, size, wire = timed(client, url, args.requests)
            print(f"{label:<26}{median:>11.1f}{worst:>10.1f}{size / 1024:>9.1f}{wire / 1024:>10.1f}")
    server.should_exit = True                                     # type: ignore[attr-defined]
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
