"""Setup/teardown with TaskFlow: as_teardown(setups=...) on XComArgs and `with s >> t:`."""
import pendulum
from airflow.sdk import dag, setup, task, task_group, teardown


@dag(start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, schedule=None)
def setup_teardown_taskflow():
    @task
    def task_1():
        print("Hello 1")

    @task
    def task_2():
        print("Hello 2")

    @task
    def task_3():
        print("Hello 3")

    t1 = task_1()
    t2 = task_2()
    t3 = task_3()
    t1 >> t2 >> t3.as_teardown(setups=t1)

    @setup
    def dag_setup():
        print("I am dag_setup")

    @teardown
    def dag_teardown():
        print("I am dag_teardown")

    @task
    def dag_normal_task():
        print("I am just a normal task")

    s = dag_setup()
    t = dag_teardown()
    with s >> t:
        dag_normal_task()

    @task_group
    def section_1():
        @setup
        def my_setup():
            print("I set up")

        @teardown
        def my_teardown():
            print("I tear down")

        @task
        def hello():
            raise RuntimeError("hello fails")

        s = my_setup()
        t = my_teardown()
        with s >> t:
            hello()

    section_1()


setup_teardown_taskflow()
