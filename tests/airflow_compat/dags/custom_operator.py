"""A custom operator: template_fields, execute(context), xcom_push, pre/post hooks."""
from datetime import datetime

from airflow.sdk import DAG, BaseOperator, task


class HelloOperator(BaseOperator):
    template_fields = ("name",)

    def __init__(self, name: str, greeting: str = "Hello", **kwargs) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.greeting = greeting

    def execute(self, context):
        message = f"{self.greeting} {self.name}"
        context["ti"].xcom_push(key="length", value=len(message))
        return message


class AlwaysFails(BaseOperator):
    def execute(self, context):
        raise ValueError("custom failure")


with DAG("custom_operator", schedule=None, start_date=datetime(2024, 1, 1),
         default_args={"greeting": "Hi"}):
    hello = HelloOperator(task_id="hello", name="{{ task.owner }}-{{ ds }}")

    @task
    def check(message, ti=None):
        assert message == "Hi airflow-2024-01-03", message
        assert ti.xcom_pull(task_ids="hello", key="length") == len(message)

    check(hello.output)
    AlwaysFails(task_id="fails")
