"""API tokens can be listed, revoked and expired (issue 10 item 14): from the CLI (`legato
tokens list|revoke`, `create --expires`), from the API (admins), and revoking ends the UI
sessions holding the token (sessions are checked against the token table)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from legato.config import load_settings
from legato.security import AuthError, authenticate
from legato.services import tokens
from legato.store.db import open_engine
from legato.store.schema import api_tokens
from server_harness import Live


def legato(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "legato.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_cli_create_with_expiry_list_and_revoke(legato_home: Path) -> None:
    made = legato("tokens", "create", "--role", "viewer", "--name", "ci", "--expires", "30d",
                  home=legato_home)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert "expires" in made.stderr
    row = authenticate(load_settings(), f"Bearer {token}")
    assert timedelta(days=29, hours=23) < row.expires_at - datetime.now(UTC) <= timedelta(days=30)
    listed = legato("tokens", "list", "--json", home=legato_home)
    (doc,) = json.loads(listed.stdout)
    assert doc["name"] == "ci" and doc["state"] == "active" and doc["expires_at"]
    assert token not in listed.stdout
    assert "ci" in legato("tokens", "list", home=legato_home).stdout
    revoked = legato("tokens", "revoke", str(row.id), home=legato_home)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    with pytest.raises(AuthError, match="revoked"):
        authenticate(load_settings(), f"Bearer {token}")
    again = legato("tokens", "revoke", str(row.id), "--json", home=legato_home)
    assert again.returncode == 0 and json.loads(again.stdout)["changed"] is False
    assert json.loads(legato("tokens", "list", "--json", "--active", home=legato_home).stdout) == []


@pytest.mark.parametrize("args", [("revoke", "12"), ("revoke", "99999999999999999999"),
                                  ("create", "--role", "viewer", "--expires", "soon"),
                                  ("create", "--role", "viewer", "--expires", "0d")])
def test_cli_bad_input_is_one_line(args: tuple[str, ...], legato_home: Path) -> None:
    done = legato("tokens", *args, home=legato_home)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _expire(token_id: int) -> None:
    with open_engine(load_settings().database_url).begin() as conn:
        conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id)
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))


def test_an_expired_token_is_refused_and_listed_as_expired(live: Live) -> None:
    plain, info = tokens.create_token(load_settings(), "viewer", "short", "1h")
    headers = {"Authorization": f"Bearer {plain}"}
    with httpx.Client(base_url=live.base + "/api/v1", timeout=30) as c:
        assert c.get("/runs", headers=headers).status_code == 200
        _expire(info.id)
        r = c.get("/runs", headers=headers)
        assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert tokens.get_token(load_settings(), info.id).state == "expired"


def test_admins_list_create_and_revoke_through_the_api(live: Live) -> None:
    with live.client("admin") as admin:
        made = admin.post("/tokens", json={"role": "operator", "name": "bot", "expires_in": "12h"})
        assert made.status_code == 201, made.text
        doc = made.json()
        assert doc["token"].startswith("lgt_") and doc["state"] == "active" and doc["expires_at"]
        listed = admin.get("/tokens").json()
        assert [t["name"] for t in listed] == ["test-viewer", "test-operator", "test-admin", "bot"]
        assert all("token" not in t for t in listed)
        bot = {"Authorization": f"Bearer {doc['token']}"}
        assert httpx.get(live.base + "/api/v1/runs", headers=bot).status_code == 200
        gone = admin.post(f"/tokens/{doc['id']}/revoke")
        assert gone.status_code == 200 and gone.json()["state"] == "revoked" and gone.json()["changed"]
        assert admin.post(f"/tokens/{doc['id']}/revoke").json()["changed"] is False
        assert httpx.get(live.base + "/api/v1/runs", headers=bot).status_code == 401
        assert admin.post("/tokens/999999/revoke").status_code == 404
        assert admin.post("/tokens", json={"role": "root"}).status_code == 422
        actions = [(a["action"], a["detail"]["op"]) for a in admin.get("/audit").json()]
        assert actions == [("token", "revoke"), ("token", "create")]
    for role in ("viewer", "operator"):
        with live.client(role) as c:
            assert c.get("/tokens").status_code == 403
            assert c.post("/tokens", json={"role": "admin"}).status_code == 403


def test_revoking_a_token_ends_its_ui_sessions(live: Live) -> None:
    with httpx.Client(base_url=live.base, timeout=30, follow_redirects=False) as browser:
        login = browser.post("/ui/login", data={"token": live.tokens["operator"], "next": "/ui/dags"})
        assert login.status_code == 303
        assert browser.get("/ui/dags").status_code == 200
        operator = authenticate(load_settings(), f"Bearer {live.tokens['operator']}")
        tokens.revoke_token(load_settings(), operator.id)
        page = browser.get("/ui/dags")
        assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")
        assert browser.get("/ui/api/dags").status_code == 401
