"""examples/ddos_response_playbook.py: an attack alert reroutes traffic, scales logging and
opens one Highest ticket with the diagnostics, however often the alert's run is repeated."""

from __future__ import annotations

from legato.demo.standins import StandIns, data

from .conftest import example


def test_an_alert_runs_the_playbook_and_opens_one_ticket(world: StandIns) -> None:
    attack = data.ddos_events(data.ATTACK_DAY)[0]
    dag = example("ddos_response_playbook")["ddos_response_playbook"]
    alert = {"alert": "ddos_attack_started", "attack": attack}
    first = dag.run(event=alert)
    again = dag.run(event=alert)                 # a second delivery of the same alert
    assert first.state == again.state == "success"
    assert first["open_priority_ticket"].result == again["open_priority_ticket"].result == "SEC-1"
    assert [r["region"] for r in world.ddos.reroutes] == ["eu-backup", "eu-backup"]
    assert world.ddos.logging[-1] == {"level": "verbose", "sample_rate": 1.0}
    [ticket] = world.helpdesk.lifecycle()
    assert ticket["priority"] == "Highest" and f"attack-{attack['id']}" in ticket["labels"]
    assert attack["attack_type"] in ticket["summary"] and "eu-backup" in ticket["description"]
    assert ticket["comments"] == 1 and ticket["status"] == "To Do"
