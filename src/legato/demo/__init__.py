"""`legato demo`: the article's loop in one command, on a throwaway store.

- `legato demo` runs `dags/legato_demo.py`, an ordinary DAG file shipped inside the package
  (so it works after a plain `pip install`), and reports (`_run.py`). `dags/` holds DAG files
  only, so it doubles as a DAGs folder (`LEGATO_DAGS=<that folder> legato up`).
- `legato demo --all | NAME | --list` runs the example gallery (the repository's `examples/`,
  one DAG file per pipeline of the article) against local stand-ins of the systems the
  article talks to (`standins/`: a procurement API, a DDoS/security-log API, a Jira-compatible
  helpdesk, a chat webhook, a BI tool), each a small real HTTP server on 127.0.0.1, in a store
  of its own (`gallery.py` says what each example shows and how it is driven, `scenarios.py`
  drives it, `summary.py` gathers what happened).
"""
