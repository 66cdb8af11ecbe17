"""The operations pages of the web UI (incidents, dead letters with replay, drift reports) over
HTTP against a live server, with data made by real DAG runs.

(The browser-driven test is tests/e2e/test_ui_ops_browser.py.)
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")

from legato.authoring.loader import load_file
from legato.quality import DataQualityError, drift_gate
from legato.server.ui import ops_pages
from legato.server.ui.ops_pages import duration
from server_harness import Live


@contextmanager
def browser(live: Live, role: str | None = None) -> Iterator[httpx.Client]:
    """A cookie-keeping client, logged in with the token of `role` when given."""
    with httpx.Client(base_url=live.base, timeout=30) as client:
        if role:
            r = client.post("/ui/login", data={"token": live.tokens[role], "next": "/ui/dags"})
            assert r.status_code == 303
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


# -- incidents -------------------------------------------------------------------------------
FLAKY = """\
from legato import DAG, task
from legato.incidents import Webhook

with DAG("flaky", incidents=[Webhook("{url}/hook")]) as dag:
    @task
    def load(ctx):
        print("loading rows")
        if ctx.var("mode") == "fail":
            raise ValueError("bad rows")
        return 1
    load()
"""


@pytest.fixture
def hook() -> Iterator[list[dict]]:
    """A helpdesk webhook on a loopback port that accepts and keeps every event."""
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.append({"url": f"http://127.0.0.1:{server.server_port}"})
    try:
        yield got
    finally:
        server.shutdown()


def test_incident_pages_follow_an_incident_from_open_to_resolved(
        live: Live, hook: list[dict], monkeypatch: pytest.MonkeyPatch) -> None:
    path = live.dags / "flaky.py"
    path.write_text(FLAKY.format(url=hook[0]["url"]))
    (dag,) = load_file(path).dags
    monkeypatch.setenv("LEGATO_VAR_MODE", "fail")
    failed = dag.run()
    assert failed.state == "failed"
    with browser(live, "viewer") as c:
        page = c.get("/ui/incidents")
        assert page.status_code == 200
        (inc_id,) = re.findall(r'<tr data-incident="(\d+)">', page.text)
        assert f'data-item="incident:{inc_id}">open</span>' in page.text
        assert '<strong data-count="open">1</strong>' in page.text
        assert "ValueError: bad rows" in page.text and 'data-poll="/ui/api/incidents"' in page.text
        live_json = c.get("/ui/api/incidents").json()
        assert live_json["items"] == {f"incident:{inc_id}": "open"}
        assert live_json["counts"]["open"] == "1" and live_json["counts"]["open:flaky"] == "1"
        assert live_json["counts"]["mttr"] == "—"

        detail = c.get(f"/ui/incidents/{inc_id}")
        assert detail.status_code == 200
        text = detail.text
        assert "task_failure" in text and "bad rows" in text
        run_path = f"/ui/runs/{quote(failed.run_id)}"
        assert f'href="{run_path}"' in text and f'href="{run_path}/tasks/load/logs?try=1"' in text
        with live.client("viewer") as api:
            fingerprint = api.get(f"/incidents/{inc_id}").json()["fingerprint"]
        assert fingerprint in text
        deliveries = text.split('id="deliveries"')[1]
        assert "webhook" in deliveries and "incident.opened" in deliveries and "delivered" in deliveries
        log = c.get(f"/ui/runs/{failed.run_id}/tasks/load/logs", params={"try": 1})
        assert log.status_code == 200 and "loading rows" in log.text

        version = c.get(f"/ui/api/incidents/{inc_id}").json()["version"]
        assert f'data-version="{version}"' in text
        assert c.get(f"/ui/api/incidents/{inc_id}").json()["version"] == version     # nothing changed

        monkeypatch.setenv("LEGATO_VAR_MODE", "ok")
        assert dag.run().state == "success"
        assert c.get(f"/ui/api/incidents/{inc_id}").json()["version"] != version
        after = c.get("/ui/api/incidents").json()
        assert after["items"] == {f"incident:{inc_id}": "resolved"}
        assert after["counts"]["open"] == "0" and after["counts"]["mttr"] != "—"
        assert c.get(f"/ui/api/incidents/{inc_id}").json()["items"] == {f"incident:{inc_id}": "resolved"}
        resolved = c.get(f"/ui/incidents/{inc_id}").text
        assert ">resolved</span>" in resolved and "incident.resolved" in resolved
        assert "No incidents open." in c.get("/ui/incidents", params={"state": "open"}).text
        assert f'data-incident="{inc_id}"' in c.get("/ui/incidents", params={"dag": "flaky"}).text
        assert "No incidents" in c.get("/ui/incidents", params={"dag": "other"}).text
        assert c.get("/ui/api/incidents", params={"state": "open"}).json()["items"] == {}

        bad = c.get("/ui/incidents", params={"state": "bogus"})
        assert bad.status_code == 400 and "state must be one of" in bad.text
        assert c.get("/ui/incidents/999").status_code == 404
        for wrong in ("x", "0", "99999999999999999999"):
            r = c.get(f"/ui/incidents/{wrong}")
            assert r.status_code == 422 and "<h1>Error 422</h1>" in r.text, wrong
        assert c.get("/ui/incidents", params={"dag": "a\x00b"}).status_code == 400


def test_durations_read_like_a_person_would_say_them() -> None:
    assert duration(None) == "—"
    assert duration(0.4) == "0 s" and duration(59) == "59 s"
    assert duration(60) == "1 min" and duration(185) == "3 min 5 s"
    assert duration(7200) == "2 h" and duration(7800) == "2 h 10 min"
    assert duration(86400 * 3 + 3600 * 4 + 59) == "3 d 4 h"


# -- dead letters ------------------------------------------------------------------------------
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
        rows = [{{"order_id": "A", "qty": 1}}, {{"order_id": "B", "qty": 0}},
                {{"order_id": "C", "qty": 2}}, {{"order_id": "D"}}]
        valid = validate(rows, ORDER, max_reject_ratio=0.6, destination=ORDERS_TABLE,
                         source="orders.json")
        return ORDERS_TABLE.write(valid)
    load()
"""


