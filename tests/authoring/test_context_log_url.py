"""`ctx.ti.log_url`: the web UI's page of the try's log under LEGATO_BASE_URL, the link
Legato's incidents send (Airflow's `ti.log_url`, which the article's callbacks put in
tickets), for native DAGs and, through the same view, Airflow ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato import DAG, task
from legato.incidents.lifecycle import log_url


def test_log_url_is_the_ui_log_page_of_the_try(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_BASE_URL", "https://legato.example/")
    with DAG("links") as dag:
        @task(retries=1, retry_delay=timedelta(0))
        def flaky(ctx):
            if ctx.try_number == 1:
                raise RuntimeError("first try fails")
            return ctx.ti.log_url

        @task
        def each(x, ctx):
            return ctx.ti.log_url

        flaky() >> each.expand(x=[1, 2])
    result = dag.run(executor="inline")
    assert result.state == "success"
    base = "https://legato.example"
    assert result["flaky"].result == log_url(base, result.run_id, "flaky", 2)
    assert result["each"].result[1] == log_url(base, result.run_id, "each", 1) + "&map_index=1"
