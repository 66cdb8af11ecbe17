"""Helpdesk outages: 503s, timeouts, connection refused. Nothing is lost, retries back off,
an incident's events arrive in order, and nothing is sent twice — not by a restarted
dispatcher, not by two dispatchers at once, not after a lost response."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legato.config import load_settings
from legato.engine.bus import Bus
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler
from legato.incidents import Jira, Webhook
from legato.incidents.dispatcher import Dispatcher, backoff
from legato.services import operate
from legato.services.incidents import start_incidents
from legato.store import outbox
from legato.store.db import open_engine

from .helpers import Driver, Recorder, Request, serve

EVENTS = ["incident.opened", "incident.updated", "incident.resolved"]


@pytest.fixture
def server() -> Iterator[Recorder]:
    rec = serve(Recorder())
    yield rec
    rec.server.shutdown()


def three_events(sink: Any) -> Driver:
    drv = Driver([sink])
    drv.task("failed", run_id="r1")
    drv.task("up_for_retry", run_id="r2")
    drv.task("success", run_id="r3")
    return drv


def rows(drv: Driver) -> list[outbox.OutboxRow]:
    with drv.engine.connect() as conn:
        return outbox.all_rows(conn)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("attempts", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0),
                                                    (10, 60.0), (50, 60.0)])
def test_backoff_doubles_to_a_cap_with_jitter(attempts: int, expected: float) -> None:
    # jitter takes up to half off: the two ends of the random source give the band's ends
    ends = sorted(backoff(attempts, base_s=1.0, max_s=60.0, rng=_Fixed(u)) for u in (0.0, 0.999999))
    assert ends == [pytest.approx(expected / 2, rel=1e-5), pytest.approx(expected)]


class _Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_503s_are_retried_with_backoff_and_delivered_once_in_order(server: Recorder) -> None:
    failures = {"left": 4}

    def reply(req: Request) -> tuple[int, Any, float]:
        if failures["left"] > 0:
            failures["left"] -= 1
            return 503, {"error": "maintenance"}, 0
        return 200, {}, 0

    server.reply = reply
    drv = three_events(Webhook(server.url + "/h"))
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    assert [r.json["event"] for r in server.accepted] == EVENTS
    assert [r.json["event"] for r in server.requests[:5]] == ["incident.opened"] * 5
    done = rows(drv)
    assert [r.state for r in done] == ["delivered"] * 3 and done[0].attempts == 5
    assert all(r.delivered_at is not None for r in done)


def test_backoff_is_recorded_between_attempts(server: Recorder) -> None:
    server.reply = lambda r: (503, {}, 0)
    drv = three_events(Webhook(server.url + "/h"))
    disp = Dispatcher(drv.settings, base_s=30, max_s=600, rng=_Fixed(0.0))
    before = datetime.now(UTC)
    disp.deliver_due()
    first = rows(drv)[0]
    assert first.attempts == 1 and "HTTP 503" in first.last_error
    assert first.next_attempt_at >= before + timedelta(seconds=15)
    assert disp.deliver_due() == 0 and len(server.requests) == 1     # not due yet: no request


def test_connection_refused_loses_nothing_and_delivers_when_the_helpdesk_returns() -> None:
    port = free_port()
    drv = three_events(Webhook(f"http://127.0.0.1:{port}/h"))
    disp = Dispatcher(drv.settings, base_s=0.01, max_s=0.05)
    assert disp.drain(0.3) is False                    # bounded: gives up for now
    pending = rows(drv)
    assert [r.state for r in pending] == ["pending"] * 3
    assert pending[0].attempts >= 1 and "Connect" in pending[0].last_error
    assert pending[1].attempts == pending[2].attempts == 0     # later events waited
    rec = serve(Recorder(), port=port)
    try:
        assert disp.drain(20)
        assert [r.json["event"] for r in rec.accepted] == EVENTS
    finally:
        rec.server.shutdown()


def test_a_timeout_is_retried_with_the_same_delivery_id(server: Recorder) -> None:
    slow = {"left": 1}

    def reply(req: Request) -> tuple[int, Any, float]:
        if slow["left"]:
            slow["left"] -= 1
            return 200, {}, 1.0
        return 200, {}, 0

    server.reply = reply
    drv = Driver([Webhook(server.url + "/h", timeout_s=0.2)])
    drv.task("failed")
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    (row,) = rows(drv)
    assert row.state == "delivered" and row.attempts == 2
    ids = {r.headers["x-legato-delivery"] for r in server.requests}
    assert len(server.requests) == 2 and len(ids) == 1     # the receiver can dedupe


def test_a_restarted_dispatcher_sends_nothing_twice(server: Recorder) -> None:
    drv = Driver([Webhook(server.url + "/h")])
    drv.task("failed", run_id="r1")
    assert Dispatcher(drv.settings).drain(10)
    drv.task("up_for_retry", run_id="r2")
    assert Dispatcher(drv.settings).drain(10)           # "after a restart": a new dispatcher
    assert Dispatcher(drv.settings).drain(10)
    assert [r.json["event"] for r in server.requests] == EVENTS[:2]


def test_a_live_claim_is_respected_and_an_expired_one_is_taken_over(server: Recorder) -> None:
    drv = Driver([Webhook(server.url + "/h")])
    drv.task("failed")
    (row,) = rows(drv)
    now = datetime.now(UTC)
    with drv.engine.begin() as conn:                     # another dispatcher is sending it
        assert outbox.claim(conn, row.id, "other", now, now + timedelta(minutes=5))
    assert Dispatcher(drv.settings).deliver_due() == 0 and server.requests == []
    with drv.engine.begin() as conn:                     # ... and died: its lease ran out
        conn.execute(outbox.outbox.update().values(claimed_until=now - timedelta(seconds=1)))
    assert Dispatcher(drv.settings).deliver_due() == 1
    assert len(server.requests) == 1


def test_two_dispatchers_at_once_send_each_event_once(server: Recorder) -> None:
    server.reply = lambda r: (200, {}, 0.05)
    drv = Driver([Webhook(server.url + "/h")])
    for i in range(5):
        drv.task("failed", task_id=f"t{i}")
    a, b = Dispatcher(drv.settings), Dispatcher(drv.settings)
    threads = [threading.Thread(target=d.drain, args=(20,)) for d in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.json["incident"]["task_id"] for r in server.requests) == [
        f"t{i}" for i in range(5)]


def test_a_lost_jira_create_response_does_not_make_a_second_issue(
        server: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []

    def reply(req: Request) -> tuple[int, Any, float]:
        if req.path == "/rest/api/3/issue":
            created.append(req.json["fields"]["labels"][1])
            return 201, {"key": "OPS-1"}, 1.0 if len(created) == 1 else 0
        if req.path == "/rest/api/3/search/jql":
            label = req.json["jql"].split('"')[1]
            return 200, {"issues": [{"key": "OPS-1"}] if label in created else []}, 0
        return 201, {}, 0

    server.reply = reply
    monkeypatch.setenv("LEGATO_CONN_JIRA", "https://me%40x.com:t@x.atlassian.net")
    drv = three_events(Jira(url=server.url, project="OPS", timeout_s=0.3))
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    assert len(created) == 1                             # the retry searched and found it
    assert [(r.method, r.path) for r in server.requests][:3] == [
        ("POST", "/rest/api/3/issue"), ("POST", "/rest/api/3/search/jql"),
        ("POST", "/rest/api/3/issue/OPS-1/comment")]


def test_a_permanent_error_gives_up_after_some_tries_and_the_queue_moves_on(
        server: Recorder) -> None:
    server.reply = lambda r: ((400, {"error": "bad"}, 0) if r.json["event"] == "incident.opened"
                              else (200, {}, 0))
    drv = three_events(Webhook(server.url + "/h"))
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.02, max_permanent=3).drain(20)
    states = [r.state for r in rows(drv)]
    assert states == ["dead", "delivered", "delivered"] and rows(drv)[0].attempts == 3


def test_the_scheduler_is_not_blocked_by_a_helpdesk_that_is_down(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "broken.py").write_text(
        "from legato import DAG, task\n"
        "from legato.incidents import Webhook\n"
        f"with DAG('broken', incidents=[Webhook('http://127.0.0.1:{free_port()}/h')]) as dag:\n"
        "    @task\n"
        "    def boom():\n"
        "        raise RuntimeError('nope')\n"
        "    boom()\n")
    monkeypatch.setenv("LEGATO_DAGS", str(dags))
    settings = load_settings()
    bus = Bus()
    dispatcher = start_incidents(settings, bus)        # the sink is down: refused, retried
    runner = make_executor("local")
    try:
        scheduler = Scheduler(settings, runner, bus=bus, poll_s=0.05)
        scheduler.refresh_dags()
        operate.trigger(settings, "broken", None, {})
        scheduler.run_until_idle(timeout_s=30)          # returns: the run is over
    finally:
        runner.shutdown()
        dispatcher.stop()
    with open_engine(settings.database_url).connect() as conn:
        (row,) = outbox.all_rows(conn)
    assert row.state == "pending" and row.event == "incident.opened"


def test_a_long_queue_does_not_starve_the_other_incidents() -> None:
    drv = Driver([])
    now = datetime.now(UTC)
    sink = [("k", {"type": "webhook", "url": "http://x/h"})]
    with drv.engine.begin() as conn:
        for _ in range(2500):
            outbox.enqueue(conn, 1, "incident.updated", {"n": 1}, sink, now)
        outbox.enqueue(conn, 2, "incident.opened", {"n": 2}, sink, now)
        heads = outbox.heads(conn, now)
    assert [(h.incident_id, h.event) for h in heads] == [(1, "incident.updated"),
                                                         (2, "incident.opened")]
