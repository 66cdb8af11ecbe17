"""Sensors that never succeed: soft_fail skips, otherwise the timeout fails without retry."""
from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG

with DAG("sensor_timeouts", schedule=None, start_date=datetime(2024, 1, 1)):
    soft = PythonSensor(task_id="soft", python_callable=lambda: False, poke_interval=1,
                        timeout=2, soft_fail=True)
    hard = PythonSensor(task_id="hard", python_callable=lambda: False, poke_interval=1,
                        timeout=2, retries=2)
    ok = PythonSensor(task_id="ok", python_callable=lambda: True, poke_interval=1, timeout=2)
    soft >> EmptyOperator(task_id="after_soft")
    hard >> EmptyOperator(task_id="after_hard")
    ok >> EmptyOperator(task_id="after_ok")
