"""The web UI in a real browser: Debian's chromium driven by Playwright against `legato up`.

An operator logs in with a pasted token, opens the DAG list, clicks Trigger, and watches the
run's cells in the grid turn green without the page reloading (the first task waits for a gate
file, so the cells are seen not green first); then opens the task's log and reads what the task
printed. A viewer sees no Trigger button and is refused when it posts anyway.

Chromium is never downloaded: `.ci/run` installs Debian's package. Without it these tests
skip on a laptop and FAIL under CI (`CI` set), so a CI machine cannot silently lose them. The
`browser` fixture is in conftest.py; starting `legato up` and logging in are in e2e_support.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_support import Browser, Up, expect, legato_up, login, need

pytestmark = pytest.mark.e2e

DAG_SOURCE = """\
import os
import time

from legato import DAG, task

with DAG('ui_demo') as dag:
    @task
    def shout():
        print('browser test says hi')
        deadline = time.monotonic() + 60
        while not os.path.exists(os.environ['UI_TEST_GATE']) and time.monotonic() < deadline:
            time.sleep(0.05)
        return 1

    @task
    def after(x):
        return x + 1

    after(shout())
"""


@pytest.fixture
def up(tmp_path: Path, legato_home: Path) -> Iterator[Up]:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ui_demo.py").write_text(DAG_SOURCE)
    gate = tmp_path / "gate"
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "UI_TEST_GATE": str(gate)}
    with legato_up(env) as (base, tokens):
        try:
            yield Up(base, tokens, gate)
        finally:
            gate.touch()                               # never leave a task waiting


def test_operator_triggers_and_watches_the_run_turn_green(browser: Browser, up: Up) -> None:
    page = login(browser, up, "operator")
    row = page.locator('tr[data-dag="ui_demo"]')
    expect(row).to_be_visible()
    row.get_by_role("link", name="Trigger ui_demo").click()
    expect(page).to_have_url(f"{up.base}/ui/dags/ui_demo/trigger")
    page.once("dialog", lambda dialog: dialog.accept())             # "Trigger a run of ui_demo?"
    page.get_by_role("button", name="Trigger run").click()
    expect(page).to_have_url(f"{up.base}/ui/dags/ui_demo/grid")

    shout = page.locator('tr[data-task="shout"] a.cell')
    after = page.locator('tr[data-task="after"] a.cell')
    expect(shout).to_have_count(1)
    assert "s-success" not in (shout.get_attribute("class") or "")   # the gate holds the run
    page.evaluate("window.__sameDocument = true")
    up.gate.touch()
    expect(shout).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    expect(after).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    expect(page.locator('a.cell.run')).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"

    shout.click()
    expect(page).to_have_url(re.compile(r"/ui/runs/[^/]+/tasks/shout$"))
    page.get_by_role("link", name="Log of try 1").first.click()
    expect(page).to_have_url(re.compile(r"/ui/runs/[^/]+/tasks/shout/logs$"))
    expect(page.locator("#log")).to_contain_text("browser test says hi")
    expect(page.locator("#tries a.active")).to_have_text("1")

    page.goto(f"{up.base}/ui/dags/ui_demo/graph")
    boxes = page.locator("svg.graph rect.box")
    expect(boxes).to_have_count(2)
    first, second = (boxes.nth(i).bounding_box() for i in range(2))
    assert first and second and first["width"] > 100                   # drawn at its laid-out size
    assert second["x"] > first["x"] + first["width"]                    # `after` is right of `shout`
    expect(boxes.first).to_have_class(re.compile(r"\bs-success\b"))


def test_viewer_cannot_see_or_use_the_buttons(browser: Browser, up: Up) -> None:
    page = login(browser, up, "viewer")
    expect(page.locator('tr[data-dag="ui_demo"]')).to_be_visible()
    expect(page.locator(".trigger")).to_have_count(0)
    expect(page.locator("button.pause-toggle")).to_have_count(0)
    status = page.evaluate("""async () => {
        const csrf = document.querySelector('input[name=csrf]').value;
        const r = await fetch('/ui/dags/ui_demo/trigger', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'csrf=' + encodeURIComponent(csrf), redirect: 'manual'});
        return r.status;
    }""")
    assert status == 403
    with httpx.Client(base_url=f"{up.base}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {up.tokens['viewer']}"}) as api:
        assert api.get("/runs", params={"dag_id": "ui_demo"}).json() == []


def test_dag_list_shows_a_new_run_without_a_reload(browser: Browser, up: Up) -> None:
    page = login(browser, up, "viewer")
    cells = page.locator('tr[data-dag="ui_demo"] a.cell')
    expect(cells).to_have_count(0)
    page.evaluate("window.__sameDocument = true")
    with httpx.Client(base_url=f"{up.base}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {up.tokens['operator']}"}) as api:
        assert api.post("/dags/ui_demo/runs", json={}).status_code == 201
    expect(cells).to_have_count(1, timeout=30_000)          # swapped in by the poll
    assert "s-success" not in (cells.get_attribute("class") or "")
    up.gate.touch()
    expect(cells).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="required under CI"):
        need("/usr/bin/chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        need("/usr/bin/chromium")
