"""SQL of the marts lives in ``warehouse/sql/<schema>_<table>.sql``.

A piece of SQL that several tables share lives in a file of its own
(``warehouse/sql/<name>.sql``) and is pasted where a query has a line
``-- include: <name>``, so that it is defined once. The tables a query reads (its
asset deps and fingerprint) are read from the query with its includes in place.
"""

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"

_INCLUDE = re.compile(r"^[ \t]*--[ \t]*include:[ \t]*(\w+)[ \t]*$", re.MULTILINE)


@cache
def sql(name: str) -> str:
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: sql(m.group(1)).rstrip().rstrip(";"), text)
