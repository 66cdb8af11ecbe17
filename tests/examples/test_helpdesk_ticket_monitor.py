"""examples/helpdesk_ticket_monitor.py: the HTTP sensor waits for a customer's High ticket,
the ticket is fetched, enriched with the customer's tier from the warehouse and published on
the embedded queue, keyed by the ticket."""

from __future__ import annotations

from legato.demo import seed
from legato.demo.standins import StandIns, data
from waiting import then_in_thread

from .conftest import example, queue_messages, states


def test_a_customer_ticket_is_found_enriched_and_routed(world: StandIns) -> None:
    seed.warehouse_reference_data()
    seed.customer_ticket(world.helpdesk.url, customer_id="C-001", summary="an old ticket")
    world.helpdesk.tickets["SUP-1"].status = "In Progress"          # not new: not picked
    dag = example("helpdesk_ticket_monitor")["helpdesk_ticket_monitor"]
    opener = then_in_thread(                # the ticket arrives after the sensor's first poke
        lambda: world.helpdesk.seen("GET", "/rest/api/3/search/jql"),
        lambda: seed.customer_ticket(world.helpdesk.url, customer_id="C-007"), 30,
        what="the sensor's first poke")
    result = dag.run()
    opener.join()
    assert result.state == "success", states(result)
    tier = next(c for c in data.customers() if c["customer_id"] == "C-007")
    [message] = queue_messages("helpdesk-tickets")
    assert message["key"] == "SUP-2" and message["customer_id"] == "C-007"
    assert message["tier"] == tier["tier"] and message["region"] == tier["region"]
    assert message["sla_hours"] == {"gold": 1, "silver": 4, "bronze": 8}[tier["tier"]]
    assert len(world.helpdesk.seen("GET", "/rest/api/3/search/jql")) >= 2    # it waited
    assert world.helpdesk.seen("GET", "/rest/api/3/issue/SUP-2")
