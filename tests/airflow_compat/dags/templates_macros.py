"""Jinja context and macros: ds, ds_nodash, ts, macros.ds_add, user macros and filters,
var.value with a default, dag_run and task fields."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG


def shout(text):
    return text.upper() + "!"


with DAG("templates_macros", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False,
         user_defined_macros={"team": "data"}, user_defined_filters={"shout": shout}):
    BashOperator(task_id="dates", bash_command=(
        'test "{{ ds }}" = "2024-01-03" && test "{{ ds_nodash }}" = "20240103" && '
        'test "{{ macros.ds_add(ds, 5) }}" = "2024-01-08" && '
        'test "{{ data_interval_start | ds }}" = "2024-01-03" && '
        'test "{{ logical_date.strftime(\'%Y\') }}" = "2024"'))
    BashOperator(task_id="names", bash_command=(
        'test "{{ team | shout }}" = "DATA!" && test "{{ task.task_id }}" = "names" && '
        'test "{{ dag.dag_id }}" = "templates_macros" && '
        'test "{{ var.value.get(\'not_set_anywhere\', \'fallback\') }}" = "fallback" && '
        'test -n "{{ run_id }}"'))
    BashOperator(task_id="undefined_name", bash_command='echo "{{ not_a_context_key }}"')
