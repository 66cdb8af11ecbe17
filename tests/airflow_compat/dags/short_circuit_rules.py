"""ignore_downstream_trigger_rules=False: only the direct downstream is skipped."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG("short_circuit_rules", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate():
        return []

    @task.short_circuit()
    def open_gate():
        return {"ok": 1}

    skipped_direct = EmptyOperator(task_id="skipped_direct")
    still_runs = EmptyOperator(task_id="still_runs", trigger_rule="all_done")
    also_skipped = EmptyOperator(task_id="also_skipped")
    gate() >> skipped_direct >> [still_runs, also_skipped]
    open_gate() >> EmptyOperator(task_id="after_open")
