"""The dags table: the latest spec of each DAG that has been run or scheduled."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .schema import dags


def upsert_dag(conn: sa.Connection, dag_id: str, fileloc: str, spec_json: str,
               now: datetime) -> None:
    existing = conn.execute(sa.select(dags.c.spec_json, dags.c.fileloc)
                            .where(dags.c.dag_id == dag_id)).first()
    if existing is None:
        conn.execute(dags.insert().values(dag_id=dag_id, fileloc=fileloc, spec_json=spec_json,
                                          is_paused=False, updated_at=now))
    elif existing.spec_json != spec_json or existing.fileloc != fileloc:
        conn.execute(dags.update().where(dags.c.dag_id == dag_id)
                     .values(fileloc=fileloc, spec_json=spec_json, updated_at=now))
