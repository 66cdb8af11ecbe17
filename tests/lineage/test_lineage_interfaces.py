"""`legato datasets|lineage` (typer's CliRunner), the /api/v1 routes against a real uvicorn
server on a loopback port, and the UI pages (catalog, dataset, lineage SVG) through a session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from lhelpers import CONSUMER, PRODUCER, load, write
from typer.testing import CliRunner

from legato.cli.main import app as cli
from legato.config import load_settings
from legato.security import create_token
from legato.server.app import PREFIX, create_app
from server_harness import uvicorn_serving

SALES = "duckdb://warehouse/sales.daily"
PDF = "file:///reports/sales.pdf"


@pytest.fixture
def runs(tmp_path: Path) -> None:
    assert load(write(tmp_path, "producer", PRODUCER)).run().state == "success"
    assert load(write(tmp_path, "consumer", CONSUMER)).run().state == "success"


def test_cli(runs: None) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["datasets", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    by_uri = {d["uri"]: d for d in json.loads(listed.stdout)}
    assert set(by_uri) == {SALES, PDF, "s3://raw/orders.csv"}
    assert by_uri[SALES]["freshness"] == "fresh" and by_uri[SALES]["owner"] == "ana"
    assert by_uri[SALES]["consumers"] == ["sales_report.report"]
    only = json.loads(runner.invoke(cli, ["datasets", "list", "--domain", "sales", "--json"]).stdout)
    assert [d["uri"] for d in only] == [SALES]
    assert json.loads(runner.invoke(cli, ["datasets", "list", "--stale", "--json"]).stdout) == []

    shown = json.loads(runner.invoke(cli, ["datasets", "show", SALES, "--json"]).stdout)
    assert shown["producers"] == ["sales_producer.load"] and len(shown["updates"]) == 1
    human = runner.invoke(cli, ["lineage", PDF, "--upstream", "--depth", "2"])
    assert human.exit_code == 0 and "written by" in human.stdout
    assert "sales_producer.load" in human.stdout and "s3://raw/orders.csv" in human.stdout
    graph = json.loads(runner.invoke(cli, ["lineage", PDF, "--upstream", "--depth", "1",
                                           "--json"]).stdout)
    assert "task:sales_producer.load" not in {n["id"] for n in graph["nodes"]}   # depth 1
    unknown = runner.invoke(cli, ["lineage", "s3://nope"])
    assert unknown.exit_code == 2 and "no dataset 's3://nope'" in unknown.stderr


@pytest.fixture
def server(runs: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict]]:
    monkeypatch.setenv("LEGATO_DAGS", str(tmp_path))
    monkeypatch.delenv("LEGATO_RATE_LIMIT", raising=False)
    settings = load_settings()
    tokens = {"viewer": create_token(settings, "viewer", "t-viewer")[0]}
    with uvicorn_serving(create_app(settings)) as root:
        yield root, tokens


def test_api(server: tuple[str, dict]) -> None:
    base, tokens = server
    auth = {"Authorization": f"Bearer {tokens['viewer']}"}
    with httpx.Client(base_url=base + PREFIX, headers=auth, timeout=30) as api:
        listed = api.get("/datasets", params={"domain": "sales"})
        assert listed.status_code == 200 and [d["uri"] for d in listed.json()] == [SALES]
        for path in (f"/datasets/{SALES}", f"/datasets/{quote(SALES, safe='')}"):
            got = api.get(path)
            assert got.status_code == 200, (path, got.text)
            assert got.json()["uri"] == SALES and got.json()["schema"]["required"] == ["day"]
        assert api.get("/dataset", params={"uri": PDF}).json()["producers"] == ["sales_report.report"]
        graph = api.get("/lineage", params={"uri": PDF, "depth": 2, "direction": "upstream"}).json()
        assert {"source": "task:sales_producer.load", "target": f"dataset:{SALES}",
                "kind": "writes"} in graph["edges"]
        missing = api.get("/datasets/s3://nope/x")
        assert missing.status_code == 404 and "s3://nope/x" in missing.json()["detail"]
        assert api.get("/lineage", params={"uri": SALES, "depth": 0}).status_code == 422
        assert api.get("/lineage", params={"uri": SALES, "direction": "up"}).status_code == 422
    assert httpx.get(base + PREFIX + "/datasets", timeout=30).status_code == 401


def test_ui_pages(server: tuple[str, dict]) -> None:
    base, tokens = server
    with httpx.Client(base_url=base, timeout=30) as browser:
        assert browser.post("/ui/login", data={"token": tokens["viewer"],
                                               "next": "/ui/datasets"}).status_code == 303
        page = browser.get("/ui/datasets")
        assert page.status_code == 200 and f'data-dataset="{SALES}"' in page.text
        assert "fresh" in page.text and "ana" in page.text
        one = browser.get("/ui/dataset", params={"uri": SALES})
        assert one.status_code == 200 and "sales_producer.load" in one.text
        graph = browser.get("/ui/lineage", params={"uri": PDF, "depth": 3})
        assert graph.status_code == 200 and "<svg" in graph.text
        assert 'data-node="task:sales_producer.load"' in graph.text
        assert f'data-node="dataset:{SALES}"' in graph.text and graph.text.count('class="edge"') == 4
