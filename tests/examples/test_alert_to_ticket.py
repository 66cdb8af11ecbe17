"""examples/alert_to_ticket.py: the supplier API's outage opens one ticket (High, assigned,
labelled), a second failing run comments on it, and the first success after the outage
resolves it (Done), with Legato's incident following the same lifecycle."""

from __future__ import annotations

from legato.config import load_settings
from legato.demo.standins import StandIns, data
from legato.io.warehouse import Warehouse
from legato.services import incidents

from .conftest import example


def test_a_ticket_is_opened_updated_and_resolved(world: StandIns) -> None:
    dag = example("alert_to_ticket")["alert_to_ticket"]
    world.procurement.outage = True
    first = dag.run(logical_date="2024-03-01")
    [ticket] = world.helpdesk.lifecycle()
    assert first.state == "failed" and first["sync_supplier_catalogue"].tries == 2
    assert (ticket["priority"], ticket["assignee"], ticket["status"]) == ("High", "oncall-data-eng",
                                                                          "To Do")
    assert {"supplier_sync", "orchestration_failure"} <= set(ticket["labels"])
    assert ticket["components"] == ["data-platform"] and ticket["comments"] == 0
    assert "503" in ticket["description"] and "sync_supplier_catalogue" in ticket["description"]

    assert dag.run(logical_date="2024-03-01").state == "failed"
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["comments"] == 2 and ticket["status"] == "To Do"   # the retry, the occurrence

    world.procurement.outage = False
    assert dag.run(logical_date="2024-03-01").state == "success"
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["status"] == "Done" and ticket["comments"] == 3    # + the resolution note
    [incident] = incidents.list_incidents(load_settings(), dag_id="alert_to_ticket")
    assert incident.state == "resolved" and incident.occurrences == 2
    assert len(Warehouse().query("SELECT * FROM dim_supplier")) == len(data.VENDORS)
