"""Operating runs from the web UI (issue 12) in Debian's chromium against a real `legato up`
(scheduler + server): one server and one browser for the whole module, each test a new
context at 1024 px, controls found by role and accessible name.

- an operator puts back a failed task's missing input, clears the task with its downstream
  from the task page, confirms the listed tasks and watches the run page (no reload) show the
  cells back to scheduled and then green — a note typed there but not saved survives the
  page's live swaps;
- opens a failed task from its grid cell, marks it success with its downstream and sees the run
  recomputed success;
- retries a failed run from the run page: the failed tasks run again (try 2), the task that
  had succeeded keeps its one try;
- cancels a running run (a slow task) and sees it end `cancelled`;
- edits the run's note;
- a viewer sees none of the controls and is refused (403) when posting anyway;
- axe-core finds no serious violation on the run page with its controls, the confirmation and
  the task page, light and dark, and none of them scrolls sideways at 1024 px.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from e2e_support import Browser, Page, UiSite, axe_serious, expect, legato_up, ui_login

from waiting import eventually

pytestmark = pytest.mark.e2e
WIDE = {"viewport": {"width": 1024, "height": 800}}
LIVE_S = 30_000                                      # ms: a live update, a scheduler step

DAGS = '''\
import os
import time
from pathlib import Path

from legato import DAG, task

FILES = Path(os.environ["UI_RUN_OPS_FILES"])


def wait_for(name, limit_s):
    deadline = time.monotonic() + limit_s
    while not (FILES / name).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


with DAG("ops_demo", params={"input": "", "gate": ""}) as dag:
    @task
    def extract():
        return 2

    @task
    def report(n, ctx):
        path = FILES / ctx.params["input"]
        if not path.is_file():
            raise FileNotFoundError(f"the input {path.name} is not there yet")
        if ctx.params["gate"]:
            wait_for(ctx.params["gate"], 60)
        return path.read_text() * n

    @task
    def publish(text):
        return text.upper()

    publish(report(extract()))

with DAG("slow_demo") as slow:
    @task
    def crunch():
        wait_for("release-slow", 90)
        return 1

    crunch()
'''


@dataclass
class Site:
    base: str
    tokens: dict[str, str]
    files: Path
    api: httpx.Client                                # as the operator

    def run(self, run_id: str) -> dict[str, Any]:
        return self.api.get(f"/runs/{quote(run_id, safe='')}").json()

    def trigger(self, dag_id: str, logical_date: str | None = None, **params: str) -> str:
        body: dict[str, Any] = {"params": params} if params else {}
        if logical_date:
            body["logical_date"] = logical_date
        created = self.api.post(f"/dags/{dag_id}/runs", json=body)
        assert created.status_code == 201, created.text
        return created.json()["run_id"]

    def until(self, run_id: str, *states: str) -> dict[str, Any]:
        return eventually(lambda: (r := self.run(run_id))["state"] in states and r, 60,
                          what=f"run {run_id} to be {' or '.join(states)}",
                          explain=lambda: str(self.run(run_id)))

    def failed_run(self, name: str, gate: str = "", logical_date: str | None = None) -> str:
        """A run of ops_demo whose `report` failed: its input file `name` is missing."""
        run_id = self.trigger("ops_demo", logical_date, input=name, gate=gate)
        run = self.until(run_id, "failed", "success")
        assert run["tasks"]["report"]["state"] == "failed", run
        assert run["tasks"]["publish"]["state"] == "upstream_failed", run
        return run_id

    def page(self, browser: Browser, role: str) -> Page:
        return ui_login(browser, UiSite(self.base, self.tokens, {}, self.files), role, **WIDE)

    def url(self, run_id: str, task_id: str | None = None) -> str:
        return f"{self.base}/ui/runs/{quote(run_id, safe='')}" + (f"/tasks/{task_id}" if task_id else "")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("ui-run-ops")
    dags, files = root / "dags", root / "files"
    dags.mkdir()
    files.mkdir()
    (dags / "ops_demo.py").write_text(DAGS)
    env = {**os.environ, "LEGATO_HOME": str(root / "home"), "LEGATO_DAGS": str(dags),
           "UI_RUN_OPS_FILES": str(files), "LEGATO_DAGS_PAUSED_AT_CREATION": "false"}
    env.pop("LEGATO_DATABASE_URL", None)
    with legato_up(env) as (base, tokens):
        headers = {"Authorization": f"Bearer {tokens['operator']}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as api:
            def loaded() -> bool:
                return {d["dag_id"] for d in api.get("/dags").json()["dags"]} >= {"ops_demo", "slow_demo"}

            eventually(loaded, 30, what="the DAGs to load", explain=lambda: api.get("/dags").text)
            try:
                yield Site(base, tokens, files, api)
            finally:
                for gate in ("release-slow", "gate-clear"):
                    (files / gate).touch()                      # no task left waiting


def same_document(*pages: Page) -> None:
    for page in pages:
        page.evaluate("window.__sameDocument = true")


def reloaded(page: Page) -> bool:
    return not page.evaluate("window.__sameDocument === true")


def badge(page: Page, task_id: str) -> Any:
    return page.locator(f'tr[data-row="{task_id}"] .badge')


def test_clear_with_downstream_from_the_task_page_turns_the_run_green_live(module_browser: Browser,
                                                                             site: Site) -> None:
    run_id = site.failed_run("input-clear", gate="gate-clear")
    page = site.page(module_browser, "operator")
    watch = page.context.new_page()                 # the run page, left open through it all
    errors: list[str] = []
    for p in (page, watch):
        p.on("console", lambda m: m.type == "error" and errors.append(m.text))
    watch.goto(site.url(run_id))
    expect(watch.locator("#run-state")).to_have_text("failed")
    watch.get_by_label("Run note").fill("checking the input")           # typed, not saved
    same_document(watch)

    (site.files / "input-clear").write_text("rows;")                 # the operator fixes the input
    page.goto(site.url(run_id, "report"))
    expect(page.get_by_role("heading", name=re.compile("Task report"))).to_contain_text("failed")
    page.get_by_role("checkbox", name="Downstream").check()
    page.get_by_role("button", name="Clear…").click()
    listed = page.get_by_role("list", name="Tasks that will be cleared").get_by_role("listitem")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("report")
    expect(listed.nth(1)).to_contain_text("publish")
    assert site.run(run_id)["state"] == "failed"                       # nothing cleared before confirming
    page.get_by_role("button", name="Clear 2 tasks").click()
    expect(page).to_have_url(re.compile(r"/tasks/report\?done="))
    expect(page.get_by_role("status")).to_have_text("Cleared 2 tasks: they run again in this run.")

    # report waits on its gate (running); publish is back to scheduled behind it
    expect(badge(watch, "publish")).to_have_text("scheduled", timeout=LIVE_S)
    expect(badge(watch, "report")).to_have_text("running", timeout=LIVE_S)
    expect(watch.locator("#run-state")).to_have_text("running")
    same_document(page)
    (site.files / "gate-clear").touch()
    for task_id in ("extract", "report", "publish"):
        expect(badge(watch, task_id)).to_have_text("success", timeout=LIVE_S)
    expect(watch.locator("#run-state")).to_have_text("success", timeout=LIVE_S)
    expect(page.locator("#task-state")).to_have_text("success", timeout=LIVE_S)
    assert not reloaded(watch) and not reloaded(page), "a page reloaded"
    expect(watch.get_by_label("Run note")).to_have_value("checking the input")  # kept through the swaps
    expect(watch.locator('tr[data-row="report"] td.num').first).to_have_text("2")   # try 2
    assert site.run(run_id)["tasks"]["extract"]["tries"] == 1
    assert not errors, errors
    page.context.close()


def test_mark_a_failed_task_success_recomputes_the_run(module_browser: Browser, site: Site) -> None:
    run_id = site.failed_run("input-mark", logical_date="2024-05-02T00:00:00")
    page = site.page(module_browser, "operator")
    page.goto(f"{site.base}/ui/dags/ops_demo/grid")                    # the task page, from its grid cell
    page.get_by_role("link", name=re.compile(r"^report, 2024-05-02 00:00:00 UTC: failed")).click()
    expect(page).to_have_url(site.url(run_id, "report"))
    page.get_by_role("checkbox", name="Downstream").check()
    page.once("dialog", lambda dialog: dialog.accept())            # "Mark report success? ..."
    page.get_by_role("button", name="Mark success").click()
    expect(page.get_by_role("status")).to_have_text("Marked 2 tasks success.")
    expect(page.locator("#task-state")).to_have_text("success")
    page.get_by_role("link", name=run_id).first.click()
    expect(page.locator("#run-state")).to_have_text("success")
    expect(badge(page, "publish")).to_have_text("success")
    run = site.run(run_id)
    assert run["state"] == "success" and run["tasks"]["report"]["tries"] == 1      # nothing ran
    page.context.close()


def test_retry_failed_from_the_run_page(module_browser: Browser, site: Site) -> None:
    run_id = site.failed_run("input-retry")
    page = site.page(module_browser, "operator")
    page.goto(site.url(run_id))
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)   # a finished run
    (site.files / "input-retry").write_text("ok;")
    page.get_by_role("button", name="Retry failed…").click()
    listed = page.get_by_role("list", name="Tasks that will be cleared").get_by_role("listitem")
    expect(listed).to_have_text([re.compile("^report"), re.compile("^publish")])
    page.get_by_role("button", name="Clear 2 tasks").click()
    expect(page.get_by_role("status")).to_contain_text("Retrying from failure: 2 tasks cleared")
    expect(page.locator("#run-state")).to_have_text("success", timeout=LIVE_S)
    expect(page.get_by_role("button", name="Retry failed…")).to_have_count(0)
    run = site.run(run_id)
    assert {t: r["tries"] for t, r in run["tasks"].items()} == {"extract": 1, "report": 2, "publish": 1}
    page.context.close()


def test_cancel_a_running_run(module_browser: Browser, site: Site) -> None:
    run_id = site.trigger("slow_demo")
    eventually(lambda: site.run(run_id)["tasks"]["crunch"]["state"] == "running", 60,
               what="the slow task to start")
    page = site.page(module_browser, "operator")
    page.goto(site.url(run_id))
    expect(page.locator("#run-state")).to_have_text("running")
    page.once("dialog", lambda dialog: dialog.accept())            # "Cancel run ...? Tries in flight ..."
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_role("status")).to_contain_text("Run cancelled", timeout=LIVE_S)
    expect(page.locator("#run-state")).to_have_text("cancelled", timeout=LIVE_S)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    assert site.until(run_id, "cancelled")["state"] == "cancelled"
    page.context.close()


def test_edit_the_run_note(module_browser: Browser, site: Site) -> None:
    run_id = site.failed_run("input-note")
    page = site.page(module_browser, "operator")
    page.goto(site.url(run_id))
    page.get_by_label("Run note").fill("input late from the vendor; re-run after 10:00")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_have_text("Note saved.")
    expect(page.locator("#note-text")).to_have_text("input late from the vendor; re-run after 10:00")
    expect(page.get_by_label("Run note")).to_have_value("input late from the vendor; re-run after 10:00")
    assert site.run(run_id)["note"] == "input late from the vendor; re-run after 10:00"
    page.goto(site.url(run_id, "report"))
    expect(page.locator("#note-text")).to_have_text("input late from the vendor; re-run after 10:00")
    page.context.close()


def test_a_viewer_sees_no_controls_and_is_refused(module_browser: Browser, site: Site) -> None:
    run_id = site.failed_run("input-viewer")
    page = site.page(module_browser, "viewer")
    for url in (site.url(run_id), site.url(run_id, "report")):
        page.goto(url)
        expect(page.locator("#run-state, #task-state").first).to_be_visible()
        for name in ("Clear…", "Mark success", "Mark failed", "Retry failed…", "Cancel run", "Save note"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_label("Run note")).to_have_count(0)
        expect(page.get_by_role("checkbox")).to_have_count(0)
    statuses = page.evaluate("""async (run) => {
        const csrf = document.querySelector('input[name=csrf]').value, out = {};
        for (const action of ['clear', 'retry', 'mark', 'cancel', 'note']) {
            const body = new URLSearchParams({csrf, task_id: 'report', state: 'success', note: 'x',
                                              confirm: 'report,publish'});
            const r = await fetch('/ui/runs/' + encodeURIComponent(run) + '/' + action,
                                  {method: 'POST', body, redirect: 'manual'});
            out[action] = r.status;
        }
        return out;
    }""", run_id)
    assert statuses == {"clear": 403, "retry": 403, "mark": 403, "cancel": 403, "note": 403}
    run = site.run(run_id)
    assert run["state"] == "failed" and run["note"] is None
    page.context.close()


def post_error(page: Page, run_id: str) -> None:
    """Post a cancel of a finished run as a form would: the run page comes back with a 409 alert."""
    with page.expect_navigation():
        page.evaluate("""(run) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/ui/runs/' + encodeURIComponent(run) + '/cancel';
            form.appendChild(document.querySelector('input[name=csrf]').cloneNode());
            document.body.appendChild(form);
            form.submit();
        }""", run_id)


def test_the_controls_pass_axe_in_both_themes_at_1024_px(module_browser: Browser, site: Site) -> None:
    failed, running = site.failed_run("input-axe"), site.trigger("slow_demo")
    eventually(lambda: site.run(running)["state"] == "running", 60, what="the slow run to start")
    page = site.page(module_browser, "operator")
    visits = {
        "run": lambda: page.goto(site.url(failed) + "?done=note"),            # with a message
        "running run": lambda: page.goto(site.url(running)),
        "task": lambda: page.goto(site.url(failed, "report")),
        "confirmation": lambda: (page.get_by_role("checkbox", name="Downstream").check(),
                                 page.get_by_role("button", name="Clear…").click()),
        "error": lambda: post_error(page, failed),
    }
    found: dict[str, list[str]] = {}
    shots = os.environ.get("LEGATO_UI_SCREENSHOTS")        # also saves the confirmation, light and dark
    try:
        for theme in ("light", "dark"):
            page.emulate_media(color_scheme=theme)
            for name, visit in visits.items():
                visit()
                expect(page.locator("h1")).to_be_visible()
                if name == "error":
                    expect(page.get_by_role("alert")).to_contain_text("nothing to cancel")
                if shots and name == "confirmation":
                    page.screenshot(path=str(Path(shots) / f"clear-{theme}.png"))
                bad = axe_serious(page)
                if bad:
                    found[f"{name} ({theme})"] = bad
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 1024, f"the {name} page ({theme}) scrolls sideways: {width} px"
    finally:
        site.api.post(f"/runs/{quote(running, safe='')}/cancel")
    assert not found, found
    page.context.close()
