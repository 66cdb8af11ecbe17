"""examples/security_spend_correlation.py: on the attack day the purchase orders placed during
attacks land in DuckDB and ONE High ticket lists them; a quiet day skips the alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse

from .conftest import example, states


def during_attacks(day: str) -> list[dict]:
    """Computed here from the stand-in's data, independently of the example's code."""
    windows = [(datetime.fromisoformat(a["start_time"]), datetime.fromisoformat(a["end_time"]))
               for a in data.ddos_events(day)]
    nxt = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    orders = [o for d in (day, nxt) for o in data.purchase_orders(d)]
    return [o for o in orders
            if any(s <= datetime.fromisoformat(o["created_date"]) <= e for s, e in windows)]


def test_the_attack_day_opens_one_ticket_and_a_quiet_day_none(world: StandIns) -> None:
    dag = example("security_spend_correlation")["security_spend_correlation"]
    day = data.ATTACK_DAY.isoformat()
    first = dag.run(logical_date=day)
    again = dag.run(logical_date=day)
    quiet = dag.run(logical_date="2024-03-01")
    assert first.state == again.state == quiet.state == "success"
    expected = during_attacks(day)
    assert len(expected) > 5
    assert first["alert_helpdesk_on_anomaly"].result == again["alert_helpdesk_on_anomaly"].result
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["priority"] == "High" and f"spend-anomaly-{day}" in ticket["labels"]
    assert f"detected {len(expected)} purchase orders" in ticket["description"]
    rows = Warehouse().query("SELECT po_id FROM security_spend_correlation WHERE day = :d", {"d": day})
    assert sorted(r["po_id"] for r in rows) == sorted(o["id"] for o in expected)
    assert states(quiet)["alert_helpdesk_on_anomaly"] == "skipped"
    assert world.procurement.seen("GET", "/v1/orders")          # through the paginated API
