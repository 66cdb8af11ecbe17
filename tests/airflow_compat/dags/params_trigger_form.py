"""Params of many kinds (a UI trigger form): enum, list, object, nullable, formats."""
import datetime

from airflow.sdk import DAG, Param, task

with DAG("params_trigger_form", schedule=None, start_date=datetime.datetime(2024, 1, 1),
         params={
             "names": Param(["Linda", "Martha", "Thomas"], type="array",
                            description="Who to greet", title="Names to greet"),
             "english": Param(True, type="boolean", title="English"),
             "german": Param(True, type="boolean", title="German (Formal)"),
             "color": Param("red", type="string", enum=["red", "green", "blue"],
                            values_display={"red": "Red"}),
             "nullable": Param(None, type=["null", "string"]),
             "object": Param({"a": 1}, type="object"),
             "day": Param(f"{datetime.date.today()}", type="string", format="date"),
             "count": Param(3, type="integer", minimum=1, maximum=10, section="Numbers"),
         }):
    @task(task_id="get_names", task_display_name="Get names")
    def get_names(**kwargs) -> list[str]:
        params = kwargs["params"]
        if "names" not in params:
            return []
        return params["names"]

    @task.branch(task_id="choose")
    def choose(names: list[str]) -> str:
        return "german_greeting" if names else "nobody"

    @task(task_id="german_greeting")
    def german_greeting(name: str) -> str:
        return f"Guten Tag, {name}!"

    @task(task_id="nobody")
    def nobody():
        return None

    names = get_names()
    c = choose(names)
    c >> [german_greeting.expand(name=names), nobody()]
