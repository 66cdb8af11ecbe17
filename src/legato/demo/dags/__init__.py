"""The DAGs of `legato demo` (without `--all`): a folder that holds DAG files only, so it can be
`LEGATO_DAGS` for `legato up` on the demo's store. `_`-prefixed files are not DAG files."""
