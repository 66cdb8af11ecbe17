"""Airflow DAG files on Legato, compared with real Airflow (issue 14)."""
