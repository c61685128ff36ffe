"""SQL of the marts lives in ``warehouse/sql/<schema>_<table>.sql``.

A line ``-- include: <name>`` is replaced by ``warehouse/sql/<name>.sql``: the period
each source covers (``coverage_*.sql``) is defined once and read by every table that
says whether its years are complete. The included text is part of the query, so its
tables count as the query's inputs and a change to it rebuilds the tables that use it.
"""

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*include:[ \t]*(\w+)[ \t]*$", re.MULTILINE)


@cache
def sql(name: str) -> str:
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: sql(m.group(1)).strip(), text)
