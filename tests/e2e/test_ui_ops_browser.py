"""The operations pages in a real browser: Debian's chromium driven by Playwright against
`legato up` (the same setup as test_ui_browser.py).

An operator opens Dead letters, fixes a refused record in the edit form, replays it and sees it
replayed (and landed once in the destination); then watches the Incidents page show an open
incident for a failing task and, after the task succeeds on a re-run, the incident resolved —
updated by the pages' polling (the list's and the incident's own), without a reload.

Chromium is never downloaded: without /usr/bin/chromium or the playwright package these tests
skip on a laptop and FAIL under CI (`CI` set). The `browser` fixture is in conftest.py; starting
`legato up` and logging in are in e2e_support.py.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from e2e_support import Browser, Up, expect, legato_up, login

from waiting import eventually

pytestmark = pytest.mark.e2e

ORDERS = """\
from legato import DAG, task
from legato.quality import Contract, SqlTable, validate

SCHEMA = {{"type": "object", "required": ["order_id", "qty"],
          "properties": {{"order_id": {{"type": "string"}}, "qty": {{"type": "integer", "minimum": 1}}}}}}
ORDER = Contract(SCHEMA, name="order")
ORDERS_TABLE = SqlTable("sqlite:///{db}", "orders", columns=["order_id", "qty"])

with DAG("orders") as dag:
    @task
    def load():
        rows = [{{"order_id": "A", "qty": 1}}, {{"order_id": "B", "qty": 0}}, {{"order_id": "C", "qty": 2}}]
        valid = validate(rows, ORDER, max_reject_ratio=0.5, destination=ORDERS_TABLE)
        return ORDERS_TABLE.write(valid)
    load()
"""
FLAKY = """\
import os

from legato import DAG, task

with DAG("flaky") as dag:
    @task
    def load():
        if not os.path.exists(os.environ["UI_OPS_GATE"]):
            raise ValueError("the upstream file is not there yet")
        return 1
    load()
"""


@dataclass
class OpsUp(Up):
    warehouse: Path

    def api(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base}/api/v1", timeout=10,
                            headers={"Authorization": f"Bearer {self.tokens[role]}"})


@pytest.fixture
def up(tmp_path: Path, legato_home: Path) -> Iterator[OpsUp]:
    dags = tmp_path / "dags"
    dags.mkdir()
    warehouse = tmp_path / "warehouse.db"
    (dags / "orders.py").write_text(ORDERS.format(db=warehouse))
    (dags / "flaky.py").write_text(FLAKY)
    gate = tmp_path / "gate"
    env = {**os.environ, "LEGATO_HOME": str(legato_home), "LEGATO_DAGS": str(dags),
           "UI_OPS_GATE": str(gate)}
    with legato_up(env) as (base, tokens):
        yield OpsUp(base, tokens, gate, warehouse)


def run_to_end(up: OpsUp, dag_id: str) -> str:
    """Trigger `dag_id` through the API and wait until the scheduler finished the run."""
    with up.api("operator") as api:
        run_id = api.post(f"/dags/{dag_id}/runs", json={}).json()["run_id"]
        eventually(lambda: api.get(f"/runs/{run_id}").json()["state"] in ("success", "failed"), 60,
                   what=f"run {run_id}", interval_s=0.2)
    return run_id


def landed(db: Path) -> list[tuple[str, int]]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return sorted((r[0], r[1]) for r in conn.execute(sa.text("SELECT order_id, qty FROM orders")))
    finally:
        engine.dispose()


def test_operator_fixes_and_replays_a_dead_letter(browser: Browser, up: OpsUp) -> None:
    run_to_end(up, "orders")
    with up.api("viewer") as api:
        (letter,) = eventually(lambda: api.get("/dlq").json(), 60, what="the dead letter",
                               interval_s=0.2)
    assert landed(up.warehouse) == [("A", 1), ("C", 2)]

    page = login(browser, up, "operator")
    page.click("header nav >> text=Dead letters")
    expect(page).to_have_url(f"{up.base}/ui/dlq")
    row = page.locator(f'tr[data-letter="{letter["id"]}"]')
    expect(row.locator(".status")).to_have_text("pending")
    expect(row).to_contain_text("less than the minimum of 1")
    row.locator(f'a[href="/ui/dlq/{letter["id"]}"]').click()

    expect(page.locator("#errors")).to_contain_text("$.qty")
    page.fill("#record-edit", "{not json")
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("not valid JSON")
    page.fill("#record-edit", json.dumps({"order_id": "B", "qty": 4}))
    page.click("#save")
    expect(page.locator("#flash")).to_contain_text("Record saved")
    expect(page.locator("#record")).to_contain_text('"qty": 4')

    page.click("#replay")
    expect(page.locator("#replayed")).to_contain_text(f"#{letter['id']}")
    expect(page.locator(f'tr[data-letter="{letter["id"]}"] .status')).to_have_text("replayed")
    assert landed(up.warehouse) == [("A", 1), ("B", 4), ("C", 2)]
    page.goto(f"{up.base}/ui/dlq/{letter['id']}")
    expect(page.locator("#status")).to_have_text("replayed")
    expect(page.locator("#replay")).to_have_count(0)              # nothing left to do with it


def test_incidents_page_shows_an_incident_open_then_resolved_without_a_reload(
        browser: Browser, up: OpsUp) -> None:
    page = login(browser, up, "viewer")
    page.click("header nav >> text=Incidents")
    expect(page).to_have_url(f"{up.base}/ui/incidents")
    expect(page.locator("[data-count=open]")).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    run_to_end(up, "flaky")                                     # fails: the gate file is missing
    badge = page.locator("#incidents [data-item]")
    expect(badge).to_have_text("open", timeout=30_000)          # swapped in by the poll
    expect(page.locator("[data-count=open]")).to_have_text("1")
    expect(page.locator("#incidents")).to_contain_text("the upstream file is not there yet")

    # the incident's own page, in a second window, follows it too
    detail = login(browser, up, "viewer")
    detail.goto(f"{up.base}{page.locator('#incidents a').first.get_attribute('href')}")
    expect(detail.locator("#incident")).to_contain_text("task_failure")
    expect(detail.locator("#events tbody tr")).to_have_count(1)
    detail.evaluate("window.__sameDocument = true")

    up.gate.touch()
    run_to_end(up, "flaky")                                     # succeeds: resolves the incident
    expect(badge).to_have_text("resolved", timeout=30_000)
    expect(badge).to_have_class(re.compile(r"\bs-resolved\b"))
    expect(page.locator("[data-count=open]")).to_have_text("0")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"

    expect(detail.locator("#events tbody tr")).to_have_count(2, timeout=30_000)
    expect(detail.locator("#events")).to_contain_text("incident.resolved")
    expect(detail.locator("h1 .badge")).to_have_text("resolved")
    assert detail.evaluate("window.__sameDocument === true"), "the incident page reloaded"
