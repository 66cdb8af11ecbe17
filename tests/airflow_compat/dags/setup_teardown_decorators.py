"""@setup / @teardown with TaskFlow: the work fails, the teardown still runs, the run fails."""
import pendulum
from airflow.sdk import dag, setup, task, teardown


@dag(start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, schedule=None)
def setup_teardown_decorators():
    @setup
    def create_cluster():
        return "cluster-1"

    @task
    def run_query(cluster):
        raise RuntimeError(f"query on {cluster} failed")

    @teardown
    def delete_cluster(cluster):
        print(f"deleting {cluster}")

    cluster = create_cluster()
    run_query(cluster) >> delete_cluster(cluster)


setup_teardown_decorators()
