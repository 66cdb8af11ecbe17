"""get_current_context() inside a task; ti.xcom_pull of a mapped task, by index."""
from datetime import datetime

from airflow.sdk import DAG, get_current_context, task

with DAG("current_context", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    @task
    def numbers(x):
        return x * 10

    @task
    def inspect_context():
        context = get_current_context()
        ti = context["ti"]
        assert context["ds"] == "2024-01-03"
        # Airflow 3's default timetable: a manual run's interval is the instant of its date
        assert context["data_interval_start"] == context["data_interval_end"]
        assert ti.xcom_pull(task_ids="numbers") == [10, 20, 30]
        assert ti.xcom_pull(task_ids="numbers", map_indexes=1) == 20
        return context["dag"].dag_id

    numbers.expand(x=[1, 2, 3]) >> inspect_context()
