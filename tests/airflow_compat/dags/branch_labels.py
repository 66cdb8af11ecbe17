"""Edge labels on a branching pipeline; the error path stays skipped."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Label, task

with DAG("branch_labels", schedule=None, start_date=datetime(2024, 1, 1)):
    ingest = EmptyOperator(task_id="ingest")
    analyse = EmptyOperator(task_id="analyze")

    @task.branch
    def check():
        return "save"

    describe = EmptyOperator(task_id="describe_integrity")
    error = EmptyOperator(task_id="email_error")
    save = EmptyOperator(task_id="save")
    report = EmptyOperator(task_id="report", trigger_rule="none_failed_min_one_success")
    c = check()
    ingest >> analyse >> c >> Label("No errors") >> save >> report
    c >> Label("Errors found") >> describe >> error >> report
