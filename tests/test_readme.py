"""The README's example queries for analysts run against the demo warehouse."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def example_queries() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [b for b in blocks if b.lstrip().startswith("-- example:")]


def test_readme_has_five_example_queries():
    assert len(example_queries()) >= 5


def test_example_queries_run_on_the_demo_warehouse(demo_warehouse):
    for query in example_queries():
        rows = demo_warehouse.sql(query).fetchall()
        assert rows, f"query returned nothing:\n{query}"


def test_readme_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in README.read_text()


def python_examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [b for b in blocks if b.lstrip().startswith("# voorbeeld:")]


def test_the_duckdb_2_section_has_its_four_patterns():
    examples = "\n".join(python_examples())
    assert "## Werken met DuckDB 2.0" in README.read_text(encoding="utf-8").replace("###", "##")
    for pattern in (".fetchall()", ".pl()", "::BIGINT", "con.abort()"):
        assert pattern in examples, pattern


def test_python_examples_run_on_the_demo_warehouse(demo_build, demo_warehouse):
    """Each example as an analyst runs it: its own read-only connection to the file."""
    _, path = demo_build
    examples = python_examples()
    assert len(examples) >= 4
    for example in examples:
        assert '"warehouse/nazorg.duckdb"' in example
        namespace: dict = {}
        exec(
            compile(example.replace("warehouse/nazorg.duckdb", str(path)), "README", "exec"),
            namespace,
        )
        namespace["con"].close()


def test_what_the_duckdb_2_section_warns_about_is_true(demo_warehouse):
    """The README's warnings hold for the pinned DuckDB: if an upgrade changes them, the
    section must change too."""
    import polars as pl
    import pytest

    con = demo_warehouse.cursor()
    with pytest.raises(AttributeError):
        con.sql("SELECT 1").fetchone()
    total = con.sql("SELECT sum(persons) AS n FROM kpi.outflow").pl()
    assert total.schema["n"] == pl.Decimal(38, 0)
    con.execute("SELECT * FROM kpi.outflow").fetchone()
    with pytest.raises(Exception, match="unfinished result"):
        con.sql("SELECT 1").fetchall()
    con.abort()
    assert con.sql("SELECT 1").fetchall() == [(1,)]
    con.close()
