"""Classic operators mapped: BashOperator.partial().expand() and PythonOperator op_args."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def double(x):
    return 2 * x


with DAG("mapping_classic", schedule=None, start_date=datetime(2024, 1, 1)):
    echo = BashOperator.partial(task_id="echo", do_xcom_push=True).expand(
        bash_command=["echo 1", "echo {{ ds }}", "exit 99", "exit 3"])
    doubled = PythonOperator.partial(task_id="double", python_callable=double).expand(
        op_args=[[1], [2], [3]])
    total = PythonOperator(task_id="total", python_callable=lambda values: sum(values),
                           op_args=[doubled.output])
