"""@task.sensor: poked until done; PokeReturnValue carries the XCom value."""
from datetime import datetime

from airflow.sdk import DAG, PokeReturnValue, task

with DAG("sensor_decorator", schedule=None, start_date=datetime(2024, 1, 1)):
    @task.sensor(poke_interval=1, timeout=30, mode="poke")
    def wait_for_two_pokes(ti=None):
        count = (ti.xcom_pull(task_ids="wait_for_two_pokes", key="pokes") or 0) + 1
        ti.xcom_push(key="pokes", value=count)
        return PokeReturnValue(is_done=count >= 2, xcom_value="ready")

    @task
    def after(value):
        assert value == "ready", value

    after(wait_for_two_pokes())
