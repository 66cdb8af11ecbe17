"""The target of trigger_controller.py: reads dag_run.conf in code and in a template."""
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG(dag_id="trigger_target", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         catchup=False, schedule=None):
    @task(task_id="run_this")
    def run_this_func(dag_run=None):
        print(f"Remotely received value of {dag_run.conf.get('message')} for key=message")

    run_this = run_this_func()
    bash_task = BashOperator(
        task_id="bash_task", bash_command='echo "Here is the message: $message"',
        env={"message": '{{ dag_run.conf.get("message") if dag_run else "" }}'})
    run_this >> bash_task
