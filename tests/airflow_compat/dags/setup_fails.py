"""A failing setup: work is upstream_failed and so is the teardown (no setup succeeded)."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("setup_fails", schedule=None, start_date=datetime(2024, 1, 1)):
    s = BashOperator(task_id="provision", bash_command="exit 1").as_setup()
    work = EmptyOperator(task_id="work")
    t = EmptyOperator(task_id="deprovision").as_teardown(setups=s)
    after = EmptyOperator(task_id="after_all", trigger_rule="all_done")
    s >> work >> t
    work >> after
