"""Helpers the end-to-end tests share: `legato up` as a subprocess on a free loopback port, and
for the browser tests Debian's chromium (never downloaded) and logging in with a pasted token.

tests/e2e has no __init__.py, so pytest (default "prepend" import mode) puts this folder on
sys.path and the tests import this module as `e2e_support`; conftest.py registers it for assert
rewriting and defines the `browser` fixture.

Without /usr/bin/chromium or the playwright package the browser tests skip on a laptop and FAIL
under CI (`CI` set), so a CI machine cannot silently lose them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from process_support import free_port
from waiting import answers, eventually

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:                   # pragma: no cover - test extras missing: `browser` skips or fails
    Browser = Page = expect = sync_playwright = None  # type: ignore[assignment,misc]

CHROMIUM = Path("/usr/bin/chromium")


def need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI (.ci/run installs it)")
    pytest.skip(f"{what} is not available")


@dataclass
class Up:
    base: str
    tokens: dict[str, str]
    gate: Path


@contextmanager
def legato_up(env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """Create a viewer and an operator token, run `legato up` on a free port with `env`, and yield
    its base URL and the tokens once /api/v1/health answers; then SIGTERM it: it must exit 0."""
    cli = [sys.executable, "-m", "legato.cli.main"]
    tokens = {role: subprocess.run([*cli, "tokens", "create", "--role", role, "--name", role], env=env,
                                   capture_output=True, text=True, check=True).stdout.strip()
              for role in ("viewer", "operator")}
    port = free_port()
    proc = subprocess.Popen([*cli, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: answers(f"{base}/api/v1/health", timeout_s=1), 30, alive=proc,
                   what="legato up to answer",
                   explain=lambda: "" if proc.poll() is None else proc.communicate()[0])
        yield base, tokens
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out


def login(browser: Browser, up: Up, role: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{up.base}/ui/dags")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))      # no session: sent to log in
    page.fill("#token", up.tokens[role])
    page.click("#login")
    expect(page).to_have_url(f"{up.base}/ui/dags")
    return page


# -- the web UI's browser tests: one seeded store and one server per module ------------------

UI_ETL_DAG = '''\
from legato import DAG, Skip, task
from legato.tasks import ShellTask

with DAG("etl", description="Extract, branch, map and fail: every state the UI draws",
         params={"limit": 3, "ratio": 0.5, "name": "world", "dry_run": False, "day": "2024-01-01",
                 "options": {"mode": "fast"}}, tags=["demo"]) as dag:
    @task
    def extract():
        print("extracting")
        return [1, 2, 3]

    @task.branch
    def choose():
        return "fast_path"

    @task
    def fast_path():
        return "fast"

    @task
    def slow_path():
        return "slow"

    @task
    def load(x):
        if x == 2:
            raise Skip("two is skipped")
        return x * 10

    @task
    def report():
        print("about to fail")
        raise RuntimeError("the report service is down")

    @task
    def publish(r):
        return r

    rows = extract()
    rows >> choose() >> [fast_path(), slow_path()]
    load.expand(x=rows)
    publish(report())
    ShellTask("greet", command="echo hello {{ params.name }} on {{ ds }}")
'''

UI_DAILY_DAG = '''\
from legato import DAG, task

with DAG("daily", schedule="@daily", start_date="2024-01-01", tags=["nightly"]) as dag:
    @task
    def tick():
        return 1

    @task
    def tock(x):
        return x + 1

    tock(tick())
'''


@dataclass
class UiSite:
    base: str
    tokens: dict[str, str]
    runs: dict[str, str]          # "failed", "queued", "running", "daily" -> run id
    home: Path


def seed_ui_store(dags: Path) -> dict[str, str]:
    """Runs with failed, skipped, mapped and upstream-failed instances (a real run of `etl`),
    three successful `daily` runs, and a queued and a running run written to the store as a
    scheduler would have left them (no scheduler runs here, so they stay as they are)."""
    from datetime import UTC, datetime, timedelta

    from legato.authoring.loader import load_folder
    from legato.config import load_settings
    from legato.store import runs as run_store
    from legato.store import tries as try_store
    from legato.store.db import open_engine

    (dags / "etl.py").write_text(UI_ETL_DAG)
    (dags / "daily.py").write_text(UI_DAILY_DAG)
    loaded = {d.dag_id: d for d in load_folder(dags).dags}
    runs = {"failed": loaded["etl"].run().run_id}
    for day in (1, 2, 3):
        runs["daily"] = loaded["daily"].run(logical_date=f"2024-03-0{day}").run_id
    now = datetime.now(UTC)
    engine = open_engine(load_settings().database_url)
    keys = [(t, -1) for t in loaded["etl"].tasks]
    for name, state, when in (("queued", "queued", now), ("running", "running", now - timedelta(minutes=1))):
        run = run_store.RunRow(f"manual__ui_{name}", "etl", "manual", when, when, when, state, {}, None, when,
                               when if state == "running" else None, None)
        with engine.begin() as conn:
            run_store.insert_run(conn, run)
            try_store.insert_instances(conn, run.run_id, keys, "scheduled")
            if state == "running":
                row = try_store.InstanceRow
                try_store.update_instances(conn, [
                    row(run.run_id, "extract", -1, "success", 1, None, when, when, None, None),
                    row(run.run_id, "report", -1, "running", 1, None, now, None, None, None),
                    row(run.run_id, "choose", -1, "queued", 0, None, None, None, None, None)])
        runs[name] = run.run_id
    return runs


@contextmanager
def ui_site(root: Path) -> Iterator[UiSite]:
    """A seeded store (seed_ui_store) served by a real uvicorn in this process, a token per role,
    one stored connection and variable; for a module of browser tests (see module_browser)."""
    from legato.authoring.variables import Connection
    from legato.config import load_settings
    from legato.security.secrets import SecretStore
    from server_harness import serving

    home, dags = root / "home", root / "dags"
    dags.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        env = {"LEGATO_HOME": str(home), "LEGATO_DAGS": str(dags), "LEGATO_RATE_LIMIT": "100000/60",
               "LEGATO_DAGS_PAUSED_AT_CREATION": "false"}
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("LEGATO_DATABASE_URL", raising=False)
        runs = seed_ui_store(dags)
        settings = load_settings()
        store = SecretStore(settings.database_url, settings.home)
        store.add_connection(Connection(conn_id="warehouse", conn_type="postgres", host="db.internal",
                                        login="etl", password="s3cret-pw", port=5432))
        store.set_variable("api_key", "v3ry-secret")
        with serving(dags) as start:
            live = start()
            yield UiSite(live.base, live.tokens, runs, home)


def ui_login(browser: Browser, site: UiSite, role: str, **context: object) -> Page:
    """A new context (its own cookies) logged in as `role`, on the DAG list."""
    page = browser.new_context(**context).new_page()            # type: ignore[arg-type]
    page.goto(f"{site.base}/ui/login")
    page.get_by_label("Token").fill(site.tokens[role])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site.base}/ui/dags")
    return page


def axe_serious(page: Page) -> list[str]:
    """The serious and critical axe-core violations of `page` as it is now, one line each (the
    copy of axe-core that the axe-playwright-python test extra ships; no network)."""
    try:
        import axe_playwright_python
    except ImportError:
        pytest.fail("the axe-playwright-python package (test extra) ships the axe-core the check uses")
    page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in result["violations"] if v.get("impact") in ("serious", "critical")]
