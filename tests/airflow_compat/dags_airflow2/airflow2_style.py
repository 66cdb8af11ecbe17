"""An Airflow 2 file: old module names, schedule_interval, provide_context, days_ago, Dummy."""
from datetime import timedelta

from airflow import DAG
from airflow.datasets import Dataset
from airflow.operators.bash_operator import BashOperator
from airflow.operators.dummy import DummyOperator
from airflow.operators.python_operator import BranchPythonOperator, PythonOperator
from airflow.utils.dates import days_ago

default_args = {"owner": "airflow", "start_date": days_ago(2), "retries": 0,
                "retry_delay": timedelta(minutes=5), "email_on_failure": False}


def pick(**context):
    return "even" if context["logical_date"].day % 2 == 0 else "odd"


def report(**kwargs):
    return kwargs["ds"]


with DAG("airflow2_style", default_args=default_args, schedule_interval="@daily",
         catchup=False) as dag:
    start = DummyOperator(task_id="start")
    branch = BranchPythonOperator(task_id="pick", python_callable=pick, provide_context=True)
    even = BashOperator(task_id="even", bash_command="echo even")
    odd = BashOperator(task_id="odd", bash_command="echo odd")
    done = PythonOperator(task_id="report", python_callable=report, provide_context=True,
                          trigger_rule="none_failed_or_skipped",
                          outlets=[Dataset("file:///tmp/airflow2_report.csv")])
    start >> branch >> [even, odd] >> done
