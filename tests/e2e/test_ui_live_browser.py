"""Live pages against a real `legato up` (scheduler + server) in Debian's chromium.

A log page opened before its task has started a try shows the try's lines from the first one
as they are written, without a reload; the run page's tries and end times and the task page
follow; and `legato up` still stops at once on SIGTERM while a page holds a live stream open
(uvicorn waits for open responses, so the hub ends its streams when the process is asked to
stop).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from e2e_support import Browser, Up, expect, legato_up, login

pytestmark = pytest.mark.e2e

DAG_SOURCE = """\
import os
import time

from legato import DAG, task

def wait(name):
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(os.environ['UI_TEST_GATE'], name)) and time.monotonic() < deadline:
        time.sleep(0.05)

with DAG('live_demo') as dag:
    @task
    def warm_up():
        wait('g0')
        return 1

    @task
    def chatty(x):
        print('first line')
        time.sleep(1.2)                 # a try older than a second writes its log as it goes
        print('still working')
        wait('g1')
        print('second line')
        return x

    chatty(warm_up())
"""


@pytest.fixture
def up(tmp_path: Path, legato_home: Path) -> Iterator[Up]:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "live_demo.py").write_text(DAG_SOURCE)
    gates = tmp_path / "gates"
    gates.mkdir()
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "UI_TEST_GATE": str(gates)}
    with legato_up(env) as (base, tokens):
        try:
            yield Up(base, tokens, gates)
        finally:
            for name in ("g0", "g1"):
                (gates / name).touch()


def test_a_log_page_follows_a_try_from_its_first_line(browser: Browser, up: Up) -> None:
    with httpx.Client(base_url=f"{up.base}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {up.tokens['operator']}"}) as api:
        run_id = api.post("/dags/live_demo/runs", json={}).json()["run_id"]
    page = login(browser, up, "viewer")
    page.goto(f"{up.base}/ui/runs/{quote(run_id, safe='')}/tasks/chatty/logs")
    expect(page.locator("#log-waiting")).to_contain_text("has not started a try yet")
    run_page = page.context.new_page()
    run_page.goto(f"{up.base}/ui/runs/{quote(run_id, safe='')}")
    page.evaluate("window.__sameDocument = true")
    run_page.evaluate("window.__sameDocument = true")
    (up.gate / "g0").touch()
    log = page.get_by_label("Log lines")
    expect(log).to_contain_text("first line", timeout=30_000)                # the try is still running
    expect(page.locator("#L1")).to_contain_text("try 1 of live_demo.chatty started")
    expect(page.locator("#log-state")).to_have_text("running")
    assert "second line" not in log.inner_text()
    (up.gate / "g1").touch()
    expect(log).to_contain_text("second line", timeout=30_000)
    expect(page.locator("#log-state")).to_have_text("success", timeout=30_000)
    assert page.evaluate("window.__sameDocument === true"), "the log page reloaded"
    row = run_page.locator('tr[data-row="chatty"]')
    expect(row.locator(".badge")).to_have_text("success", timeout=30_000)
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d "))   # Ended, filled in live
    expect(run_page.locator("#run-state")).to_have_text("success", timeout=30_000)
    assert run_page.evaluate("window.__sameDocument === true"), "the run page reloaded"


def test_legato_up_stops_at_once_with_a_live_page_open(browser: Browser, tmp_path: Path,
                                                       legato_home: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "live_demo.py").write_text(DAG_SOURCE)
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "UI_TEST_GATE": str(tmp_path)}
    with legato_up(env) as (base, tokens):
        page = login(browser, Up(base, tokens, tmp_path), "viewer")
        streams = page.evaluate("""() => new Promise(resolve => {
            const s = new EventSource('/ui/api/live?topic=' + encodeURIComponent('/ui/api/dags'));
            s.onmessage = () => resolve(s.readyState);
        })""")
        assert streams == 1                                   # a stream is open and has spoken
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10, "legato up waited for the open live stream"
