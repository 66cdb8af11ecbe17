"""`legato demo`: the article's loop in one command, on a throwaway store.

`legato_demo.py` is an ordinary DAG file shipped inside the package (so it works after a
plain `pip install`; the examples/ folder is not installed); `_run.py` runs it and reports.
The folder doubles as a DAGs folder (`LEGATO_DAGS=<this folder>`): the loader skips
`_`-prefixed files.
"""
