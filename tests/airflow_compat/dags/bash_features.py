"""BashOperator: skip_on_exit_code, env (replacing or appended), cwd, failures."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("bash_features", schedule=None, start_date=datetime(2024, 1, 1)):
    BashOperator(task_id="skip_99", bash_command="exit 99")
    BashOperator(task_id="skip_custom", bash_command="exit 3", skip_on_exit_code=[3, 4])
    BashOperator(task_id="fails", bash_command="echo no; exit 1")
    BashOperator(task_id="env_only", bash_command='test -z "$HOME" && test "$X" = 1',
                 env={"X": "1"})
    BashOperator(task_id="env_append", bash_command='test -n "$PATH" && test "$X" = 2',
                 env={"X": "2"}, append_env=True)
    BashOperator(task_id="cwd", bash_command='test "$(pwd)" = /tmp', cwd="/tmp")
    BashOperator(task_id="bad_cwd", bash_command="true", cwd="/no/such/dir")
    BashOperator(task_id="ctx_vars", bash_command='test "$AIRFLOW_CTX_DAG_ID" = bash_features')
