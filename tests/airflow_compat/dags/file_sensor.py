"""FileSensor on a path that exists (this file) and one that never appears (soft_fail)."""
from datetime import datetime

from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.sdk import DAG

with DAG("file_sensor", schedule=None, start_date=datetime(2024, 1, 1)):
    FileSensor(task_id="exists", filepath=__file__, poke_interval=1, timeout=5)
    FileSensor(task_id="missing", filepath="/nonexistent/legato/*.csv", poke_interval=1,
               timeout=2, soft_fail=True)
