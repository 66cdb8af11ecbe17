"""A @task call that would hand an upstream value to the context parameter fails at definition
(issue 10 item 21), naming the task and the parameter, instead of failing at run time."""

from __future__ import annotations

import pytest

from legato import DAG, DagDefinitionError, task


def test_upstream_value_bound_to_ctx_fails_at_definition():
    with DAG("bind_ctx"):
        @task
        def root():
            return 1

        @task
        def leaf(ctx, up):
            return up

        with pytest.raises(DagDefinitionError, match=r"task 'leaf'.*parameter 'ctx'"):
            leaf(root())


def test_value_bound_to_a_context_key_parameter_fails_too():
    with DAG("bind_ds"):
        @task
        def f(ds, value):
            return value

        with pytest.raises(DagDefinitionError, match="parameter 'ds'"):
            f("2024-01-01", 3)


def test_context_after_data_parameters_is_fine(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGATO_HOME", str(tmp_path))
    with DAG("bind_ok") as dag:
        @task
        def root():
            return 2

        @task
        def leaf(up, ctx):
            return [up, ctx.task_id]

        leaf(root())
    assert dag.run(executor="inline")["leaf"].result == [2, "leaf"]


def test_too_many_arguments_fail_at_definition():
    with DAG("bind_many"):
        @task
        def one(x):
            return x

        with pytest.raises(DagDefinitionError, match="task 'one'"):
            one(1, 2)
