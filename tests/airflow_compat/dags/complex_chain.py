"""A larger graph wired with chain(): fan-out, fan-in and a failing path with all_done."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, chain

with DAG("complex_chain", schedule=None, start_date=datetime(2024, 1, 1), tags=["example"]):
    create_entry_group = BashOperator(task_id="create_entry_group", bash_command="echo create")
    create_entry_group_result = BashOperator(task_id="create_entry_group_result", bash_command="echo result")
    create_entry_gcs = BashOperator(task_id="create_entry_gcs", bash_command="echo gcs")
    create_entry_gcs_result = BashOperator(task_id="create_entry_gcs_result", bash_command="exit 1")
    create_entry_gcs_result2 = BashOperator(task_id="create_entry_gcs_result2", bash_command="echo r2")
    create_tag = BashOperator(task_id="create_tag", bash_command="echo tag")
    delete_entry = BashOperator(task_id="delete_entry", bash_command="echo delete",
                                trigger_rule="all_done")
    delete_entry_group = EmptyOperator(task_id="delete_entry_group", trigger_rule="all_done")
    chain(
        create_entry_group,
        [create_entry_group_result, create_entry_gcs],
        [create_entry_gcs_result, create_entry_gcs_result2],
        create_tag,
        delete_entry,
        delete_entry_group,
    )
