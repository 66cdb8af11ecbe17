"""The `legato` console script.

`legato run FILE` goes straight to its own parser in `run_cmd`: the typer app (typer,
pydantic, rich and every command module, ~150 ms of imports) would otherwise be paid on the
one command whose whole-process time users compare with `python my_dag.py`. Everything
else, `legato run --help` included, goes through the typer app in `cli.app`.
"""

from __future__ import annotations

import gc
import sys
from typing import Any


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["run"] and not {"--help", "-h"} & set(argv[1:]):
        gc.disable()            # until the DAG is loaded: see run_cmd.settle_heap
        from .run_cmd import run_from_argv

        code = run_from_argv(argv[1:])
        gc.freeze()             # the collection at exit then has nothing left to walk
        sys.exit(code)
    from .app import main as app_main

    app_main()


def __getattr__(name: str) -> Any:
    """`from legato.cli.main import app` keeps working (tests drive the app with CliRunner)."""
    if name == "app":
        from .app import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":
    main()
