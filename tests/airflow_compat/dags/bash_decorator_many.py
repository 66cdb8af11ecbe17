"""@task.bash in many shapes: context values, env, cwd, mapping, skip, failure, templates."""
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import dag, task
from airflow.utils.trigger_rule import TriggerRule


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def bash_decorator_many():
    done = EmptyOperator(task_id="run_this_last", trigger_rule=TriggerRule.ALL_DONE)

    @task.bash
    def run_after_loop() -> str:
        return "echo https://airflow.apache.org/"

    @task.bash
    def key(task_instance_key_str) -> str:
        return f'echo "ti_key={task_instance_key_str}"'

    @task.bash
    def this_will_skip() -> str:
        return 'echo "hello world"; exit 99;'

    @task.bash(env={"BAR": "bar"}, append_env=True)
    def env_var() -> str:
        return 'test "$BAR" = bar && test -n "$PATH"'

    @task.bash(cwd="/tmp")
    def where() -> str:
        return "pwd"

    @task.bash
    def sleep_in(day: str) -> str:
        return f"echo sleeping in on {day}"

    @task.bash
    def broken() -> str:
        return "echo failing; exit 2"

    @task.bash
    def templated() -> str:
        return 'test "{{ ds }}" = 2024-01-03'

    runs = [run_after_loop(), key(), this_will_skip(), env_var(), where(),
            sleep_in.expand(day=["Saturday", "Sunday"]), broken(), templated()]
    runs >> done


bash_decorator_many()
