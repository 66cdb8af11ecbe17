"""The web UI's pages in Debian's chromium (Playwright), over one seeded store and one server for
the whole module (e2e_support.ui_site): a real run with failed, skipped (by a branch and by the
task itself), mapped and upstream-failed instances, a queued and a running run, three daily runs.

- a crawl from the DAG list follows every same-origin link (grids, graphs, runs, task pages,
  logs, time views, forms, admin pages) and none answers 4xx/5xx;
- axe-core (the copy the axe-playwright-python package ships; no network) finds no serious or
  critical violation on any page type, in the light and the dark theme, and no page logs a
  console error; with LEGATO_UI_SCREENSHOTS=<folder> the same visit saves a PNG of each;
- then each feature, found by role and accessible name as a person would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest
from e2e_support import Browser, Page, UiSite, expect, ui_login, ui_site

pytestmark = pytest.mark.e2e
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiSite]:
    with ui_site(tmp_path_factory.mktemp("ui-site")) as found:
        yield found


@pytest.fixture
def admin_page(module_browser: Browser, site: UiSite) -> Iterator[Page]:
    page = ui_login(module_browser, site, "admin")
    yield page
    page.context.close()


def q(value: str) -> str:
    return quote(value, safe="")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _same_origin_links(base: str, url: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        target = urljoin(url, href)
        parts = urlsplit(target)
        if target.startswith(base) and parts.path.startswith("/ui") and parts.path != "/ui/logout":
            out.append(parts._replace(fragment="").geturl())
    return out


def test_crawl_from_the_dag_list_finds_no_broken_link(admin_page: Page, site: UiSite) -> None:
    seen: dict[str, int] = {}
    queue = [f"{site.base}/ui/dags"]
    while queue and len(seen) < 1500:
        url = queue.pop(0)
        if url in seen:
            continue
        response = admin_page.request.get(url, max_redirects=0)
        seen[url] = response.status
        if response.status == 200 and "text/html" in response.headers.get("content-type", ""):
            queue += [u for u in _same_origin_links(site.base, url, response.text()) if u not in seen]
    broken = {u: s for u, s in seen.items() if s >= 400}
    assert not broken, broken
    assert len(seen) < 1500, "the crawl did not finish"
    paths = [urlsplit(u).path for u in seen]
    failed, queued, running = (q(site.runs[k]) for k in ("failed", "queued", "running"))
    # failed, upstream_failed, skipped by a branch, mapped, queued, running, logs
    for needed in (f"/ui/runs/{failed}/tasks/report", f"/ui/runs/{failed}/tasks/publish",
                   f"/ui/runs/{failed}/tasks/slow_path", f"/ui/runs/{failed}/tasks/load",
                   f"/ui/runs/{queued}/tasks/extract", f"/ui/runs/{running}/tasks/report",
                   f"/ui/runs/{failed}/tasks/report/logs", f"/ui/runs/{running}/tasks/report/logs",
                   "/ui/dags/etl/graph", "/ui/dags/etl/gantt", "/ui/dags/daily/calendar", "/ui/admin/audit"):
        assert needed in paths, needed
    assert any("map_index=1" in u for u in seen), "mapped instances were not reached"


PAGE_TYPES = {
    "dags": "/ui/dags", "grid": "/ui/dags/etl/grid", "graph": "/ui/dags/etl/graph?run_id={failed}",
    "details": "/ui/dags/etl",
    "code": "/ui/dags/etl/code", "gantt": "/ui/dags/etl/gantt", "durations": "/ui/dags/daily/durations",
    "calendar": "/ui/dags/daily/calendar", "trigger": "/ui/dags/etl/trigger",
    "backfill": "/ui/dags/daily/backfill", "run": "/ui/runs/{failed}",
    "task": "/ui/runs/{failed}/tasks/report",
    "mapped": "/ui/runs/{failed}/tasks/load", "log": "/ui/runs/{failed}/tasks/report/logs",
    "rendered": "/ui/runs/{failed}/tasks/greet/rendered", "admin": "/ui/admin", "audit": "/ui/admin/audit",
    "secrets": "/ui/admin/connections", "tokens": "/ui/admin/tokens",
    "error": "/ui/dags/nope/grid",
    "incidents": "/ui/incidents", "dead_letters": "/ui/dlq", "datasets": "/ui/datasets",
}


SCREENSHOTS = ("dags", "grid", "graph", "task", "mapped", "log", "run", "gantt", "durations", "calendar",
               "trigger", "details", "audit", "tokens", "code", "backfill", "secrets", "error")


def _axe_script() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.fail("the axe-playwright-python package (test extra) ships the axe-core the check uses")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def test_every_page_type_passes_axe_in_both_themes(admin_page: Page, site: UiSite) -> None:
    axe = _axe_script()
    shots = os.environ.get("LEGATO_UI_SCREENSHOTS")
    errors: list[str] = []
    admin_page.on("console", lambda m: m.type == "error" and errors.append(f"{admin_page.url}: {m.text}"))
    found: dict[str, list[str]] = {}
    for theme in ("light", "dark"):
        admin_page.emulate_media(color_scheme=theme)
        for name, path in PAGE_TYPES.items():
            admin_page.goto(site.base + path.format(failed=q(site.runs["failed"])))
            admin_page.evaluate(axe)
            result = admin_page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
                   for v in result["violations"] if v.get("impact") in SERIOUS]
            if bad:
                found[f"{name} ({theme})"] = bad
            if shots and name in SCREENSHOTS:
                Path(shots).mkdir(parents=True, exist_ok=True)
                admin_page.screenshot(path=str(Path(shots) / f"{name}-{theme}.png"))
    assert not found, found
    assert not [e for e in errors if "404" not in e or "/ui/dags/nope" not in e], errors


def test_task_pages_say_why_a_task_did_not_run(admin_page: Page, site: UiSite) -> None:
    run = q(site.runs["failed"])
    admin_page.goto(f"{site.base}/ui/runs/{run}/tasks/publish")
    why = admin_page.locator("#why")
    expect(why).to_have_text("Not run: upstream 'report' failed, and its trigger rule is all_success.")
    admin_page.goto(f"{site.base}/ui/runs/{run}/tasks/slow_path")
    expect(admin_page.locator("#why")).to_have_text("Skipped by branch 'choose', which chose 'fast_path'.")
    admin_page.goto(f"{site.base}/ui/runs/{run}/tasks/report")
    expect(admin_page.get_by_role("heading", name="Task report failed")).to_be_visible()
    expect(admin_page.locator("#traceback")).to_contain_text("RuntimeError: the report service is down")
    expect(admin_page.locator("#traceback")).to_contain_text('File "etl.py"')
    assert site.home.as_posix() not in admin_page.content()                  # no server path
    admin_page.goto(f"{site.base}/ui/runs/{run}/tasks/load")
    expect(admin_page.locator("#map-counts")).to_contain_text("success")
    expect(admin_page.locator("#map-counts")).to_contain_text("skipped")
    admin_page.get_by_role("link", name="load[1]").click()
    expect(admin_page.locator("#why")).to_have_text("Skipped itself while running: two is skipped")
    admin_page.goto(f"{site.base}/ui/runs/{q(site.runs['queued'])}/tasks/extract")
    expect(admin_page.locator("#why")).to_contain_text("Waiting: the run is queued")
    admin_page.goto(f"{site.base}/ui/runs/{q(site.runs['running'])}/tasks/publish")
    expect(why).to_have_text("Waiting for upstream 'report' to finish (trigger rule all_success).")
    admin_page.goto(f"{site.base}/ui/runs/{run}/tasks/greet")
    expect(admin_page.locator("#result")).to_contain_text("hello world on")
    admin_page.get_by_role("link", name="Rendered template of this task for this run").click()
    command = admin_page.locator('pre[data-field="command"]')
    expect(command).to_have_text(re.compile(r"^echo hello world on \d{4}-\d\d-\d\d$"))


def test_error_pages_keep_the_navigation_and_hide_server_paths(admin_page: Page, site: UiSite) -> None:
    response = admin_page.goto(f"{site.base}/ui/dags/nope/grid")
    assert response is not None and response.status == 404
    expect(admin_page.get_by_role("navigation", name="Main").get_by_role("link", name="DAGs")).to_be_visible()
    expect(admin_page.locator("#error-message")).to_contain_text("no DAG 'nope'")
    assert str(site.home) not in admin_page.content()
    expect(admin_page.locator("#error-message")).to_contain_text("in …/dags (found: daily, etl)")
    admin_page.goto(f"{site.base}/ui/runs/{q(site.runs['failed'])}/tasks/report/logs?try=9")
    expect(admin_page.get_by_role("button", name="Log out")).to_be_visible()


def test_grid_cells_are_named_filtered_and_lead_to_task_pages(admin_page: Page, site: UiSite) -> None:
    admin_page.goto(f"{site.base}/ui/dags/etl/grid")
    expect(admin_page.get_by_role("list", name="Legend of states")).to_contain_text("upstream_failed")
    cell = admin_page.get_by_role("link", name=re.compile(r"^load, .*: skipped and success, 3 mapped inst"))
    expect(cell).to_have_count(1)
    expect(cell).to_have_class(re.compile(r"\bs-skipped\b.*\bmix-success\b"))      # the skip is not hidden
    expect(admin_page.locator("table.grid thead .date")).to_have_count(3)
    admin_page.get_by_label("Run state").select_option("queued")
    admin_page.get_by_role("button", name="Show").click()
    expect(admin_page.locator("table.grid thead .date")).to_have_count(1)
    admin_page.get_by_role("link", name=re.compile(r"^extract, .*: scheduled")).click()
    expect(admin_page).to_have_url(re.compile(r"/tasks/extract$"))
    expect(admin_page.get_by_role("heading", name=re.compile("Task extract"))).to_be_visible()


def test_grid_cells_show_their_tooltip_on_hover_and_on_focus(admin_page: Page, site: UiSite) -> None:
    admin_page.goto(f"{site.base}/ui/dags/etl/grid")
    tip = admin_page.get_by_role("tooltip")
    admin_page.get_by_role("link", name=re.compile(r"^load, .*: skipped and success")).hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(re.compile(r"skipped and success, 3 mapped instances, try 1"))
    admin_page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    admin_page.get_by_role("link", name=re.compile(r"^extract, .*: scheduled")).focus()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("extract")


def test_graph_is_laid_out_zoomable_and_clickable(admin_page: Page, site: UiSite) -> None:
    admin_page.goto(f"{site.base}/ui/dags/etl/graph?run_id={q(site.runs['failed'])}")
    nodes = admin_page.locator("svg.graph a.node")
    expect(nodes).to_have_count(8)
    assert admin_page.locator("svg.graph path.edge[marker-end]").count() == 5
    boxes = {n: admin_page.locator(f'a[data-task-node="{n}"] rect.box').bounding_box()
             for n in ("extract", "choose", "fast_path")}
    assert boxes["extract"]["x"] < boxes["choose"]["x"] < boxes["fast_path"]["x"]   # layers left to right
    svg = admin_page.locator("#graph")
    before = svg.get_attribute("viewBox")
    admin_page.get_by_role("button", name="Zoom in").click()
    assert svg.get_attribute("viewBox") != before
    admin_page.get_by_role("button", name="Fit the graph to the screen").click()
    admin_page.get_by_role("link", name="report: failed").click()
    expect(admin_page).to_have_url(re.compile(r"/tasks/report$"))


def test_trigger_form_validates_by_field_before_creating_a_run(module_browser: Browser, site: UiSite) -> None:
    page = ui_login(module_browser, site, "operator")
    page.on("dialog", lambda d: d.accept())
    auth = {"Authorization": f"Bearer {site.tokens['admin']}"}
    with httpx.Client(base_url=f"{site.base}/api/v1", headers=auth) as api:
        before = len(api.get("/runs", params={"dag_id": "etl"}).json())
        page.goto(f"{site.base}/ui/dags/etl/trigger")
        page.get_by_label("limit").fill("three")
        page.get_by_label("options").fill("{not json")
        page.get_by_label("day").fill("2024-02-30")
        page.get_by_role("button", name="Trigger run").click()
        limit_error = page.locator('[data-param="limit"] .field-error')
        expect(limit_error).to_have_text("'three' is not a whole number")
        expect(page.locator('[data-param="options"] .field-error')).to_contain_text("not valid JSON")
        expect(page.get_by_label("limit")).to_have_attribute("aria-invalid", "true")
        assert len(api.get("/runs", params={"dag_id": "etl"}).json()) == before            # nothing created
        page.get_by_label("limit").fill("7")
        page.get_by_label("options").fill('{"mode": "slow"}')
        page.get_by_label("day").fill("2024-02-28")
        page.get_by_label("dry_run").check()
        page.get_by_label("Logical date").fill("2024-05-01T06:30")
        page.get_by_role("button", name="Trigger run").click()
        expect(page).to_have_url(f"{site.base}/ui/dags/etl/grid")
        runs = api.get("/runs", params={"dag_id": "etl"}).json()
        assert len(runs) == before + 1
        new = next(r for r in runs if r["logical_date"].startswith("2024-05-01T06:30"))
        assert new["params"] == {"limit": 7, "ratio": 0.5, "name": "world", "dry_run": True,
                                 "day": "2024-02-28", "options": {"mode": "slow"}}
        assert api.post("/dags/daily/pause").status_code == 200
        try:
            page.goto(f"{site.base}/ui/dags/daily/trigger")
            expect(page.get_by_role("alert")).to_contain_text("This DAG is paused")
        finally:
            api.post("/dags/daily/unpause")
    page.context.close()


def test_backfill_form_queues_the_missing_dates(module_browser: Browser, site: UiSite) -> None:
    page = ui_login(module_browser, site, "operator")
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{site.base}/ui/dags/daily/backfill")
    page.get_by_label("First date").fill("2024-03-02")
    page.get_by_label("Last date").fill("2024-03-05")
    page.get_by_role("button", name="Queue backfill").click()
    report = page.get_by_role("status")
    expect(report).to_contain_text("2 runs queued")                  # 03-02 and 03-03 succeeded already
    expect(report.get_by_role("link")).to_have_count(3)
    page.context.close()


def test_admin_pages_filter_the_audit_and_never_show_secret_values(admin_page: Page, module_browser: Browser,
                                                                    site: UiSite) -> None:
    admin_page.goto(f"{site.base}/ui/admin/connections")
    expect(admin_page.locator('tr[data-conn="warehouse"]')).to_contain_text("postgres")
    assert "s3cret-pw" not in admin_page.content() and "v3ry-secret" not in admin_page.content()
    admin_page.get_by_text("Set a variable").click()
    admin_page.get_by_label("Name").fill("region")
    admin_page.get_by_label("Value").fill("eu-west-9-secret")
    admin_page.get_by_role("button", name="Save variable").click()
    expect(admin_page.locator('tr[data-var="region"]')).to_be_visible()
    assert "eu-west-9-secret" not in admin_page.content()
    admin_page.goto(f"{site.base}/ui/admin/audit")
    admin_page.get_by_label("Action").select_option("variable.set")
    admin_page.get_by_role("button", name="Filter").click()
    rows = admin_page.locator("#audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("region")
    assert "eu-west-9-secret" not in admin_page.content()
    viewer = ui_login(module_browser, site, "viewer")
    assert viewer.goto(f"{site.base}/ui/admin/audit").status == 403
    expect(viewer.get_by_role("link", name="Admin")).to_have_count(0)
    viewer.context.close()


def test_dag_search_sort_and_details(admin_page: Page, site: UiSite) -> None:
    admin_page.get_by_label("Search").fill("nightly")
    admin_page.get_by_role("button", name="Apply").click()
    expect(admin_page.locator("#dags tbody tr")).to_have_count(1)
    expect(admin_page.locator("#dags tbody tr")).to_have_attribute("data-dag", "daily")
    admin_page.goto(f"{site.base}/ui/dags?sort=dag_id&desc=true")
    order = admin_page.locator("#dags tbody tr").evaluate_all("rs => rs.map(r => r.dataset.dag)")
    assert order == ["etl", "daily"]
    admin_page.goto(f"{site.base}/ui/dags/etl")
    expect(admin_page.locator("#description")).to_have_text(
        "Extract, branch, map and fail: every state the UI draws")
    expect(admin_page.locator("#params")).to_contain_text("options")
    admin_page.get_by_role("link", name="etl.py").click()
    expect(admin_page.locator("#code")).to_contain_text('raise RuntimeError("the report service is down")')
    admin_page.goto(f"{site.base}/ui/dags/etl/code#L4")
    expect(admin_page.locator("#L4")).to_contain_text('with DAG("etl"')


def test_dark_mode_follows_the_system_and_the_toggle(module_browser: Browser, site: UiSite) -> None:
    page = ui_login(module_browser, site, "viewer", color_scheme="dark")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(15, 20, 25)"
    page.get_by_role("button", name="Switch to the light theme").click()
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.reload()
    assert page.evaluate(background) == "rgb(255, 255, 255)"                # the choice is kept
    expect(page.get_by_role("button", name="Switch to the dark theme")).to_be_visible()
    page.context.close()


def test_pages_fit_a_1024px_screen(module_browser: Browser, site: UiSite) -> None:
    page = ui_login(module_browser, site, "admin", viewport={"width": 1024, "height": 768})
    for path in ("/ui/dags", "/ui/dags/etl/grid", "/ui/dags/etl/graph", f"/ui/runs/{q(site.runs['failed'])}",
                 f"/ui/runs/{q(site.runs['failed'])}/tasks/report", "/ui/dags/etl/gantt", "/ui/admin/audit",
                 "/ui/dags/etl/trigger"):
        page.goto(site.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, (path, width)
    page.context.close()


def test_log_page_search_filter_wrap_anchor_and_download(admin_page: Page, site: UiSite) -> None:
    base = f"{site.base}/ui/runs/{q(site.runs['failed'])}/tasks/report/logs"
    admin_page.goto(base)
    log = admin_page.get_by_label("Log lines")
    expect(log).to_contain_text("about to fail")
    admin_page.get_by_label("Search").fill("report service")
    expect(admin_page.locator("#log-hits")).to_have_text(re.compile(r"^[1-9]\d* lines?$"))
    admin_page.get_by_label("Show").select_option("error")
    expect(admin_page.locator("#log .ln.lv-OUTPUT").first).to_be_hidden()
    admin_page.get_by_label("Show").select_option("all")
    admin_page.get_by_role("button", name="Jump to first error").click()
    expect(admin_page).to_have_url(re.compile(r"#L\d+$"))
    anchor = admin_page.url.rsplit("#", 1)[1]
    expect(admin_page.locator(f"#{anchor}")).to_have_attribute("data-level", "ERROR")
    admin_page.get_by_label("wrap lines").check()
    expect(log).to_have_class(re.compile(r"\bwrap\b"))
    with admin_page.expect_download() as download:
        admin_page.get_by_role("link", name="Download").click()
    text = Path(download.value.path()).read_text()
    assert "the report service is down" in text and download.value.suggested_filename.endswith(".try1.log")


def test_tokens_are_created_shown_once_and_revoked(admin_page: Page, site: UiSite) -> None:
    admin_page.on("dialog", lambda d: d.accept())
    admin_page.goto(f"{site.base}/ui/admin/tokens")
    admin_page.get_by_label("Name").fill("ci-bot")
    admin_page.get_by_label("Role").select_option("viewer")
    admin_page.get_by_label("Expires in").fill("2d")
    admin_page.get_by_role("button", name="Create token").click()
    plain = admin_page.locator("#token-value").inner_text()
    assert plain.startswith("lgt_")
    admin_page.goto(f"{site.base}/ui/admin/tokens")
    assert plain not in admin_page.content()                                  # shown once
    with httpx.Client(base_url=f"{site.base}/api/v1", headers={"Authorization": f"Bearer {plain}"}) as api:
        assert api.get("/dags").status_code == 200
        admin_page.get_by_role("button", name=re.compile(r"^Revoke token \d+ \(ci-bot\)$")).click()
        expect(admin_page.locator("#tokens tr", has_text="ci-bot")).to_contain_text("revoked")
        assert api.get("/dags").status_code == 401
