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
