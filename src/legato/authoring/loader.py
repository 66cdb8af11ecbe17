"""Importing DAG files. A broken file becomes an error record with file and line, never a crash.

Each file is imported as its own module (not `__main__`, so its `if __name__ == "__main__"`
block does not run) and every DAG found in its globals is collected. One file's failure —
a syntax error, an exception at import, a cycle — is reported and the others still load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from ..compat.airflow import serving as airflow_serving
from .dag import DAG


@dataclass(frozen=True)
class LoadError:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class _Identified(Protocol):
    @property
    def dag_id(self) -> str: ...
    @property
    def fileloc(self) -> str: ...


D = TypeVar("D", bound=_Identified)


@dataclass
class LoadResult(Generic[D]):
    """The DAGs found (live `DAG`s from a file, or `ParsedDag`s from their specs) and errors."""

    dags: list[D] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


def _error_line(exc: BaseException, file: str) -> int | None:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == Path(file).resolve():
            line = frame.lineno
    return line


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"the file called sys.exit({exc.code!r}) while being imported"
    return f"{type(exc).__name__}: {exc}"


def module_name_for(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    return f"legato_dagfile_{path.stem}_{digest}"


def load_file(path: str | Path) -> LoadResult[DAG]:
    """Import one DAG file and return its DAGs, or the error that stopped it."""
    path = Path(path)
    result: LoadResult[DAG] = LoadResult()
    if not path.is_file():
        result.errors.append(LoadError(str(path), None, "no such file"))
        return result
    name = module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        result.errors.append(LoadError(str(path), None, "not a Python file"))
        return result
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with airflow_serving(module):   # `import airflow...` resolves to legato.compat.airflow
            spec.loader.exec_module(module)
    except KeyboardInterrupt:
        sys.modules.pop(name, None)
        raise
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything, even SystemExit
        sys.modules.pop(name, None)
        result.errors.append(LoadError(str(path), _error_line(exc, str(path)), _describe(exc)))
        return result
    seen: set[int] = set()
    for value in vars(module).values():
        if isinstance(value, DAG) and id(value) not in seen:
            seen.add(id(value))
            value.fileloc = str(path.resolve())
            value._spec = None                  # a spec built at import had the old path
            result.dags.append(value)
    return result


def dag_files(folder: str | Path) -> list[Path]:
    """The DAG files of a folder: every `*.py` under it, recursively, but `_`-prefixed names
    and hidden folders."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*.py")):
        inside = path.relative_to(folder).parts         # a hidden parent of the folder is fine
        if not (path.name.startswith("_") or any(p.startswith(".") for p in inside)):
            found.append(path)
    return found


def load_folder(folder: str | Path) -> LoadResult[DAG]:
    """Import every DAG file of `folder` in this process (see dag_files)."""
    result: LoadResult[DAG] = LoadResult()
    for path in dag_files(folder):
        one = load_file(path)
        result.dags.extend(one.dags)
        result.errors.extend(one.errors)
    return drop_duplicate_ids(result)


def drop_duplicate_ids(result: LoadResult[D]) -> LoadResult[D]:
    """A dag_id defined more than once is an import error of every file defining it, and none
    of those definitions is used until it is fixed (otherwise which file wins would depend on
    who reads the folder: `dags list`, trigger and the scheduler disagreed)."""
    files: dict[str, list[str]] = {}
    for dag in result.dags:
        files.setdefault(dag.dag_id, []).append(dag.fileloc)
    clashes = {d: f for d, f in files.items() if len(f) > 1}
    if not clashes:
        return result
    kept = [d for d in result.dags if d.dag_id not in clashes]
    errors = list(result.errors)
    for dag_id, where in sorted(clashes.items()):
        for file in dict.fromkeys(where):
            others = [f for f in where if f != file] or ["this same file"]
            errors.append(LoadError(file, None, f"DAG id {dag_id!r} is also defined in "
                                    f"{', '.join(dict.fromkeys(others))}; no definition of it "
                                    "is used until the ids are unique"))
    return LoadResult(kept, errors)
