"""multiple_outputs inferred from a dict return annotation; context by parameter name."""
from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False)
def taskflow_annotations():
    @task
    def stats() -> dict[str, int]:
        return {"rows": 10, "bad": 2}

    @task
    def check(rows: int, bad: int, ds=None, ti=None):
        assert ds == "2024-01-03", ds
        assert ti.task_id == "check"
        if bad * 10 > rows * 3:
            raise ValueError("too many bad rows")
        return rows - bad

    @task
    def report(good, **context):
        assert context["params"] == {}
        assert context["dag_run"].run_id
        return f"{good} good rows on {context['ds_nodash']}"

    s = stats()
    report(check(s["rows"], s["bad"]))


taskflow_annotations()
