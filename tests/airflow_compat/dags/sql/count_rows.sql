SELECT count(*) FROM events WHERE day = '{{ ds }}' AND team = '{{ params.team }}'
