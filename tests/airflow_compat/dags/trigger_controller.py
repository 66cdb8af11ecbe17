"""TriggerDagRunOperator naming a DAG defined in another file (trigger_target.py)."""
import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG

with DAG(dag_id="trigger_controller", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         catchup=False, schedule="@once", tags=["example"]):
    TriggerDagRunOperator(task_id="test_trigger_dagrun", trigger_dag_id="trigger_target",
                          conf={"message": "Hello World"})
