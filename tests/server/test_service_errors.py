"""Services say bad input with `errors.InvalidInput` (issue 11), so the API needs no wrapper to
turn their ValueErrors into 400s: a service's bad input reaches the client as 400 with the
service's message, a request the OpenAPI document refuses is 422, and anything else a service
raises is a 500 that names only the error's type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato import errors
from legato.config import load_settings
from legato.services import incidents, lineage, quality, ui_views
from legato.store import profiles
from legato.store.db import open_engine
from server_harness import Live


def test_services_raise_invalid_input_a_value_error_too() -> None:
    settings = load_settings()
    cases = [
        (lambda: incidents.list_incidents(settings, state="lost"), "state must be one of"),
        (lambda: lineage.lineage(settings, "s3://a", direction="sideways"), "direction must be one of"),
        (lambda: quality.list_reports(settings, status="fine"), "unknown status 'fine'"),
        (lambda: quality.pin(settings, "orders"), "pin from data or from a report"),
        (lambda: ui_views.search_dags([], sort="size"), "sort must be one of"),
    ]
    for call, message in cases:
        with pytest.raises(errors.InvalidInput, match=message) as info:
            call()
        assert isinstance(info.value, ValueError)


def _held_report(dataset: str) -> int:
    with open_engine(load_settings().database_url).begin() as conn:
        return profiles.insert_report(conn, dataset=dataset, status="held", threshold=0.2,
                                      report={"profile": {"row_count": 2}}, at=datetime.now(UTC))


def test_bad_input_to_a_service_is_a_400_with_its_message(live: Live) -> None:
    report_id = _held_report("orders")
    with live.client("operator") as c:
        r = c.put("/quality/references/invoices", json={"report_id": report_id})
        assert (r.status_code, r.json()) == (
            400, {"detail": f"report {report_id} is of dataset 'orders', not 'invoices'"})
        r = c.put("/quality/references/invoices", json={"report_id": 0})
        assert r.status_code == 422 and "report_id" in r.json()["detail"]
        r = c.put("/quality/references/orders", json={"report_id": report_id})
        assert r.status_code == 200 and r.json()["dataset"] == "orders"


def test_an_internal_error_in_a_service_is_a_500(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a slip inside the store, not the caller's fault")

    monkeypatch.setattr(profiles, "pin_reference", broken)
    report_id = _held_report("orders")
    with live.client("operator") as c:
        r = c.put("/quality/references/orders", json={"report_id": report_id})
    assert (r.status_code, r.json()) == (500, {"detail": "internal error: ValueError"})
