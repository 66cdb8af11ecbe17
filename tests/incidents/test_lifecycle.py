"""The incident lifecycle through real runs (dag.run) and through the listener on a real store:
open after retries, comments on retries of an open incident, occurrences, resolution,
sensor timeouts, SLA misses, data-quality failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato import DAG, Fail, task
from legato.config import load_settings
from legato.engine.bus import RunFinished, SlaMissed
from legato.incidents import Webhook
from legato.incidents import lifecycle as lc
from legato.incidents.config import IncidentConfigError, parse_global_sinks
from legato.sensors import PythonSensor
from legato.services.incidents import incident_figures, list_incidents, show_incident
from legato.store import incidents as store
from legato.store import outbox, schema
from legato.store.db import open_engine

from .helpers import Driver, Recorder, serve


@pytest.fixture
def hook() -> Recorder:
    rec = serve(Recorder())
    yield rec
    rec.server.shutdown()


def events(rec: Recorder) -> list[tuple[str, int, int]]:
    return [(r.json["event"], r.json["incident"]["occurrences"], r.json["incident"]["tries"])
            for r in rec.accepted]


def flaky_dag(hook_url: str, retries: int) -> DAG:
    with DAG("flaky", incidents=[Webhook(hook_url + "/hook")],
             default_args={"retries": retries, "retry_delay": timedelta(0)}) as dag:
        @task
        def load(ctx):
            print("loading rows")
            if ctx.var("mode") == "fail":
                raise ValueError("bad rows")
            return 1
        load()
    return dag


# -- pure ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "has_open", "expected"), [
    ("failed", False, "open"), ("failed", True, "open"),
    ("up_for_retry", False, None), ("up_for_retry", True, "retry"),
    ("success", False, None), ("success", True, "resolve"),
    ("skipped", True, None), ("upstream_failed", True, None),
])
def test_action_for_each_task_state(state: str, has_open: bool, expected: str | None) -> None:
    assert lc.action_for(state, has_open) == expected


def test_kind_and_fingerprint() -> None:
    assert lc.kind_of("SensorTimeout") == "sensor_timeout"
    assert lc.kind_of("DataQualityError") == "data_quality"
    assert lc.kind_of("ValueError") == lc.kind_of(None) == "task_failure"
    a = lc.fingerprint("d", "t", "task_failure", "ValueError")
    assert a == lc.fingerprint("d", "t", "task_failure", "ValueError") and len(a) == 32
    assert len({a, lc.fingerprint("d", "t", "task_failure", "KeyError"),
                lc.fingerprint("d", "u", "task_failure", "ValueError"),
                lc.fingerprint("e", "t", "task_failure", "ValueError")}) == 4


# -- through dag.run -------------------------------------------------------------------------
def test_failure_after_retries_opens_then_retries_comment_then_success_resolves(
        hook: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    dag = flaky_dag(hook.url, retries=1)
    monkeypatch.setenv("LEGATO_VAR_MODE", "fail")
    assert dag.run().state == "failed"
    # both tries failed; only the final failure opened an incident, with its two tries
    assert events(hook) == [("incident.opened", 1, 2)]
    opened = hook.accepted[0].json["incident"]
    assert opened["kind"] == "task_failure" and opened["error_type"] == "ValueError"
    assert opened["task_id"] == "load" and opened["dag_id"] == "flaky"
    assert "loading rows" in opened["log_excerpt"]
    assert opened["log_url"].endswith(f"/ui/runs/{opened['run_id']}/tasks/load/logs?try=2")
    assert dag.run().state == "failed"       # the retry comments, the final failure recurs
    assert events(hook)[1:] == [("incident.updated", 1, 3), ("incident.updated", 2, 4)]
    monkeypatch.setenv("LEGATO_VAR_MODE", "ok")
    assert dag.run().state == "success"
    assert [e[0] for e in events(hook)][-1] == "incident.resolved"
    resolved = hook.accepted[-1].json["incident"]
    assert resolved["id"] == opened["id"] and resolved["resolved_at"] is not None
    assert len({r.json["incident"]["fingerprint"] for r in hook.accepted}) == 1
    (inc,) = list_incidents(load_settings())
    assert inc.state == "resolved" and inc.occurrences == 2
    reasons = [e.reason for e in show_incident(load_settings(), inc.id).events]
    assert reasons == ["opened", "retry", "occurrence", "resolved"]


def test_a_try_that_will_be_retried_opens_nothing(hook: Recorder,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dag = flaky_dag(hook.url, retries=1)
    monkeypatch.setenv("LEGATO_VAR_MODE", "ok")
    assert dag.run().state == "success"
    calls = {"n": 0}
    with DAG("second_try", incidents=[Webhook(hook.url + "/hook")],
             default_args={"retries": 2, "retry_delay": timedelta(0)}) as dag2:
        @task
        def once():
            calls["n"] += 1
            if calls["n"] == 1:
                raise ValueError("transient")
        once()
    assert dag2.run().state == "success"
    assert hook.requests == [] and list_incidents(load_settings()) == []


def test_resolved_incident_reopens_as_a_new_incident(hook: Recorder,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    dag = flaky_dag(hook.url, retries=0)
    for mode in ("fail", "ok", "fail"):
        monkeypatch.setenv("LEGATO_VAR_MODE", mode)
        dag.run()
    assert [e[0] for e in events(hook)] == ["incident.opened", "incident.resolved",
                                            "incident.opened"]
    ids = [r.json["incident"]["id"] for r in hook.accepted]
    assert ids[0] == ids[1] != ids[2]
    assert [i.state for i in list_incidents(load_settings())] == ["open", "resolved"]


def test_sensor_timeout_is_its_own_kind(hook: Recorder) -> None:
    with DAG("waits", incidents=[Webhook(hook.url + "/hook")]) as dag:
        PythonSensor("never", lambda: False, poke_interval=0.02, timeout=0.1)
    assert dag.run().state == "failed"
    (req,) = hook.accepted
    assert req.json["incident"]["kind"] == "sensor_timeout"
    assert req.json["incident"]["severity"] == "warning"


def test_data_quality_failure_is_its_own_kind(hook: Recorder) -> None:
    class DataQualityError(Fail):        # the shape of legato.quality.errors.DataQualityError
        pass

    with DAG("dq", incidents=[Webhook(hook.url + "/hook")],
             default_args={"retries": 3, "retry_delay": timedelta(0)}) as dag:
        @task
        def publish():
            raise DataQualityError("12% of rows rejected (max 5%)")
        publish()
    assert dag.run().state == "failed"
    (req,) = hook.accepted                    # Fail: no retry, opened at once
    assert req.json["incident"]["kind"] == "data_quality"
    assert req.json["incident"]["error"] == "12% of rows rejected (max 5%)"


def test_without_sinks_incidents_are_still_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    dag = flaky_dag("http://127.0.0.1:9", retries=0)
    dag.incidents = ()
    dag._spec = None
    monkeypatch.setenv("LEGATO_VAR_MODE", "fail")
    dag.run()
    (inc,) = list_incidents(load_settings(), state="open")
    assert inc.dag_id == "flaky" and inc.sinks == []
    with open_engine(load_settings().database_url).connect() as conn:
        assert outbox.all_rows(conn) == []


def test_global_sinks_from_settings(hook: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_INCIDENTS", json.dumps([{"type": "webhook",
                                                        "url": hook.url + "/global"}]))
    dag = flaky_dag(hook.url, retries=0)
    monkeypatch.setenv("LEGATO_VAR_MODE", "fail")
    dag.run()
    assert sorted(r.path for r in hook.wait_for(2)) == ["/global", "/hook"]


def test_global_sink_config_errors_are_clear() -> None:
    assert [s.url for s in parse_global_sinks("http://a/1, http://b/2")] == ["http://a/1",
                                                                            "http://b/2"]
    with pytest.raises(IncidentConfigError, match="unknown incident sink type 'jria'"):
        parse_global_sinks('[{"type": "jria"}]')
    with pytest.raises(IncidentConfigError, match="Jira: project is required"):
        parse_global_sinks('[{"type": "jira", "url": "https://x.atlassian.net"}]')
    with pytest.raises(IncidentConfigError, match="not valid JSON"):
        parse_global_sinks("[{")
    with pytest.raises(IncidentConfigError, match="never the key itself"):
        Webhook("http://a/b", secret="hunter2")


# -- through the listener ---------------------------------------------------------------------
def test_sla_miss_opens_recurs_and_the_next_good_run_resolves() -> None:
    drv = Driver([Webhook("http://127.0.0.1:9/hook")])
    now = datetime.now(UTC)
    drv.publish([SlaMissed("nightly", "r1", now - timedelta(minutes=5), now)])
    drv.publish([SlaMissed("nightly", "r2", now, now)])
    drv.publish([RunFinished("nightly", "r1", "success", now)])     # the late run itself
    with drv.engine.connect() as conn:
        (inc,) = store.open_of_dag(conn, "nightly")
        assert inc.kind == "sla_miss" and inc.occurrences == 2 and inc.task_id is None
    drv.publish([RunFinished("nightly", "r3", "success", now)])
    with drv.engine.connect() as conn:
        assert store.open_of_dag(conn, "nightly") == []
        assert [r.event for r in outbox.of_incident(conn, inc.id)] == [
            "incident.opened", "incident.updated", "incident.resolved"]


def test_one_open_incident_per_fingerprint_even_when_two_writers_race() -> None:
    drv = Driver([])
    engine = drv.engine
    values = {"uid": "u1", "fingerprint": "f" * 32, "kind": "task_failure", "severity": "error",
              "dag_id": "d", "task_id": "t", "map_index": -1, "error_type": "E", "error": "x",
              "run_id": "r", "logical_date": None, "try_number": 1, "tries": 1,
              "occurrences": 1, "sinks": [], "opened_at": datetime.now(UTC),
              "updated_at": datetime.now(UTC)}
    with engine.begin() as conn:
        assert store.insert_open(conn, values) is not None
        assert store.insert_open(conn, {**values, "uid": "u2"}) is None
    drv.task("failed")
    drv.task("failed")
    with engine.connect() as conn:
        (inc,) = store.open_of_dag(conn, "sales")
        assert inc.occurrences == 2


def test_success_of_a_task_without_incident_writes_nothing() -> None:
    drv = Driver([Webhook("http://127.0.0.1:9/hook")])
    drv.task("failed", task_id="other")
    drv.task("success", task_id="load")
    drv.task("up_for_retry", task_id="load")
    with drv.engine.connect() as conn:
        (inc,) = store.open_of_dag(conn, "sales")
        assert inc.task_id == "other"
        assert [r.event for r in outbox.all_rows(conn)] == ["incident.opened"]


def test_figures_count_open_and_mean_time_to_resolution(tmp_path: Path) -> None:
    drv = Driver([])
    drv.task("failed", task_id="a")
    drv.task("failed", task_id="b")
    drv.task("success", task_id="a")
    drv.task("failed", task_id="x", dag_id="other")
    figures = incident_figures(load_settings())
    assert figures["open"] == 2
    by_dag = {d["dag_id"]: d for d in figures["dags"]}
    assert by_dag["sales"]["open"] == 1 and by_dag["sales"]["resolved"] == 1
    assert by_dag["sales"]["mttr_s"] is not None and by_dag["sales"]["mttr_s"] >= 0
    assert by_dag["other"]["mttr_s"] is None


def test_a_success_seen_through_a_stale_cache_is_resolved_by_reconcile() -> None:
    sink = Webhook("http://127.0.0.1:9/hook")
    first, second = Driver([sink]), Driver([sink])      # e.g. a scheduler and a dag.run
    first.task("success", task_id="load", run_id="r0")  # caches "no open incident"
    second.task("failed", task_id="load", run_id="r1")  # opened by the other process
    first.task("success", task_id="load", run_id="r2")  # within the cache's lifetime
    now = datetime.now(UTC)                              # ... and the store has that success
    with first.engine.begin() as conn:
        conn.execute(schema.dag_runs.insert().values(
            run_id="r2", dag_id="sales", run_type="manual", logical_date=now,
            data_interval_start=now, data_interval_end=now, state="success", params_json="{}",
            created_at=now))
        conn.execute(schema.task_tries.insert().values(
            run_id="r2", task_id="load", map_index=-1, try_number=1, state="success",
            start_date=now, end_date=now))
    from legato.incidents.dispatcher import Dispatcher

    assert Dispatcher(first.settings).reconcile() == 1
    with first.engine.connect() as conn:
        assert store.open_of_dag(conn, "sales") == []
        (inc,) = store.list_incidents(conn)
        assert [r.event for r in outbox.of_incident(conn, inc.id)] == [
            "incident.opened", "incident.resolved"]
        assert store.events_of(conn, inc.id)[-1].run_id == "r2"
    assert Dispatcher(first.settings).reconcile() == 0


def test_a_mapped_task_failing_everywhere_is_one_incident_not_a_storm(hook: Recorder) -> None:
    with DAG("mapped", incidents=[Webhook(hook.url + "/hook")]) as dag:
        @task
        def part(n):
            raise ValueError(f"part {n} is corrupt")
        part.expand(n=list(range(40)))
    assert dag.run().state == "failed"
    (inc,) = list_incidents(load_settings())
    assert inc.occurrences == 40
    with open_engine(load_settings().database_url).connect() as conn:
        rows = outbox.of_incident(conn, inc.id)
    assert rows[0].event == "incident.opened"
    assert len(rows) < 40                      # updates of one commit are merged
    assert rows[-1].payload["incident"]["occurrences"] == 40


def test_a_mapped_sibling_succeeding_in_the_failed_run_does_not_resolve(hook: Recorder) -> None:
    with DAG("mapped_some", incidents=[Webhook(hook.url + "/hook")]) as dag:
        @task
        def part(n):
            if n == 0:
                raise ValueError("part 0 is corrupt")
            return n
        part.expand(n=[0, 1, 2, 3])
    assert dag.run().state == "failed"
    (inc,) = list_incidents(load_settings())
    assert inc.state == "open"
    from legato.incidents.dispatcher import Dispatcher

    assert Dispatcher(load_settings()).reconcile() == 0
    assert [r.json["event"] for r in hook.accepted] == ["incident.opened"]


def test_mapped_siblings_in_one_commit_deterministically() -> None:
    from legato.engine.bus import TaskFinished

    drv = Driver([Webhook("http://127.0.0.1:9/hook")])
    now = datetime.now(UTC)

    def ev(run_id: str, map_index: int, state: str) -> TaskFinished:
        err = None if state == "success" else "corrupt"
        return TaskFinished("sales", run_id, "part", map_index, 1, state, err,
                            err and "ValueError", now)

    drv.publish([ev("r1", 0, "failed"), ev("r1", 1, "success"), ev("r1", 2, "success")])
    with drv.engine.connect() as conn:
        (inc,) = store.open_of_dag(conn, "sales")
    drv.publish([ev("r2", 1, "success")])                 # the next run: resolved
    with drv.engine.connect() as conn:
        assert store.open_of_dag(conn, "sales") == []
        assert [r.event for r in outbox.of_incident(conn, inc.id)] == [
            "incident.opened", "incident.resolved"]
