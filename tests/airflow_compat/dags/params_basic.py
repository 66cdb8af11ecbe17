"""Params with defaults and JSON-schema validation, read in templates and in code."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param, task

with DAG("params_basic", schedule=None, start_date=datetime(2024, 1, 1),
         params={"x": Param(5, type="integer", minimum=3), "name": "world",
                 "flag": Param(False, type="boolean")}):
    @task
    def use(params=None):
        assert params["x"] == 5 and params["name"] == "world" and params["flag"] is False
        return params["x"] * 2

    use() >> BashOperator(task_id="greet", bash_command="echo hello {{ params.name }} {{ params.x }}")
