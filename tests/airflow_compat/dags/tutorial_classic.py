"""Classic-operator tutorial: three Bash tasks, default_args, a templated command with params."""
import textwrap
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

default_args = {
    "owner": "data",
    "depends_on_past": False,
    "email": ["team@example.com"],
    "email_on_failure": False,
    "email_on_retry": False,
    "retries": 1,
    "retry_delay": timedelta(seconds=1),
}

with DAG(
    "tutorial_classic",
    default_args=default_args,
    description="A simple tutorial DAG",
    schedule=timedelta(days=1),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["example"],
) as dag:
    t1 = BashOperator(task_id="print_date", bash_command="date")
    t2 = BashOperator(task_id="sleep", depends_on_past=False, bash_command="sleep 1", retries=3)
    t1.doc_md = "Prints the date."
    templated_command = textwrap.dedent(
        """
    {% for i in range(3) %}
        echo "{{ ds }}"
        echo "{{ macros.ds_add(ds, 7)}}"
    {% endfor %}
    echo "{{ params.my_param }}"
    """
    )
    t3 = BashOperator(task_id="templated", bash_command=templated_command,
                      params={"my_param": "Parameter I passed in"})
    t1 >> [t2, t3]
