"""XCom with classic operators: xcom_push/pull, .output, templates pulling values."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

value_1 = [1, 2, 3]
value_2 = {"a": "b"}


def push(**kwargs):
    kwargs["ti"].xcom_push(key="value from pusher 1", value=value_1)


def push_by_returning(**kwargs):
    return value_2


def puller(pulled_value_2, ti=None):
    pulled_value_1 = ti.xcom_pull(task_ids="push", key="value from pusher 1")
    assert pulled_value_1 == value_1, pulled_value_1
    assert pulled_value_2 == value_2, pulled_value_2
    both = ti.xcom_pull(task_ids=["push", "push_by_returning"])
    assert both == [None, value_2], both


with DAG("xcom_classic", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
    push1 = PythonOperator(task_id="push", python_callable=push)
    push2 = PythonOperator(task_id="push_by_returning", python_callable=push_by_returning)
    pull = PythonOperator(task_id="puller", python_callable=puller,
                          op_kwargs={"pulled_value_2": push2.output})
    push1 >> pull
    bash_push = BashOperator(task_id="bash_push",
                             bash_command='echo "bash_push demo" && echo "Manually set xcom value '
                                          '{{ ti.xcom_push(key="manually_pushed_value", '
                                          'value="manually_pushed_value") }}" && echo "value_by_return"')
    bash_pull = BashOperator(
        task_id="bash_pull", do_xcom_push=False,
        bash_command='test "{{ ti.xcom_pull(task_ids="bash_push") }}" = "value_by_return" && '
                     'test "{{ ti.xcom_pull(task_ids="bash_push", key="manually_pushed_value") }}"'
                     ' = "manually_pushed_value"')
    bash_push >> bash_pull
