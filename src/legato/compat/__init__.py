"""Compatibility layers: other orchestrators' DAG files running on Legato's engine.

`legato.compat.airflow` serves the `airflow` import names from Legato's own code while DAG
files load and tasks run. Nothing here is imported by `import legato`.
"""
