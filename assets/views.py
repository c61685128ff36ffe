"""The ``kpi`` views: the questions analysts ask first, one query away (warehouse.md).

A view stores only its query, so it costs nothing to build and always shows the tables
as they are. They are (re)created when a run publishes, after every table, with the
Dutch descriptions of their models; a view whose tables are not all there yet (a
partial first run) is left out until they are.
"""

import duckdb

from assets.kpi import tables_read
from assets.sql import sql
from nazorg.warehouse import describe, table_exists
from schemas.base import TableModel
from schemas.views import Headline, Tabel1

# model, SQL file (warehouse/sql/<name>.sql)
VIEWS: tuple[tuple[type[TableModel], str], ...] = (
    (Tabel1, "kpi_tabel1"),
    (Headline, "kpi_headline"),
)


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create or replace every view whose tables exist; return the views created."""
    created = []
    for model, name in VIEWS:
        query = sql(name)
        if not all(table_exists(con, t) for t in tables_read(query)):
            continue
        # (the query selects the model's columns in its order: a test holds it to that)
        con.execute("BEGIN")
        try:
            con.execute(f"CREATE OR REPLACE VIEW {model.table()} AS {query}")
            describe(con, model, kind="VIEW")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        created.append(model.table())
    return created
