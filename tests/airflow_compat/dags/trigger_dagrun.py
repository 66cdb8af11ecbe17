# dags: trigger_dagrun, trigger_dagrun_target
"""TriggerDagRunOperator starts another DAG's run (fire and forget)."""
from datetime import datetime

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, task

with DAG("trigger_dagrun", schedule=None, start_date=datetime(2024, 1, 1)):
    TriggerDagRunOperator(task_id="trigger", trigger_dag_id="trigger_dagrun_target",
                          conf={"message": "Hello World"})

with DAG("trigger_dagrun_target", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def run_this(dag_run=None):
        return (dag_run.conf or {}).get("message")

    run_this()
