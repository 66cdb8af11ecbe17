"""Dynamic mapping with custom operators only (no TaskFlow): partial/expand and .output."""
from datetime import datetime

from airflow.sdk import DAG, BaseOperator


class AddOneOperator(BaseOperator):
    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def execute(self, context):
        return self.value + 1


class SumItOperator(BaseOperator):
    template_fields = ("values",)

    def __init__(self, values, **kwargs):
        super().__init__(**kwargs)
        self.values = values

    def execute(self, context):
        total = sum(self.values)
        assert total == 9, total
        return total


with DAG("mapping_custom_operators", schedule=None, start_date=datetime(2024, 1, 1),
         catchup=False):
    add_one_task = AddOneOperator.partial(task_id="add_one").expand(value=[1, 2, 3])
    sum_it_task = SumItOperator(task_id="sum_it", values=add_one_task.output)
