"""The built demo warehouse honours the output contract (schemas/contract.json, docs/contract/)."""

import json

from tests.conftest import REPO

CONTRACT = json.loads((REPO / "schemas" / "contract.json").read_text())
WAREHOUSE_DOC = (REPO / "docs" / "contract" / "warehouse.md").read_text()


def test_every_promised_table_and_column_exists(demo_warehouse):
    have: dict[str, set[str]] = {}
    for schema, table, column in demo_warehouse.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()"
    ).fetchall():
        have.setdefault(f"{schema}.{table}", set()).add(column)
    missing = [
        f"{table}.{column}" if table in have else table
        for table, columns in CONTRACT["tables"].items()
        for column in (columns if table in have else [None])
        if table not in have or column not in have[table]
    ]
    assert missing == []


def test_every_kpi_table_and_column_has_a_dutch_description(demo_warehouse):
    tables = demo_warehouse.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'kpi' AND coalesce(comment, '') = ''"
    ).fetchall()
    columns = demo_warehouse.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'kpi' AND coalesce(comment, '') = ''"
    ).fetchall()
    assert tables == [] and columns == []


def test_every_table_of_the_published_warehouse_matches_its_model(demo_warehouse):
    """Also the tables no asset check covers (``quality.table_builds``)."""
    from assets.checks import all_models

    tables = {
        f"{s}.{t}"
        for s, t in demo_warehouse.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()"
        ).fetchall()
    }
    models = {m.table(): m for m in all_models()}
    assert "quality.table_builds" in tables and tables <= set(models), tables - set(models)
    for table in sorted(tables):
        models[table].validate(demo_warehouse.sql(f"SELECT * FROM {table}").pl(), lazy=True)


def test_every_table_of_the_contract_is_described_in_warehouse_md():
    """The machine-readable list and the document say the same: a table added to one and
    not the other fails here."""
    undocumented = [
        table
        for table in CONTRACT["tables"]
        if f"`{table}`" not in WAREHOUSE_DOC and f"`{table.split('.', 1)[1]}`" not in WAREHOUSE_DOC
    ]
    assert undocumented == []


def test_the_contract_lists_every_kpi_table_the_models_define():
    """A KPI table with a Pandera model but missing from the contract would be built and
    published without anyone having promised it."""
    from assets.checks import all_models

    kpi_models = {m.table() for m in all_models() if m.table().startswith("kpi.")}
    assert kpi_models - set(CONTRACT["tables"]) == set()
