"""Operating a run from the web UI (issue 12) over HTTP against a live server: clear (through
its confirmation), retry, mark, cancel and the note, posted as the run and task pages post
them; operators only, CSRF and Origin checked, errors shown on the page, audited.

(The browser-driven tests are tests/e2e/test_ui_run_ops_browser.py.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pytest

pytest.importorskip("fastapi")

from legato import DAG, task
from legato.config import load_settings
from legato.services import audit, queries, ui_ops
from run_ops_support import failed_run
from server_harness import Live

ROUTES = ("clear", "retry", "mark", "cancel", "note")


def _failed_run(name: str = "ui_ops") -> str:
    return failed_run(name)


@contextmanager
def session(live: Live, role: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base, timeout=30) as client:
        assert client.post("/ui/login", data={"token": live.tokens[role]}).status_code == 303
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def run_url(run_id: str) -> str:
    return f"/ui/runs/{quote(run_id, safe='')}"


def states(run_id: str) -> dict[str, str]:
    run = queries.show_run(load_settings(), run_id)
    return {"run": run.state, **{t: run[t].state for t in run}}


def entries(action: str, run_id: str) -> list[audit.store.AuditRow]:
    return [e for e in audit.list_entries(load_settings(), 100) if (e.action, e.target) == (action, run_id)]


def listed(html: str) -> list[str]:
    return re.findall(r'<li data-task-id="([^"]+)">', html)


def message(page: str, kind: str = "ops-error") -> str:
    found = re.search(rf'id="{kind}"[^>]*>([^<]*)<', page)
    assert found, f"no #{kind} on the page"
    return html.unescape(found.group(1))


def test_clear_from_the_task_page_confirms_the_dry_run_list_then_clears(backend: str, live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        page = c.get(f"{run_url(run_id)}/tasks/broken")
        assert page.status_code == 200
        assert 'id="task-ops"' in page.text and 'name="downstream"' in page.text
        csrf = csrf_of(page.text)
        form = {"csrf": csrf, "task_id": "broken", "downstream": "on", "back_task": "broken",
                "back_map": "-1"}
        confirm = c.post(f"{run_url(run_id)}/clear", data=form)
        assert confirm.status_code == 200
        assert listed(confirm.text) == ["broken", "after"]                 # the service's dry run
        assert 'name="confirm" value="broken,after"' in confirm.text
        assert states(run_id) == {"run": "failed", "ok": "success", "broken": "failed",
                                  "after": "upstream_failed"}               # nothing changed yet
        assert entries("clear", run_id) == []
        done = c.post(f"{run_url(run_id)}/clear", data={**form, "confirm": "broken,after"})
        assert done.status_code == 303
        assert done.headers["location"] == f"{run_url(run_id)}/tasks/broken?done=clear%3A2"
        back = c.get(done.headers["location"])
        assert message(back.text, "flash") == "Cleared 2 tasks: they run again in this run."
    assert states(run_id) == {"run": "queued", "ok": "success", "broken": "scheduled", "after": "scheduled"}
    (entry,) = entries("clear", run_id)
    assert entry.actor == "test-operator (operator)"
    assert entry.detail == {"task_ids": ["broken", "after"], "downstream": True, "upstream": False,
                            "only_failed": False}


def test_a_selection_that_changed_since_the_confirmation_is_confirmed_again(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(run_url(run_id)).text)
        stale = c.post(f"{run_url(run_id)}/clear",
                       data={"csrf": csrf, "task_id": "broken", "downstream": "on", "confirm": "broken"})
        assert stale.status_code == 200
        assert 'id="changed"' in stale.text and listed(stale.text) == ["broken", "after"]
        # nothing ticked on the run page: every task, with only failed
        every = c.post(f"{run_url(run_id)}/clear", data={"csrf": csrf, "only_failed": "on"})
        assert listed(every.text) == ["broken", "after"] and "every task of the run" in every.text
        nothing = c.post(f"{run_url(run_id)}/clear",
                         data={"csrf": csrf, "task_id": "ok", "only_failed": "on"})
        assert nothing.status_code == 200 and 'id="nothing"' in nothing.text
        assert 'id="confirm-clear"' not in nothing.text
    assert states(run_id)["run"] == "failed" and entries("clear", run_id) == []


def test_retry_lists_the_failed_tasks_and_what_depends_on_them(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        page = c.get(run_url(run_id))
        assert 'id="retry-failed"' in page.text
        csrf = csrf_of(page.text)
        confirm = c.post(f"{run_url(run_id)}/retry", data={"csrf": csrf})
        assert confirm.status_code == 200 and listed(confirm.text) == ["broken", "after"]
        assert states(run_id)["run"] == "failed"
        done = c.post(f"{run_url(run_id)}/retry", data={"csrf": csrf, "confirm": "broken,after"})
        assert done.status_code == 303 and done.headers["location"] == f"{run_url(run_id)}?done=retry%3A2"
        assert "Retrying from failure: 2 tasks cleared" in c.get(done.headers["location"]).text
    assert states(run_id) == {"run": "queued", "ok": "success", "broken": "scheduled", "after": "scheduled"}
    assert [e.actor for e in entries("retry", run_id)] == ["test-operator (operator)"]


def test_mark_success_with_downstream_recomputes_the_run(backend: str, live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(f"{run_url(run_id)}/tasks/broken").text)
        done = c.post(f"{run_url(run_id)}/mark", data={"csrf": csrf, "task_id": "broken", "state": "success",
                                                        "downstream": "on", "back_task": "broken"})
        assert done.status_code == 303
        page = c.get(done.headers["location"])
        assert message(page.text, "flash") == "Marked 2 tasks success."
        assert re.search(r'<dd><a href="[^"]+">[^<]+</a> \(success,', page.text)   # the run, recomputed
        bad = c.post(f"{run_url(run_id)}/mark", data={"csrf": csrf, "task_id": "broken", "state": "running"})
        assert bad.status_code == 400 and "not 'running'" in message(bad.text)
    assert states(run_id) == {"run": "success", "ok": "success", "broken": "success", "after": "success"}
    (entry,) = entries("mark", run_id)
    assert entry.detail == {"task_ids": ["broken", "after"], "state": "success"}


def test_cancel_is_offered_only_while_the_run_is_active(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        page = c.get(run_url(run_id))
        assert 'id="cancel-run"' not in page.text                          # a finished run
        csrf = csrf_of(page.text)
        refused = c.post(f"{run_url(run_id)}/cancel", data={"csrf": csrf})
        assert refused.status_code == 409
        assert message(refused.text) == f"run {run_id} already ended failed; there is nothing to cancel"
        assert 'id="run-state"' in refused.text and "data-poll" not in refused.text    # the run page, still
        c.post(f"{run_url(run_id)}/clear", data={"csrf": csrf, "task_id": "after", "confirm": "after"})
        assert states(run_id)["run"] == "queued"                          # nobody drives it here
        assert 'id="cancel-run"' in c.get(run_url(run_id)).text
        done = c.post(f"{run_url(run_id)}/cancel", data={"csrf": csrf})
        assert done.status_code == 303 and done.headers["location"] == f"{run_url(run_id)}?done=cancel"
        assert message(c.get(done.headers["location"]).text, "flash") == "Run cancelled."
    assert states(run_id)["run"] == "cancelled"
    assert len(entries("cancel", run_id)) == 1


def test_the_note_is_shown_escaped_on_the_run_and_task_pages_and_removed_empty(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(run_url(run_id)).text)
        done = c.post(f"{run_url(run_id)}/note", data={"csrf": csrf, "note": "input fixed <b>at 9</b>"})
        assert done.status_code == 303 and done.headers["location"] == f"{run_url(run_id)}?done=note"
        page = c.get(done.headers["location"]).text
        assert message(page, "flash") == "Note saved."
        assert message(page, "note-text") == "input fixed <b>at 9</b>"
        assert '<dd class="note" id="note-text">input fixed &lt;b&gt;at 9&lt;/b&gt;</dd>' in page   # escaped
        assert ">input fixed &lt;b&gt;at 9&lt;/b&gt;</textarea>" in page
    with session(live, "viewer") as v:
        task_page = v.get(f"{run_url(run_id)}/tasks/after").text
        assert message(task_page, "note-text") == "input fixed <b>at 9</b>"
    with session(live, "operator") as c:
        removed = c.post(f"{run_url(run_id)}/note", data={"csrf": csrf, "note": "  "})
        assert removed.headers["location"].endswith("?done=note%3Aremoved")
        assert 'id="note-text"' not in c.get(run_url(run_id)).text
    assert queries.show_run(load_settings(), run_id).note is None
    notes = [e.detail for e in entries("note", run_id)]
    assert notes == [{"note": None}, {"note": "input fixed <b>at 9</b>"}]


def test_unknown_tasks_and_runs_are_named_on_a_page_never_a_500(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(f"{run_url(run_id)}/tasks/broken").text)
        unknown = c.post(f"{run_url(run_id)}/clear",
                         data={"csrf": csrf, "task_id": "nope", "back_task": "broken"})
        assert unknown.status_code == 404
        assert message(unknown.text) == "DAG 'ui_ops' has no task 'nope'"
        assert "<h1>Task <code>broken</code>" in unknown.text               # on the page it came from
        marked = c.post(f"{run_url(run_id)}/mark", data={"csrf": csrf, "task_id": "nope", "state": "failed"})
        assert marked.status_code == 404 and "no task 'nope'" in message(marked.text)
        for route in ROUTES:
            gone = c.post(f"/ui/runs/nope/{route}", data={"csrf": csrf, "task_id": "x", "state": "success",
                                                          "note": "n", "confirm": "x"})
            assert gone.status_code == 404, route
            assert "no run" in gone.text and "Log out" in gone.text          # the error page, with the nav
        bad = c.post(f"{run_url(run_id)}/clear", data={"csrf": csrf, "task_id": "ok", "back_map": "x"})
        assert bad.status_code == 400 and "back_map is not a map index" in bad.text
    assert states(run_id)["run"] == "failed"


def test_viewers_see_no_controls_and_are_refused(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "viewer") as v:
        for path in (run_url(run_id), f"{run_url(run_id)}/tasks/broken"):
            page = v.get(path).text
            for control in ('id="run-ops"', 'id="task-ops"', 'id="retry-failed"', 'id="note-form"',
                            'name="task_id"', "/mark"):
                assert control not in page, (path, control)
        form = {"csrf": csrf_of(page), "task_id": "broken", "state": "success", "note": "x",
                "confirm": "broken,after"}
        for route in ROUTES:
            r = v.post(f"{run_url(run_id)}/{route}", data=form)
            assert r.status_code == 403, route
            assert "may not do this (needs operator)" in r.text
    with httpx.Client(base_url=live.base, timeout=30) as anonymous:
        r = anonymous.post(f"{run_url(run_id)}/retry", data={"confirm": "broken,after"})
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=")
    assert states(run_id)["run"] == "failed"
    assert not [e for e in audit.list_entries(load_settings(), 100) if e.target == run_id]


def test_csrf_token_and_origin_are_checked(live: Live) -> None:
    run_id = _failed_run()
    form = {"task_id": "broken", "state": "success", "confirm": "broken,after", "note": "x"}
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(run_url(run_id)).text)
        for route in ROUTES:
            missing = c.post(f"{run_url(run_id)}/{route}", data=form)
            wrong = c.post(f"{run_url(run_id)}/{route}", data={**form, "csrf": "0" * 64})
            foreign = c.post(f"{run_url(run_id)}/{route}", data={**form, "csrf": csrf},
                             headers={"Origin": "https://evil.example"})
            assert (missing.status_code, wrong.status_code, foreign.status_code) == (403, 403, 403), route
            assert "CSRF token" in missing.text and "cross-origin request refused" in foreign.text
        same = c.post(f"{run_url(run_id)}/note", data={**form, "csrf": csrf}, headers={"Origin": live.base})
        assert same.status_code == 303
    assert states(run_id)["run"] == "failed"
    assert [e.action for e in audit.list_entries(load_settings(), 100) if e.target == run_id] == ["note"]


def test_a_mapped_instance_page_clears_the_task_and_comes_back_to_the_instance(live: Live) -> None:
    with DAG("ui_ops_mapped") as dag:
        @task
        def rows() -> list[int]:
            return [1, 2]

        @task
        def load(x: int) -> int:
            if x == 2:
                raise ValueError("row 2 is bad")
            return x

        load.expand(x=rows())
    run_id = dag.run().run_id
    with session(live, "operator") as c:
        page = c.get(f"{run_url(run_id)}/tasks/load", params={"map_index": 1}).text
        assert "Clear or mark load (every mapped instance) in this run" in page
        form = {"csrf": csrf_of(page), "task_id": "load", "back_task": "load", "back_map": "1"}
        assert listed(c.post(f"{run_url(run_id)}/clear", data=form).text) == ["load"]
        done = c.post(f"{run_url(run_id)}/clear", data={**form, "confirm": "load"})
        assert done.headers["location"] == f"{run_url(run_id)}/tasks/load?map_index=1&done=clear%3A1"
    assert states(run_id)["load"] == "scheduled"


@pytest.mark.parametrize(("code", "text"), [
    ("clear:3", "Cleared 3 tasks: they run again in this run."),
    ("clear:1", "Cleared 1 task: it runs again in this run."),
    ("mark:failed:2", "Marked 2 tasks failed."),
    ("cancel:pending", ("Run cancelled — asked of the scheduler driving this run, which has not applied it "
                        "yet; the page updates when it does.")),
    ("note:removed", "Note removed."),
    ("mark:running:2", None), ("clear:<b>", None), ("clear", None), ("hello", None), ("", None), (None, None),
])
def test_the_message_after_an_action_comes_only_from_known_codes(code: str | None, text: str | None) -> None:
    assert ui_ops.done_text(code) == text


def test_done_codes_read_back_as_their_messages() -> None:
    pending = ui_ops.done_text(ui_ops.done_code("retry", 4, applied=False))
    assert pending is not None and pending.startswith("Retrying from failure: 4 tasks cleared to run again —")
    assert ui_ops.done_code("mark", 2, "success") == "mark:success:2"


def test_the_confirmation_says_which_listed_tasks_are_already_waiting(live: Live) -> None:
    run_id = _failed_run()
    with session(live, "operator") as c:
        csrf = csrf_of(c.get(run_url(run_id)).text)
        c.post(f"{run_url(run_id)}/clear", data={"csrf": csrf, "task_id": "after", "confirm": "after"})
        confirm = c.post(f"{run_url(run_id)}/clear",
                         data={"csrf": csrf, "task_id": "broken", "downstream": "on"})
        assert listed(confirm.text) == ["broken", "after"]
        items = dict(re.findall(r'<li data-task-id="([^"]+)">(.*?)</li>', confirm.text))
        assert "left as it is" in items["after"] and "left as it is" not in items["broken"]
