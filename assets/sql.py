"""SQL of the marts lives in ``warehouse/sql/<schema>_<table>.sql``."""

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
