"""The README's example queries for analysts run against the demo warehouse."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def example_queries() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [b for b in blocks if b.lstrip().startswith("-- example:")]


def test_readme_has_five_example_queries():
    assert len(example_queries()) >= 5


def _title(query: str) -> str:
    return query.lstrip().splitlines()[0].removeprefix("-- example:").strip()


# What an analyst sees on the demo warehouse, per example (by its title): the published
# figures where the example shows them.
EXPECTED = {
    "uitstroom per gemeente in 2013, Gooi en Vechtstreek": lambda rows: (
        rows[:3] == [("Hilversum", 159, 61.0), ("Huizen", 33, 13.0), ("Bussum", 28, 11.0)]
        and sum(r[1] for r in rows) == 261
    ),
    "uitstroom per regio en jaar": lambda rows: (
        [r for r in rows if r[0] == "Gooi en Vechtstreek"]
        == [
            ("Gooi en Vechtstreek", y, n)
            for y, n in [(2010, 239), (2011, 285), (2012, 258), (2013, 261)]
        ]
        and ("Midden-Limburg", 2020, 285) in rows
    ),
    "wat betekenen de kolommen van kpi.outflow?": lambda rows: (
        {"region", "year", "municipality_code", "persons", "share"} <= {r[0] for r in rows}
        and all(r[1] for r in rows)
    ),
    "welke bestanden zijn niet (helemaal) geladen, en waarom?": lambda rows: (
        ("dpan/gooi-en-vechtstreek/kopie van dpan_export_2012.xlsx", "duplicate")
        in [r[:2] for r in rows]
        and ("justid/2020/justid_midden-limburg_2020-Q3.csv", "loaded", 218, 215, 3, None) in rows
    ),
    "afgewezen rijen per regel": lambda rows: (
        sum(r[2] for r in rows) == 5 and ("justid", "bsn_11_proef") in [r[:2] for r in rows]
    ),
}


def test_example_queries_give_the_demo_figures(demo_warehouse):
    checked = 0
    for query in example_queries():
        rows = demo_warehouse.sql(query).fetchall()
        assert rows, f"query returned nothing:\n{query}"
        check = EXPECTED.get(_title(query))
        if check is not None:
            assert check(rows), f"{_title(query)}: {rows[:6]}"
            checked += 1
    assert checked >= 2, "the README's first examples (outflow) are no longer checked"


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
