"""BranchPythonOperator picks one of three paths; a join with none_failed_min_one_success."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG

with DAG("branch_python", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    run_this_first = EmptyOperator(task_id="run_this_first")
    options = ["branch_a", "branch_b", "branch_c"]
    branching = BranchPythonOperator(task_id="branching",
                                     python_callable=lambda: f"branch_{'b'}")
    run_this_first >> branching
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    for option in options:
        t = EmptyOperator(task_id=option)
        follow = EmptyOperator(task_id="follow_" + option)
        branching >> t >> follow >> join
