"""The planner: from a run's instance states, what to queue, skip, fail or expand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato import DAG, task
from legato.engine.planner import branch_skips, initial_instances, plan, run_outcome
from legato.engine.states import RunState, TaskState
from legato.tasks import EmptyTask, PythonTask

S = TaskState
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def _noop(**_kwargs):
    return None


def _plan(spec, states, candidates=None, *, lengths=None, due=None, now=NOW):
    return plan(
        spec, states, spec.order if candidates is None else candidates,
        lengths=lengths or {}, due=due or {}, now=now,
    )


def _diamond():
    with DAG("diamond") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        d = EmptyTask("d")
        a >> [b, c]
        [b, c] >> d
    return dag.spec()


def test_roots_queued_first():
    with DAG("roots") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        [a, b] >> c
    spec = dag.spec()
    states = {"a": {-1: S.SCHEDULED}, "b": {-1: S.SCHEDULED}, "c": {-1: S.SCHEDULED}}
    p = _plan(spec, states)
    assert sorted(p.queue) == [("a", -1), ("b", -1)]
    assert p.set_state == []
    assert p.expand == {}
    assert p.fail == []


def test_child_queued_after_upstream_succeeds():
    spec = _diamond()
    states = {
        "a": {-1: S.SUCCESS}, "b": {-1: S.SUCCESS}, "c": {-1: S.RUNNING}, "d": {-1: S.SCHEDULED},
    }
    assert _plan(spec, states).queue == []
    states["c"] = {-1: S.SUCCESS}
    assert _plan(spec, states).queue == [("d", -1)]


def test_only_candidates_are_planned():
    spec = _diamond()
    states = {
        "a": {-1: S.SUCCESS}, "b": {-1: S.SCHEDULED}, "c": {-1: S.SCHEDULED},
        "d": {-1: S.SCHEDULED},
    }
    assert _plan(spec, states, ["c"]).queue == [("c", -1)]
    assert _plan(spec, states, []).queue == []


def test_failed_upstream_makes_all_success_child_upstream_failed():
    with DAG("fail") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        a >> b
    spec = dag.spec()
    p = _plan(spec, {"a": {-1: S.FAILED}, "b": {-1: S.SCHEDULED}})
    assert p.set_state == [(("b", -1), S.UPSTREAM_FAILED)]
    assert p.queue == []


def test_failed_upstream_fails_child_before_other_upstream_finish():
    spec = _diamond()
    states = {
        "a": {-1: S.SUCCESS}, "b": {-1: S.FAILED}, "c": {-1: S.RUNNING}, "d": {-1: S.SCHEDULED},
    }
    assert _plan(spec, states, ["d"]).set_state == [(("d", -1), S.UPSTREAM_FAILED)]


def test_skipped_upstream_skips_all_success_child_and_all_done_runs():
    with DAG("skip") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c", trigger_rule="all_done")
        a >> b
        a >> c
    spec = dag.spec()
    p = _plan(spec, {"a": {-1: S.SKIPPED}, "b": {-1: S.SCHEDULED}, "c": {-1: S.SCHEDULED}})
    assert p.set_state == [(("b", -1), S.SKIPPED)]
    assert p.queue == [("c", -1)]


def test_up_for_retry_queued_only_when_due():
    with DAG("retry") as dag:
        EmptyTask("a", retries=3)
    spec = dag.spec()
    states = {"a": {-1: S.UP_FOR_RETRY}}
    key = ("a", -1)
    later = _plan(spec, states, due={key: NOW + timedelta(seconds=1)})
    assert later.queue == []
    assert not later
    assert _plan(spec, states, due={key: NOW}).queue == [key]
    assert _plan(spec, states, due={key: NOW - timedelta(minutes=5)}).queue == [key]


def test_running_and_queued_instances_are_left_alone():
    with DAG("busy") as dag:
        EmptyTask("a")
        EmptyTask("b")
    spec = dag.spec()
    p = _plan(spec, {"a": {-1: S.RUNNING}, "b": {-1: S.QUEUED}})
    assert not p


def _mapped_dag():
    @task
    def make():
        return [1, 2, 3]

    @task
    def each(x):
        return x

    with DAG("mapped") as dag:
        each.expand(x=make())
    return dag.spec()


def test_mapped_placeholder_expanded_to_upstream_length():
    spec = _mapped_dag()
    assert spec.tasks["each"].upstream == ("make",)
    states = {"make": {-1: S.SUCCESS}, "each": {-1: S.SCHEDULED}}
    p = _plan(spec, states, ["each"], lengths={"make": 4})
    assert p.expand == {"each": 4}
    assert p.queue == []
    assert p.fail == []


def test_mapped_placeholder_waits_for_upstream():
    spec = _mapped_dag()
    states = {"make": {-1: S.RUNNING}, "each": {-1: S.SCHEDULED}}
    assert not _plan(spec, states, ["each"], lengths={"make": 4})


def test_mapped_placeholder_fails_when_upstream_result_not_a_list():
    spec = _mapped_dag()
    states = {"make": {-1: S.SUCCESS}, "each": {-1: S.SCHEDULED}}
    p = _plan(spec, states, ["each"], lengths={"make": None})
    assert p.expand == {}
    assert p.queue == []
    assert len(p.fail) == 1
    key, message = p.fail[0]
    assert key == ("each", -1)
    assert "make" in message and "each" in message
    assert "not a list" in message


def test_expanded_mapped_instances_are_queued():
    spec = _mapped_dag()
    states = {"make": {-1: S.SUCCESS}, "each": {0: S.SCHEDULED, 1: S.SCHEDULED}}
    p = _plan(spec, states, ["each"], lengths={"make": 2})
    assert p.queue == [("each", 0), ("each", 1)]
    assert p.expand == {}


def test_initial_instances_expands_literal_map():
    @task
    def each(x):
        return x

    with DAG("literal") as dag:
        start = EmptyTask("start")
        start >> each.expand(x=[1, 2, 3])
    keys = initial_instances(dag.spec())
    assert keys == [("start", -1), ("each", 0), ("each", 1), ("each", 2)]


def test_initial_instances_product_of_literal_maps_and_placeholder_for_upstream():
    @task
    def src():
        return [1]

    @task
    def pair(x, y):
        return (x, y)

    with DAG("product") as dag:
        pair.expand(x=[1, 2], y=["a", "b", "c"])
        pair.expand(x=src())
    keys = initial_instances(dag.spec())
    assert [k for k in keys if k[0] == "pair"] == [("pair", i) for i in range(6)]
    assert ("pair__1", -1) in keys
    assert ("src", -1) in keys
    assert len(keys) == 8


def test_run_outcome_none_while_unfinished():
    spec = _diamond()
    for unfinished in (S.SCHEDULED, S.QUEUED, S.RUNNING, S.UP_FOR_RETRY, S.DEFERRED):
        states = {
            "a": {-1: S.SUCCESS}, "b": {-1: S.SUCCESS}, "c": {-1: unfinished},
            "d": {-1: S.SCHEDULED},
        }
        assert run_outcome(spec, states) is None
        states["d"] = {-1: S.SUCCESS}
        assert run_outcome(spec, states) is None, unfinished


def test_run_outcome_failed_when_leaf_failed():
    spec = _diamond()
    states = {"a": {-1: S.SUCCESS}, "b": {-1: S.SUCCESS}, "c": {-1: S.SUCCESS},
              "d": {-1: S.FAILED}}
    assert run_outcome(spec, states) is RunState.FAILED
    states["d"] = {-1: S.UPSTREAM_FAILED}
    states["c"] = {-1: S.FAILED}
    assert run_outcome(spec, states) is RunState.FAILED


def test_run_outcome_success_when_all_succeeded():
    spec = _diamond()
    states = {t: {-1: S.SUCCESS} for t in spec.order}
    assert run_outcome(spec, states) is RunState.SUCCESS


def test_run_outcome_success_when_failure_absorbed_by_all_done_leaf():
    with DAG("absorb") as dag:
        work = EmptyTask("work")
        end = EmptyTask("end", trigger_rule="all_done")
        work >> end
    spec = dag.spec()
    assert spec.leaves == ("end",)
    states = {"work": {-1: S.FAILED}, "end": {-1: S.SUCCESS}}
    assert run_outcome(spec, states) is RunState.SUCCESS


def test_run_outcome_failed_when_one_mapped_leaf_instance_failed():
    spec = _mapped_dag()
    states = {"make": {-1: S.SUCCESS}, "each": {0: S.SUCCESS, 1: S.FAILED, 2: S.SUCCESS}}
    assert run_outcome(spec, states) is RunState.FAILED


def test_branch_skips_returns_unchosen_direct_downstream():
    with DAG("branch") as dag:
        br = PythonTask("br", _noop)
        left = EmptyTask("left")
        mid = EmptyTask("mid")
        right = EmptyTask("right")
        after = EmptyTask("after")
        br >> [left, mid, right]
        left >> after
    spec = dag.spec()
    assert sorted(branch_skips(spec, "br", ["left"])) == ["mid", "right"]
    assert sorted(branch_skips(spec, "br", ["left", "right"])) == ["mid"]
    assert branch_skips(spec, "br", ["left", "mid", "right"]) == []
    assert sorted(branch_skips(spec, "br", [])) == ["left", "mid", "right"]
