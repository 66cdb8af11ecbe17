"""ShortCircuitOperator: a falsy condition skips every downstream task, whatever its rule."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, chain

with DAG("short_circuit_default", schedule=None, start_date=datetime(2024, 1, 1)):
    cond_true = ShortCircuitOperator(task_id="condition_is_true", python_callable=lambda: True)
    cond_false = ShortCircuitOperator(task_id="condition_is_false", python_callable=lambda: 0)
    ds_true = [EmptyOperator(task_id=f"true_{i}") for i in [1, 2]]
    ds_false = [EmptyOperator(task_id=f"false_{i}") for i in [1, 2]]
    always = EmptyOperator(task_id="false_always", trigger_rule="all_done")
    chain(cond_true, *ds_true)
    chain(cond_false, *ds_false, always)
