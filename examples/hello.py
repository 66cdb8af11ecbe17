"""The smallest Legato pipeline: two tasks, one passing its result to the next.

    legato run examples/hello.py
"""

from legato import DAG, task

with DAG("hello", start_date="2024-01-01", schedule=None, tags=["example"]) as dag:

    @task
    def hello(ctx):
        ctx.log.info("saying hello for %s", ctx.ds)
        return "hello"

    @task
    def world(greeting: str) -> str:
        message = f"{greeting}, world"
        print(message)
        return message

    world(hello())
