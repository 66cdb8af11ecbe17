"""@dag function parameters become params; the body passes them to tasks."""
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def dag_decorator_params(email: str = "example@example.com", limit: int = 3):
    @task
    def send(address, n):
        assert address == "example@example.com" and n == 3
        return f"{n} mails to {address}"

    send(email, limit)


dag_decorator_params()
