"""Defining DAGs: ids, edges, cycles, defaults, and the callable-free spec."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from legato import DAG, DagCycleError, DagDefinitionError, chain, task
from legato.authoring.spec import RetryPolicy
from legato.tasks import EmptyTask, PythonTask


def _noop(**_kwargs):
    return None


# -- ids ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dag_id", ["etl", "etl_daily", "a.b-c_1", "X" * 250])
def test_valid_dag_ids(dag_id):
    assert DAG(dag_id).dag_id == dag_id


@pytest.mark.parametrize("dag_id", ["", "has space", "slash/y", "ünï", "X" * 251, None, 3])
def test_bad_dag_id_raises(dag_id):
    with pytest.raises(DagDefinitionError):
        DAG(dag_id)


def test_bad_task_id_raises():
    with DAG("ids"), pytest.raises(DagDefinitionError):
        EmptyTask("bad id")


# -- cycles ------------------------------------------------------------------------------
def test_cycle_raises_naming_the_cycle():
    with pytest.raises(DagCycleError) as info, DAG("cyc"):
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        a >> b >> c >> a
    assert "a -> b -> c -> a" in str(info.value)
    assert "cyc" in str(info.value)


def test_cycle_is_a_definition_error():
    dag = DAG("cyc2")
    a = EmptyTask("a", dag=dag)
    b = EmptyTask("b", dag=dag)
    a >> b
    b >> a
    with pytest.raises(DagDefinitionError, match="a -> b -> a"):
        dag.spec()


def test_cycle_off_the_root_named_without_the_lead_in():
    with pytest.raises(DagCycleError) as info, DAG("cyc3"):
        start = EmptyTask("start")
        x = EmptyTask("x")
        y = EmptyTask("y")
        start >> x >> y >> x
    message = str(info.value)
    assert "x -> y -> x" in message
    assert "start" not in message.split(":", 1)[1]


def test_self_dependency_raises():
    with DAG("self"):
        a = EmptyTask("a")
        with pytest.raises(DagCycleError):
            a >> a


def test_acyclic_dag_closes_cleanly_and_orders_topologically():
    with DAG("ok") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        c << b << a
    order = dag.topological_order()
    assert order.index("a") < order.index("b") < order.index("c")


# -- task ids ----------------------------------------------------------------------------
def test_duplicate_explicit_task_id_raises():
    with DAG("dup"):
        EmptyTask("a")
        with pytest.raises(DagDefinitionError, match="'a'"):
            EmptyTask("a")


def test_duplicate_task_id_via_override_raises():
    @task
    def work():
        return 1

    with DAG("dup2"):
        work.override(task_id="w")()
        with pytest.raises(DagDefinitionError):
            work.override(task_id="w")()


def test_repeated_decorated_name_is_deduplicated():
    @task
    def step():
        return 1

    with DAG("dedupe") as dag:
        ids = [step().task_id for _ in range(3)]
    assert ids == ["step", "step__1", "step__2"]
    assert set(dag.tasks) == {"step", "step__1", "step__2"}


# -- edges -------------------------------------------------------------------------------
def test_rshift_with_list_on_right():
    with DAG("fan_out") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        returned = a >> [b, c]
    assert returned == [b, c]
    assert set(dag.downstream_of("a")) == {"b", "c"}
    assert b.upstream_task_ids == ("a",)
    assert c.upstream_task_ids == ("a",)


def test_rshift_with_list_on_left():
    with DAG("fan_in") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        returned = [a, b] >> c
    assert returned is c
    assert set(c.upstream_task_ids) == {"a", "b"}
    assert dag.downstream_of("a") == ("c",)


def test_lshift_with_list_on_either_side():
    with DAG("lshift"):
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        d = EmptyTask("d")
        e = EmptyTask("e")
        returned_1 = c << [a, b]
        returned_2 = [d, e] << c
    assert returned_1 == [a, b]
    assert returned_2 is c
    assert set(c.upstream_task_ids) == {"a", "b"}
    assert d.upstream_task_ids == ("c",)
    assert e.upstream_task_ids == ("c",)


def test_rshift_chains():
    with DAG("chain_op"):
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        a >> b >> c
    assert b.upstream_task_ids == ("a",)
    assert c.upstream_task_ids == ("b",)
    assert a.upstream_task_ids == ()


def test_repeated_edge_is_kept_once():
    with DAG("twice"):
        a = EmptyTask("a")
        b = EmptyTask("b")
        a >> b
        a >> b
    assert b.upstream_task_ids == ("a",)


def test_dependency_on_non_task_raises():
    with DAG("nontask"):
        a = EmptyTask("a")
        with pytest.raises(DagDefinitionError):
            a >> "b"


def test_chain():
    with DAG("chain") as dag:
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        chain(a, b, c)
    spec = dag.spec()
    assert spec.order == ("a", "b", "c")
    assert spec.tasks["b"].upstream == ("a",)
    assert spec.tasks["c"].upstream == ("b",)
    assert spec.tasks["a"].downstream == ("b",)
    assert spec.leaves == ("c",)


def test_chain_with_list_in_middle():
    with DAG("chain_list"):
        a = EmptyTask("a")
        b = EmptyTask("b")
        c = EmptyTask("c")
        d = EmptyTask("d")
        chain(a, [b, c], d)
    assert b.upstream_task_ids == ("a",)
    assert c.upstream_task_ids == ("a",)
    assert set(d.upstream_task_ids) == {"b", "c"}


# -- defaults and validation ---------------------------------------------------------------
def test_default_args_apply_and_explicit_args_override():
    default_args = {"retries": 2, "retry_delay": 30, "owner": "ops",
                    "trigger_rule": "all_done"}
    with DAG("defaults", default_args=default_args) as dag:
        a = EmptyTask("a")
        b = EmptyTask("b", retries=5, owner="me", trigger_rule="one_success",
                      retry_delay=timedelta(minutes=1))
    assert a.retries == 2
    assert a.retry_delay == timedelta(seconds=30)
    assert a.owner == "ops"
    assert a.trigger_rule == "all_done"
    assert b.retries == 5
    assert b.retry_delay == timedelta(minutes=1)
    assert b.owner == "me"
    assert b.trigger_rule == "one_success"
    spec = dag.spec()
    assert spec.tasks["a"].retry == RetryPolicy(retries=2, delay_s=30.0)
    assert spec.tasks["b"].retry == RetryPolicy(retries=5, delay_s=60.0)
    assert spec.tasks["a"].owner == "ops"
    assert spec.tasks["b"].trigger_rule == "one_success"


def test_legato_defaults_without_default_args():
    with DAG("plain"):
        a = EmptyTask("a")
    assert a.retries == 0
    assert a.retry_delay == timedelta(minutes=5)
    assert a.trigger_rule == "all_success"


def test_default_args_apply_to_decorated_tasks():
    @task
    def work():
        return 1

    with DAG("deco_defaults", default_args={"retries": 4}):
        t = work()
        u = work.override(retries=1)()
    assert t.retries == 4
    assert u.retries == 1


def test_unknown_trigger_rule_raises():
    with DAG("rule"), pytest.raises(DagDefinitionError, match="trigger_rule"):
        EmptyTask("a", trigger_rule="all_sucess")


def test_unknown_trigger_rule_in_default_args_raises():
    with DAG("rule2", default_args={"trigger_rule": "nope"}), pytest.raises(DagDefinitionError):
        EmptyTask("a")


@pytest.mark.parametrize("retries", [-1, 1.5, True, "2"])
def test_bad_retries_raise(retries):
    with DAG("retries"), pytest.raises(DagDefinitionError):
        EmptyTask("a", retries=retries)


def test_start_date_string_becomes_utc_aware():
    dag = DAG("dated", start_date="2023-01-01")
    assert dag.start_date == datetime(2023, 1, 1, tzinfo=UTC)
    assert dag.start_date.tzinfo is not None
    assert dag.start_date.utcoffset() == timedelta(0)
    assert dag.spec().start_date == "2023-01-01T00:00:00+00:00"


def test_naive_start_datetime_taken_as_utc():
    dag = DAG("dated2", start_date=datetime(2023, 6, 1, 12, 30))
    assert dag.start_date == datetime(2023, 6, 1, 12, 30, tzinfo=UTC)


def test_bad_start_date_raises():
    with pytest.raises(DagDefinitionError):
        DAG("dated3", start_date="first of january")


def test_task_outside_dag_raises():
    with pytest.raises(DagDefinitionError):
        EmptyTask("orphan")


def test_decorated_task_outside_dag_raises():
    @task
    def orphan():
        return 1

    with pytest.raises(DagDefinitionError):
        orphan()


def test_task_with_explicit_dag_outside_with_block():
    dag = DAG("explicit")
    t = EmptyTask("a", dag=dag)
    assert dag.tasks == {"a": t}


# -- results as edges --------------------------------------------------------------------
def test_passing_result_makes_an_edge():
    @task
    def extract():
        return {"n": 1}

    @task
    def load(data):
        return data

    with DAG("xcom") as dag:
        e = extract()
        loaded = load(e)
    assert loaded.upstream_task_ids == ("extract",)
    assert dag.downstream_of("extract") == ("load",)
    assert dag.spec().tasks["load"].upstream == ("extract",)


def test_passing_result_inside_kwargs_container_makes_an_edge():
    @task
    def one():
        return 1

    @task
    def two():
        return 2

    @task
    def total(values, extra=None):
        return values

    with DAG("xcom2"):
        t = total([one(), two()], extra={"k": one()})
    assert set(t.upstream_task_ids) == {"one", "two", "one__1"}


def test_classic_python_task_output_makes_an_edge():
    with DAG("classic"):
        a = PythonTask("a", _noop)
        b = PythonTask("b", _noop, op_kwargs={"x": a.output})
    assert b.upstream_task_ids == ("a",)


def test_result_of_task_in_other_dag_raises():
    with DAG("one"):
        a = EmptyTask("a")
    with DAG("two"), pytest.raises(DagDefinitionError):
        PythonTask("b", _noop, op_args=[a])


# -- spec --------------------------------------------------------------------------------
def test_spec_is_callable_free_and_json_round_trips():
    @task
    def extract():
        return [1, 2]

    @task
    def each(x):
        return x

    with DAG("specced", schedule="@daily", start_date="2023-01-01", params={"p": 1},
             tags=["t"], default_args={"retries": 1}) as dag:
        start = EmptyTask("start", execution_timeout=60)
        e = extract()
        start >> e
        each.expand(x=e)
    spec = dag.spec()
    # plain data all the way down: json needs no fallback for unknown objects
    plain = json.dumps(asdict(spec))
    text = spec.to_json()
    assert json.loads(text) == json.loads(plain)
    assert "<function" not in text and "object at 0x" not in text
    loaded = json.loads(text)
    assert loaded["dag_id"] == "specced"
    assert loaded["schedule"] == "@daily"
    assert loaded["order"] == ["start", "extract", "each"]
    assert loaded["tasks"]["extract"]["upstream"] == ["start"]
    assert loaded["tasks"]["extract"]["kind"] == "PythonTask"
    assert loaded["tasks"]["start"]["timeout_s"] == 60.0
    assert loaded["tasks"]["each"]["retry"]["retries"] == 1
    assert loaded["tasks"]["each"]["map_sources"] == [
        {"arg": "x", "length": None, "upstream": "extract"}
    ]
    assert loaded["params"] == {"p": 1}
    assert loaded["tags"] == ["t"]


def test_spec_refreshed_after_graph_changes():
    dag = DAG("fresh")
    a = EmptyTask("a", dag=dag)
    first = dag.spec()
    b = EmptyTask("b", dag=dag)
    a >> b
    second = dag.spec()
    assert first.order == ("a",)
    assert second.tasks["b"].upstream == ("a",)
