"""The data dictionary (docs/data-dictionary.md) is the warehouse's own comments, and
stays so: it is compared with the demo warehouse of every test run."""

from __future__ import annotations

import duckdb

from nazorg.dictionary import DEFAULT_OUTPUT, main, render
from nazorg.warehouse import SCHEMAS


def test_the_committed_dictionary_matches_the_demo_warehouse(demo_warehouse):
    assert DEFAULT_OUTPUT.read_text(encoding="utf-8") == render(demo_warehouse), (
        "docs/data-dictionary.md wijkt af van het warehouse: draai make dictionary"
    )


def test_every_schema_table_view_and_column_is_in_it_with_type_and_description(demo_warehouse):
    text = render(demo_warehouse)
    sections = text.split("\n### ")
    by_table = {s.split("\n", 1)[0]: s for s in sections[1:]}
    for schema in SCHEMAS:
        assert f"## Schema `{schema}`" in text
    relations = demo_warehouse.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() UNION ALL "
        "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    assert {r for (r,) in relations} == set(by_table)
    assert {"kpi.tabel1", "kpi.headline", "kpi.outflow", "quality.rejected_rows"} <= set(by_table)
    assert by_table["kpi.tabel1"].split("\n")[2].startswith("*view* — Tabel 1 van de evaluatie")
    for schema, table, column, data_type, comment in demo_warehouse.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name IN ('staging', 'kpi', 'quality')"
    ).fetchall():
        line = f"| `{column}` | {data_type} | {' '.join(comment.split())[:40]}"
        assert line in by_table[f"{schema}.{table}"], line
    assert "(geen omschrijving)" not in text


def test_a_changed_comment_makes_the_dictionary_differ(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA kpi")
    con.execute("CREATE TABLE kpi.t (persons BIGINT)")
    con.execute("COMMENT ON TABLE kpi.t IS 'Uitstroom | per jaar'")
    con.execute("COMMENT ON COLUMN kpi.t.persons IS 'Personen'")
    before = render(con)
    assert "*tabel* — Uitstroom \\| per jaar" in before
    assert "| `persons` | BIGINT | Personen |" in before
    con.execute("COMMENT ON COLUMN kpi.t.persons IS 'Unieke personen'")
    assert render(con) != before
    con.close()
    output = tmp_path / "dictionary.md"
    main(["--warehouse", str(path), "--output", str(output)])
    assert "| `persons` | BIGINT | Unieke personen |" in output.read_text(encoding="utf-8")
