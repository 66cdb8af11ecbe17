# dags: xcomargs_basic, xcomargs_with_operators
"""XComArgs between TaskFlow functions and classic operators, in two DAGs of one file."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task


@task
def generate_value():
    return "Bring me a shrubbery!"


@task
def print_value(value, ts=None):
    assert ts and value
    return value


with DAG("xcomargs_basic", schedule=None, start_date=datetime(2024, 1, 1)):
    print_value(generate_value())

with DAG("xcomargs_with_operators", schedule=None, start_date=datetime(2024, 1, 1)):
    bash_op1 = BashOperator(task_id="c", bash_command="echo c")
    bash_op2 = BashOperator(task_id="d", bash_command="echo c")
    xcom_args_a = print_value("first!")
    xcom_args_b = print_value("second!")
    bash_op1 >> xcom_args_a >> xcom_args_b >> bash_op2
