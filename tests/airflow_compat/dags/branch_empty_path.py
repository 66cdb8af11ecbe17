"""A branch whose follow-up is also its direct downstream: the join is not skipped."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG

with DAG("branch_empty_path", schedule=None, start_date=datetime(2024, 1, 1)):
    branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "work")
    work = EmptyOperator(task_id="work")
    other = EmptyOperator(task_id="other")
    join = EmptyOperator(task_id="join")
    branch >> work >> join
    branch >> other
    branch >> join
