"""HttpOperator and HttpSensor against http_conn_id (AIRFLOW_CONN_HTTP_DEFAULT)."""
import json
from datetime import datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG, task

with DAG("http_operator", schedule=None, start_date=datetime(2024, 1, 1)):
    wait = HttpSensor(task_id="wait_ready", endpoint="ready", poke_interval=1, timeout=10,
                      response_check=lambda response: response.text == "yes")
    post = HttpOperator(task_id="post", endpoint="echo", method="POST",
                        data=json.dumps({"day": "{{ ds }}"}),
                        headers={"Content-Type": "application/json"},
                        response_filter=lambda response: response.json()["day"])
    get_missing = HttpOperator(task_id="get_missing", endpoint="nothing-here", method="GET")
    checked = HttpOperator(task_id="checked", endpoint="ready", method="GET",
                           response_check=lambda response: response.text == "no")

    @task
    def show(day):
        assert day == "2024-01-03", day

    wait >> post
    show(post.output)