@pytest.fixture
def orders(live: Live, tmp_path: Path) -> Path:
    """Runs the `orders` DAG once: two orders land, two become dead letters. Returns the
    destination database."""
    db = tmp_path / "warehouse.db"
    path = live.dags / "orders.py"
    path.write_text(ORDERS.format(db=db))
    (dag,) = load_file(path).dags
    assert dag.run().state == "success"
    return db


def landed(db: Path) -> list[tuple[str, int]]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return sorted((r[0], r[1]) for r in conn.execute(sa.text("SELECT order_id, qty FROM orders")))
    finally:
        engine.dispose()


def letter_ids(live: Live) -> tuple[int, int]:
    with live.client("viewer") as api:
        first, second = (x["id"] for x in api.get("/dlq", params={"dag_id": "orders"}).json())
    return first, second


def test_viewer_reads_dead_letters_but_sees_no_buttons_and_cannot_post(
        live: Live, orders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = letter_ids(live)
    with browser(live, "viewer") as c:
        page = c.get("/ui/dlq")
        assert page.status_code == 200
        assert f'<tr data-letter="{first}">' in page.text and f'<tr data-letter="{second}">' in page.text
        assert "$.qty" in page.text and "less than the minimum of 1" in page.text
        assert "&#39;qty&#39; is a required property" in page.text
        assert "Replay selected" not in page.text and "Discard" not in page.text
        detail = c.get(f"/ui/dlq/{first}")
        assert detail.status_code == 200 and "&#34;order_id&#34;: &#34;B&#34;" in detail.text
        assert "fix-form" not in detail.text and 'id="replay"' not in detail.text
        assert 'id="discard"' not in detail.text
        csrf = csrf_of(page.text)
        assert c.post("/ui/dlq/replay", data={"csrf": csrf, "id": str(first)}).status_code == 403
        assert c.post(f"/ui/dlq/{first}/discard", data={"csrf": csrf}).status_code == 403
        r = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": '{"order_id": "B", "qty": 5}'})
        assert r.status_code == 403 and "operator" in r.text
    with live.client("viewer") as api:
        assert [x["status"] for x in api.get("/dlq").json()] == ["pending", "pending"]
        assert api.get(f"/dlq/{first}").json()["record"] == {"order_id": "B", "qty": 0}
    with live.client("admin") as api:
        assert api.get("/audit").json() == []
    with browser(live, "viewer") as c:
        monkeypatch.setattr(ops_pages, "PAGE", 1)                 # one letter a page
        one = c.get("/ui/dlq", params={"dag": "orders"}).text
        assert f'data-letter="{first}"' in one and f'data-letter="{second}"' not in one
        assert 'id="next" href="/ui/dlq?dag=orders&amp;status=&amp;offset=1"' in one
        assert 'id="prev"' not in one
        two = c.get("/ui/dlq", params={"dag": "orders", "offset": 1}).text
        assert f'data-letter="{second}"' in two and f'data-letter="{first}"' not in two
        assert 'id="prev"' in two and 'id="next"' not in two
        assert c.get("/ui/dlq", params={"offset": -1}).status_code == 422


def test_operator_fixes_replays_once_and_discards_with_csrf_and_audit(live: Live, orders: Path) -> None:
    first, second = letter_ids(live)
    assert landed(orders) == [("A", 1), ("C", 2)]
    with browser(live, "operator") as c:
        page = c.get(f"/ui/dlq/{first}")
        assert "fix-form" in page.text and 'id="replay"' in page.text and 'id="discard"' in page.text
        csrf = csrf_of(page.text)

        bad = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": '{"order_id": "B", "qty": '})
        assert bad.status_code == 400 and "not valid JSON" in bad.text and "Nothing was saved" in bad.text
        assert "{&#34;order_id&#34;: &#34;B&#34;, &#34;qty&#34;: </textarea>" in bad.text   # kept to edit
        for broken, why in (("[" * 15_000, "nested too deeply"), ('{"qty": NaN}', "NaN is not a JSON number"),
                            ("", "not valid JSON"), ("x" * 61_000, "longer than")):
            r = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": broken})
            assert r.status_code == 400 and why in r.text, why
        assert c.post(f"/ui/dlq/{first}", data={"record": '{"order_id": "B", "qty": 3}'}).status_code == 403
        evil = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": "{}"},
                      headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        with live.client("viewer") as api:
            assert api.get(f"/dlq/{first}").json()["record"] == {"order_id": "B", "qty": 0}

        ok = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": '{"order_id": "B", "qty": 3}'})
        assert ok.status_code == 303 and ok.headers["location"] == f"/ui/dlq/{first}?flash=fixed"
        fixed = c.get(ok.headers["location"])
        assert "Record saved" in fixed.text and "&#34;qty&#34;: 3" in fixed.text

        assert c.post("/ui/dlq/replay", data={"id": str(first)}).status_code == 403      # no CSRF
        assert landed(orders) == [("A", 1), ("C", 2)]
        none = c.post("/ui/dlq/replay", data={"csrf": csrf})
        assert none.status_code == 400 and "Select at least one" in none.text
        assert c.post("/ui/dlq/replay", data={"csrf": csrf, "id": "x"}).status_code == 400

        replay = c.post("/ui/dlq/replay", data={"csrf": csrf, "id": [str(first), str(second), "999"]})
        assert replay.status_code == 200, replay.text
        report = replay.text.split('id="replay-report"')[1].split("</section>")[0]
        replayed = report.split('id="replayed"')[1].split("</span>")[0]
        assert f"#{first}" in replayed and f"#{second}" not in replayed
        invalid = report.split('id="still-invalid"')[1].split("</ul>")[0]
        assert f"#{second}" in invalid and "is a required property" in invalid
        assert "#999</a>: no such dead letter" in report
        assert landed(orders) == [("A", 1), ("B", 3), ("C", 2)]
        assert f'<tr data-letter="{first}">' in replay.text
        row = replay.text.split(f'<tr data-letter="{first}">')[1].split("</tr>")[0]
        assert ">replayed</span>" in row

        again = c.post("/ui/dlq/replay", data={"csrf": csrf, "id": str(first)})
        assert f"#{first}</a>: status is replayed" in again.text
        assert landed(orders) == [("A", 1), ("B", 3), ("C", 2)]                   # exactly once
        shown = c.get(f"/ui/dlq/{first}").text
        assert 'id="status">replayed</span>' in shown and "fix-form" not in shown
        late_fix = c.post(f"/ui/dlq/{first}", data={"csrf": csrf, "record": "{}"})
        assert late_fix.status_code == 400 and "only a pending one can be fixed" in late_fix.text

        gone = c.post(f"/ui/dlq/{second}/discard", data={"csrf": csrf, "next": "/ui/dlq"})
        assert gone.status_code == 303 and gone.headers["location"] == "/ui/dlq"
        twice = c.post(f"/ui/dlq/{second}/discard", data={"csrf": csrf})
        assert twice.status_code == 400 and "only a pending one can be discarded" in twice.text
        listing = c.get("/ui/dlq", params={"status": "discarded", "dag": "orders"})
        assert f'<tr data-letter="{second}">' in listing.text and f'data-letter="{first}"' not in listing.text
        assert c.get("/ui/dlq", params={"status": "nope"}).status_code == 400
        assert c.get("/ui/dlq/424242").status_code == 404
        assert c.get("/ui/dlq/x").status_code == 422
        assert c.post("/ui/dlq/424242", data={"csrf": csrf, "record": "{}"}).status_code == 404
    with live.client("admin") as api:
        audit = [(r["action"], r["target"], r["detail"]) for r in api.get("/audit").json()]
    assert [(a, t) for a, t, _ in audit] == [
        ("discard", f"dead_letter:{second}"), ("replay", "dead_letters:ids"), ("replay", "dead_letters:ids"),
        ("fix", f"dead_letter:{first}")]
    assert all(d["via"] == "ui" for _, _, d in audit)
    assert audit[2][2]["ids"] == [first, second, 999] and audit[2][2]["replayed"] == [first]
    assert audit[2][2]["still_invalid"] == [second]


# -- drift reports -----------------------------------------------------------------------------
def test_quality_pages_list_reports_and_show_columns(live: Live) -> None:
    rng = random.Random(7)
    drift_gate([{"amount": rng.gauss(0, 1), "kind": rng.choice("ab")} for _ in range(1000)],
               dataset="mesh.orders")
    drift_gate([{"amount": rng.gauss(0, 1), "kind": rng.choice("ab")} for _ in range(1000)],
               dataset="mesh.orders")
    with pytest.raises(DataQualityError):
        drift_gate([{"amount": rng.gauss(2, 1), "kind": rng.choice("ab")} for _ in range(1000)],
                   dataset="mesh.orders", threshold=0.2)
    with live.client("viewer") as api:
        held, passed, baseline = api.get("/quality/reports").json()
    assert (held["status"], passed["status"], baseline["status"]) == ("held", "passed", "baseline")
    with browser(live, "viewer") as c:
        page = c.get("/ui/quality")
        assert page.status_code == 200 and 'href="/ui/quality"' in page.text      # in the nav
        for r in (held, passed, baseline):
            assert f'<tr data-report="{r["id"]}">' in page.text
        row = page.text.split(f'<tr data-report="{held["id"]}">')[1].split("</tr>")[0]
        assert ">held</span>" in row and "amount" in row
        assert f'{held["report"]["max_psi"]:.3f}' in row
        accepted = page.text.split(f'<tr data-report="{passed["id"]}">')[1].split("</tr>")[0]
        assert "accepted (passed)" in accepted
        only_held = c.get("/ui/quality", params={"status": "held"}).text
        assert f'data-report="{passed["id"]}"' not in only_held and f'data-report="{held["id"]}"' in only_held
        assert c.get("/ui/quality", params={"status": "nope"}).status_code == 400

        detail = c.get(f"/ui/quality/{held['id']}")
        assert detail.status_code == 200
        assert 'id="threshold">0.2</dd>' in detail.text and "quarantine" in detail.text
        amount = detail.text.split('<tr data-column="amount" class="drifted">')[1].split("</tr>")[0]
        column = held["report"]["columns"]["amount"]
        assert f'{column["psi"]:.4f}' in amount and f'{column["ks"]:.4f}' in amount and ">yes<" in amount
        kind = detail.text.split('<tr data-column="kind">')[1].split("</tr>")[0]
        assert ">no<" in kind
        base = c.get(f"/ui/quality/{baseline['id']}")
        assert base.status_code == 200 and "nothing to compare with" in base.text
        assert c.get("/ui/quality/999").status_code == 404
        assert c.get("/ui/quality/abc").status_code == 422


def test_every_operations_route_needs_a_session(live: Live) -> None:
    routes = [("GET", "/ui/incidents"), ("GET", "/ui/incidents/1"), ("GET", "/ui/dlq"),
              ("GET", "/ui/dlq/1"), ("POST", "/ui/dlq/replay"), ("POST", "/ui/dlq/1"),
              ("POST", "/ui/dlq/1/discard"), ("GET", "/ui/quality"), ("GET", "/ui/quality/1")]
    with browser(live) as c:
        for method, path in routes:
            r = c.request(method, path)
            assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next="), path
        for path in ("/ui/api/incidents", "/ui/api/incidents/1"):
            r = c.get(path)
            assert r.status_code == 401 and "log in" in r.json()["detail"], path
    with browser(live, "viewer") as c:
        page = c.get("/ui/dlq")
        for label, href in (("Incidents", "/ui/incidents"), ("Dead letters", "/ui/dlq"),
                            ("Quality", "/ui/quality")):
            assert f'<a href="{href}"' in page.text and label in page.text
        assert "No dead letters." in page.text and "No incidents." in c.get("/ui/incidents").text
        assert "No drift reports." in c.get("/ui/quality").text
