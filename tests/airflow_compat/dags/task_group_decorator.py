"""@task_group: nested groups, group results feeding tasks, repeated groups get __1."""
import pendulum
from airflow.sdk import dag, task, task_group


@task
def task_start():
    return "[Task_start]"


@task
def task_1(value: int) -> str:
    return f"[ Task1 {value} ]"


@task
def task_2(value: str) -> str:
    return f"[ Task2 {value} ]"


@task
def task_3(value: str) -> None:
    print(f"[ Task3 {value} ]")


@task
def task_end() -> None:
    print("[ Task_End  ]")


@task_group
def task_group_function(value: int) -> None:
    task_3(task_2(task_1(value)))


@dag(start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, schedule=None)
def task_group_decorator():
    start_task = task_start()
    end_task = task_end()
    for i in range(3):
        current = task_group_function(i)
        start_task >> current >> end_task


task_group_decorator()
