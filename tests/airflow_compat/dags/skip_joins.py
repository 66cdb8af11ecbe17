"""A custom operator that always skips, joined with a success under two trigger rules."""
from datetime import datetime

from airflow.exceptions import AirflowSkipException
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, BaseOperator
from airflow.utils.trigger_rule import TriggerRule


class SkipAlways(BaseOperator):
    ui_color = "#e8b7e4"

    def execute(self, context):
        raise AirflowSkipException


def pipeline(suffix, rule):
    skipping = SkipAlways(task_id=f"skip_operator_{suffix}")
    always_true = EmptyOperator(task_id=f"always_true_{suffix}")
    join = EmptyOperator(task_id=rule, trigger_rule=rule)
    final = EmptyOperator(task_id=f"final_{suffix}")
    skipping >> join
    always_true >> join
    join >> final


with DAG("skip_joins", schedule=None, start_date=datetime(2024, 1, 1)):
    pipeline("1", TriggerRule.ALL_SUCCESS)
    pipeline("2", TriggerRule.ONE_SUCCESS)
