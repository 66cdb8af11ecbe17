"""The meta-path finder and loader behind `serving()`: `airflow.*` names built from `tree.py`.

A served module is a plain module object whose attributes are Legato's implementations; it
is created once per process and kept here between `serving()` blocks, so a DAG file that is
loaded twice sees the same classes. Provider modules Legato cannot run are served as stubs
whose attributes raise ImportError naming the replacement (`unsupported.py`), so
`from airflow.providers.google... import BigQueryInsertJobOperator` fails at load with one
line that says what to use instead.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
from types import ModuleType
from typing import Any

from .tree import MODULES, WHERE

_cache: dict[str, ModuleType] = {}


def served_modules() -> dict[str, ModuleType]:
    """The served modules created so far (re-inserted into sys.modules when serving starts)."""
    return dict(_cache)


def forget_served(modules: dict[str, ModuleType]) -> None:
    """Keep our modules (taken out of sys.modules when serving ends) for the next block."""
    _cache.update({name: module for name, module in modules.items()
                   if getattr(module, "__legato_served__", False)})


def _populate(module: ModuleType, name: str) -> None:
    for attr in MODULES.get(name, ()):
        impl = importlib.import_module(f"{__package__}.{WHERE[attr]}")
        setattr(module, attr, getattr(impl, attr))
    module.__all__ = list(MODULES.get(name, ()))  # type: ignore[attr-defined]
    module.__getattr__ = _missing(name)  # type: ignore[attr-defined]


def _missing(module: str) -> Any:
    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"module {module!r} has no attribute {attr!r}: Legato's Airflow "
                             "compatibility does not serve it (see `legato airflow check`)")

    return __getattr__


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = ModuleType(spec.name)
        module.__path__ = []  # type: ignore[attr-defined]  # every served name is a package
        module.__legato_served__ = True  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        if name in MODULES:
            _populate(module, name)
        else:
            from .unsupported import stub_getattr

            module.__getattr__ = stub_getattr(name)  # type: ignore[attr-defined]
        _cache[name] = module


class AirflowFinder(importlib.abc.MetaPathFinder):
    """Answers `airflow` and `airflow.*`; anything else goes to the next finder."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        if fullname not in MODULES:
            from .unsupported import check_module

            check_module(fullname)      # raises ModuleNotFoundError naming what to do
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
