"""@task.bash: the function returns the command, which may be templated."""
from datetime import datetime

from airflow.sdk import DAG, task

with DAG("bash_decorator", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.bash
    def greet(name):
        return f'echo "hello {name} {{{{ ds }}}}"'

    @task.bash(skip_on_exit_code=7)
    def maybe():
        return "exit 7"

    @task
    def check(out):
        assert out == "hello bob 2024-01-03", out

    check(greet("bob"))
    maybe()
