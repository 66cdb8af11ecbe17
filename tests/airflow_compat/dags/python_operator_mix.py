"""PythonOperator and @task: context printing, several sleeping tasks, templates_dict."""
import time
from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task


def log_sql(**kwargs):
    assert kwargs["templates_dict"]["query"] == "SELECT 1 WHERE day = '2024-01-03'"
    return kwargs["templates_dict"]["query"]


with DAG("python_operator_mix", schedule=None, start_date=datetime(2024, 1, 1)):
    @task(task_id="print_the_context")
    def print_context(ds=None, **kwargs):
        print(kwargs)
        print(ds)
        return "Whatever you return gets printed in the logs"

    run_this = print_context()
    log_the_sql = PythonOperator(task_id="log_sql_query", python_callable=log_sql,
                                 templates_dict={"query": "SELECT 1 WHERE day = '{{ ds }}'"})

    @task
    def my_sleeping_function(random_base):
        time.sleep(random_base)

    for i in range(3):
        sleeping_task = my_sleeping_function.override(task_id=f"sleep_for_{i}")(random_base=i / 20)
        run_this >> log_the_sql >> sleeping_task

    @task.virtualenv(task_id="virtualenv_python", requirements=[], system_site_packages=True)
    def callable_virtualenv():
        import json
        return json.dumps({"ok": True})

    @task(task_id="reserved_name_as_positional")
    def takes_params(params):
        return params

    callable_virtualenv()
    takes_params({"a": 1})
