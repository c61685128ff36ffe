"""The data dictionary: every schema, table, view and column of the warehouse with its
type and Dutch description, written as Markdown from the warehouse's own comments
(``COMMENT ON``, which come from the Pandera models), so it cannot say something else
than the database an analyst opens.

    python -m nazorg.dictionary [--warehouse warehouse/nazorg.duckdb] [--output docs/data-dictionary.md]

``make dictionary`` builds the demo warehouse and writes ``docs/data-dictionary.md``;
a test fails when that file differs from what the demo warehouse of the test run gives.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

from nazorg.warehouse import SCHEMA_DESCRIPTIONS, SCHEMAS

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"

HEADER = """# Datawoordenboek van het warehouse

Elk schema, elke tabel en view en elke kolom van `warehouse/nazorg.duckdb`, met type en
omschrijving. Gemaakt uit de omschrijvingen in de database zelf (`COMMENT ON`; in SQL:
`SELECT * FROM duckdb_columns()`) met `make dictionary` (`python -m nazorg.dictionary`);
niet met de hand bewerken: een test vergelijkt dit bestand met het demo-warehouse.
"""


def _cell(text: str | None) -> str:
    """Text for one Markdown table cell: no line breaks, no column separators."""
    if not text:
        return "(geen omschrijving)"
    return " ".join(text.split()).replace("|", "\\|")


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(schema, name, 'tabel'/'view', comment) of every table and view of ``SCHEMAS``."""
    found = con.execute(
        """
        SELECT schema_name, table_name, 'tabel', comment FROM duckdb_tables()
        WHERE database_name = current_database()
        UNION ALL
        SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal
        """
    ).fetchall()
    order = {schema: i for i, schema in enumerate(SCHEMAS)}
    return sorted((r for r in found if r[0] in order), key=lambda r: (order[r[0]], r[1]))


def columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(column, type, comment) per (schema, table or view), in column order."""
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for schema, table, column, data_type, comment in con.execute(
        """
        SELECT schema_name, table_name, column_name, data_type, comment
        FROM duckdb_columns()
        WHERE database_name = current_database()
        ORDER BY schema_name, table_name, column_index
        """
    ).fetchall():
        out.setdefault((schema, table), []).append((column, data_type, comment))
    return out


def render(con: duckdb.DuckDBPyConnection) -> str:
    """The dictionary of the warehouse ``con`` is connected to, as Markdown."""
    found = relations(con)
    cols = columns(con)
    lines = [HEADER]
    lines.append("| schema | tabellen en views |")
    lines.append("| --- | --- |")
    for schema in SCHEMAS:
        names = [f"[`{n}`](#{schema}{n})" for s, n, _, _ in found if s == schema]
        lines.append(f"| `{schema}` | {', '.join(names) or '–'} |")
    for schema in SCHEMAS:
        lines += ["", f"## Schema `{schema}`", "", _cell(SCHEMA_DESCRIPTIONS.get(schema))]
        for s, name, kind, comment in found:
            if s != schema:
                continue
            lines += ["", f"### {schema}.{name}", "", f"*{kind}* — {_cell(comment)}", ""]
            lines += ["| kolom | type | omschrijving |", "| --- | --- | --- |"]
            for column, data_type, text in cols.get((schema, name), []):
                lines.append(f"| `{column}` | {data_type} | {_cell(text)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None, help="NAZORG_WAREHOUSE")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    path = args.warehouse or Path(os.environ.get("NAZORG_WAREHOUSE", "warehouse/nazorg.duckdb"))
    with duckdb.connect(str(path), read_only=True) as con:
        text = render(con)
    args.output.write_text(text, encoding="utf-8")
    print(f"Datawoordenboek geschreven: {args.output}")


if __name__ == "__main__":
    main()
