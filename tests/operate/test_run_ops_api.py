"""The operator actions over HTTP (issue 12): POST /runs/{id}/clear|retry|cancel,
POST /runs/{id}/tasks/{task}/mark, PATCH /runs/{id} — operators only, audited, 404/409 with
messages, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from legato.config import load_settings
from legato.services import audit, queries
from run_ops_support import failed_run
from server_harness import serving


def _failed_run() -> str:
    return failed_run("api_ops")


def test_operator_actions_over_http(tmp_path, backend: str) -> None:
    run_id = _failed_run()
    with serving(tmp_path) as start:
        live = start()
        base = live.base + "/api/v1"
        viewer = {"Authorization": f"Bearer {live.tokens['viewer']}"}
        operator = {"Authorization": f"Bearer {live.tokens['operator']}"}
        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.post(f"/runs/{run_id}/retry", headers=viewer).status_code == 403
            dry = c.post(f"/runs/{run_id}/retry", json={"dry_run": True}, headers=operator)
            assert dry.json()["task_ids"] == ["broken", "after"]
            assert queries.show_run(load_settings(), run_id).state == "failed"   # unchanged
            unknown = c.post(f"/runs/{run_id}/clear", json={"task_ids": ["nope"]},
                             headers=operator)
            assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
            marked = c.post(f"/runs/{run_id}/tasks/broken/mark",
                            json={"state": "success", "downstream": True}, headers=operator)
            assert marked.status_code == 200, marked.text
            assert marked.json() == {"run_id": run_id, "task_ids": ["broken", "after"],
                                     "state": "success", "applied": True}
            cleared = c.post(f"/runs/{run_id}/clear", json={"task_ids": ["after"]},
                             headers=operator)
            assert cleared.json()["state"] == "queued"
            noted = c.patch(f"/runs/{run_id}", json={"note": "re-run after the fix"},
                            headers=operator)
            assert noted.status_code == 200 and noted.json()["note"] == "re-run after the fix"
            assert c.get(f"/runs/{run_id}", headers=viewer).json()["note"] == "re-run after the fix"
            cancelled = c.post(f"/runs/{run_id}/cancel", headers=operator)
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
            again = c.post(f"/runs/{run_id}/cancel", headers=operator)
            assert again.status_code == 409 and "already ended" in again.json()["detail"]
            assert c.post("/runs/nope/cancel", headers=operator).status_code == 404
            bad = c.post(f"/runs/{run_id}/tasks/after/mark", json={"state": "running"},
                         headers=operator)
            assert bad.status_code == 422
    actions = [(e.action, e.target) for e in audit.list_entries(load_settings(), 50)]
    for action in ("mark", "clear", "note", "cancel"):
        assert (action, run_id) in actions
    entry = next(e for e in audit.list_entries(load_settings(), 50) if e.action == "mark")
    assert "operator" in entry.actor and entry.detail["task_ids"] == ["broken", "after"]


