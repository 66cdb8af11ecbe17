"""LatestOnly with trigger rules downstream (manual run: nothing is skipped)."""
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from airflow.sdk import DAG
from airflow.utils.trigger_rule import TriggerRule

with DAG("latest_only_with_trigger", schedule="@hourly",
         start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    latest_only = LatestOnlyOperator(task_id="latest_only")
    task1 = EmptyOperator(task_id="task1")
    task2 = EmptyOperator(task_id="task2")
    task3 = EmptyOperator(task_id="task3")
    task4 = EmptyOperator(task_id="task4", trigger_rule=TriggerRule.ALL_DONE)
    latest_only >> task1 >> [task3, task4]
    task2 >> [task3, task4]
