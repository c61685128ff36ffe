"""Every table model and every business check of the code location, for tests and docs.

The checks themselves are declared next to the tables they guard (``assets/staging.py``,
``assets/quality.py``, ``assets/kpi.py``) and run inside the step that builds them
(:mod:`assets.common`).
"""

from __future__ import annotations

import importlib
import pkgutil

from assets.common import SqlCheck
from schemas.base import TableModel


def all_models() -> list[type[TableModel]]:
    """Every table model defined in ``schemas`` (imported so they register)."""
    import schemas

    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"schemas.{module.name}")
    found, todo = [], list(TableModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if "name" in vars(model.Config):
            found.append(model)
    return sorted(found, key=lambda m: m.table())


def sql_checks() -> list[SqlCheck]:
    """Every SQL business check, in the order of the layers."""
    from assets import kpi, quality, staging

    found: list[SqlCheck] = []
    for module in (staging, quality, kpi):
        for value in vars(module).values():
            if isinstance(value, SqlCheck):
                found.append(value)
    for table in kpi.KPI_TABLES:
        found.extend(table.checks)
    return list(dict.fromkeys(found))


def sql_check(name: str, table: str | None = None) -> SqlCheck:
    """The SQL check called ``name`` (on ``table`` where two tables share a name)."""
    matches = [c for c in sql_checks() if c.name == name and table in (None, c.table)]
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} checks called {name!r}")
    return matches[0]
