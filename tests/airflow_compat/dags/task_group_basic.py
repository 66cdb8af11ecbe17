"""Task groups: prefixed ids, group >> group, nested groups."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

with DAG("task_group_basic", schedule=None, start_date=datetime(2024, 1, 1), tags=["example"]):
    start = EmptyOperator(task_id="start")
    with TaskGroup("section_1", tooltip="Tasks for section_1") as section_1:
        task_1 = EmptyOperator(task_id="task_1")
        task_2 = BashOperator(task_id="task_2", bash_command="echo 1")
        task_3 = EmptyOperator(task_id="task_3")
        task_1 >> [task_2, task_3]
    with TaskGroup("section_2", tooltip="Tasks for section_2") as section_2:
        task_1 = EmptyOperator(task_id="task_1")
        with TaskGroup("inner_section_2", tooltip="Tasks for inner_section2") as inner:
            task_2 = BashOperator(task_id="task_2", bash_command="echo {{ task.task_id }}")
            task_3 = EmptyOperator(task_id="task_3")
            task_4 = EmptyOperator(task_id="task_4")
            [task_2, task_3] >> task_4
    end = EmptyOperator(task_id="end")
    start >> section_1 >> section_2 >> end
