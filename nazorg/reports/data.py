"""Read-only access to the ``kpi`` and ``quality`` schemas of the published warehouse.

Every table is read once, however many workbooks are written; a missing table reads as
no rows and a missing column as absent. The row-level quality tables are never read
into Python: they are counted per (file, column, rule) in DuckDB, and their messages
(which may name a case number) are never read at all.
"""

from __future__ import annotations

from typing import Any

import duckdb

from nazorg.reports.columns import QUALITY_COLUMN


class Warehouse:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        found = con.execute(
            """
            SELECT schema_name, table_name, column_name
            FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name IN ('kpi', 'quality')
            ORDER BY schema_name, table_name, column_index
            """
        ).fetchall()
        self.columns: dict[str, list[str]] = {}
        for schema, table, column in found:
            self.columns.setdefault(f"{schema}.{table}", []).append(column)
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._by_region: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        self._issues: dict[str, list[dict[str, Any]]] = {}
        self.queries = 0  # statements run (tests check that tables are read once)

    def _fetch(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        self.queries += 1
        cursor = self._con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @staticmethod
    def _ref(table: str) -> str:
        schema, name = table.split(".", 1)
        return f'"{schema}"."{name}"'

    def has(self, table: str) -> bool:
        return table in self.columns

    def rows(self, table: str, region: str | None = None) -> list[dict[str, Any]]:
        """All rows of ``schema.table`` as dicts, only those of ``region`` if given."""
        if table not in self.columns:
            return []
        if table not in self._cache:
            self._cache[table] = self._fetch(f"SELECT * FROM {self._ref(table)}")
        rows = self._cache[table]
        if region is None:
            return list(rows)
        if table not in self._by_region:
            parts: dict[Any, list[dict[str, Any]]] = {}
            for r in rows:
                parts.setdefault(r.get("region"), []).append(r)
            self._by_region[table] = parts
        return list(self._by_region[table].get(region, ()))

    def regions(self) -> list[str]:
        """Regions with a row in any kpi table."""
        regions: set[str] = set()
        for table, columns in self.columns.items():
            if table.startswith("kpi.") and "region" in columns:
                regions |= {str(r["region"]) for r in self.rows(table) if r.get("region")}
        return sorted(regions)

    def issue_counts(self, table: str) -> list[dict[str, Any]]:
        """``quality.rejected_rows`` or ``quality.row_warnings`` counted per file, column
        and rule (no messages: they may carry a case number)."""
        if table not in self._issues:
            columns = set(self.columns.get(table, ()))
            if not {"file", QUALITY_COLUMN, "rule"} <= columns:
                self._issues[table] = []
            else:
                self._issues[table] = self._fetch(
                    f"""
                    SELECT file, {QUALITY_COLUMN}, rule, count(*) AS rows
                    FROM {self._ref(table)}
                    GROUP BY ALL
                    ORDER BY rows DESC, file, {QUALITY_COLUMN}, rule
                    """
                )
        return self._issues[table]
