"""What analysts ask first, one query away (warehouse.md): the views ``kpi.tabel1`` and
``kpi.headline``, ``year_complete`` on every yearly KPI table, units for the MKBA
parameters, one integer type, and names that need no quotes."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from assets.sql import sql
from assets.views import VIEWS
from nazorg.cohort import PARAMETER_UNITS
from nazorg.mkba import MkbaParameters
from nazorg.warehouse import replace_table_from_sql
from schemas.kpi import Outflow
from schemas.views import Headline, Tabel1
from tests.conftest import RAW, REPO, run_nightly
from tests.test_bad_input import justid_csv, notification

GOOI, ML = "Gooi en Vechtstreek", "Midden-Limburg"
CONTRACT = json.loads((REPO / "schemas" / "contract.json").read_text())


def rows(con, query: str, params=None) -> list[dict]:
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# --------------------------------------------------------------------------- views


@pytest.mark.parametrize("model, _sql", VIEWS)
def test_each_view_has_the_columns_of_its_model_and_contract_and_dutch_comments(
    demo_warehouse, model, _sql
):
    schema, name = model.table().split(".")
    got = rows(
        demo_warehouse,
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [schema, name],
    )
    assert [r["column_name"] for r in got] == list(model.to_schema().columns)
    assert set(CONTRACT["tables"][model.table()]) <= {r["column_name"] for r in got}
    assert all(r["comment"] for r in got), got
    (view,) = rows(
        demo_warehouse,
        "SELECT comment FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name],
    )
    assert view["comment"] == model.Config.description
    model.validate(demo_warehouse.sql(f"SELECT * FROM {model.table()}").pl(), lazy=True)


def test_tabel1_is_the_gooi_report_table_1(demo_warehouse):
    table = {
        r["municipality_name"]: r
        for r in rows(
            demo_warehouse,
            "SELECT * FROM kpi.tabel1 WHERE region = ? AND year = 2013",
            [GOOI],
        )
    }
    # (caseload 2013, outflow 2013) of Tabel 1 (kpi-method.md)
    published = {
        "Hilversum": (177, 159),
        "Bussum": (45, 28),
        "Huizen": (35, 33),
        "Weesp": (27, 20),
        "Wijdemeren": (10, 6),
        "Naarden": (11, 8),
        "Blaricum": (1, 2),
        "Laren": (6, 1),
        "Muiden": (2, 4),
        "Overig": (11, 0),  # no outflow is placed in Overig: 0, since the outflow has data
    }
    assert {m: (r["caseload_cases"], r["outflow_persons"]) for m, r in table.items()} == published
    assert table["Hilversum"]["caseload_share"] == pytest.approx(177 / 325)
    assert table["Hilversum"]["outflow_share"] == pytest.approx(159 / 261)
    assert all(r["year_complete"] for r in table.values())


def test_tabel1_gives_null_where_a_registration_has_no_data_for_the_year(demo_warehouse):
    # Outflow 2012 is in Tabel 1; the case registration starts in 2013.
    got = rows(
        demo_warehouse,
        "SELECT municipality_name, caseload_cases, caseload_share, outflow_persons "
        "FROM kpi.tabel1 WHERE region = ? AND year = 2012 ORDER BY outflow_persons DESC",
        [GOOI],
    )
    assert got[0] == {
        "municipality_name": "Hilversum",
        "caseload_cases": None,
        "caseload_share": None,
        "outflow_persons": 144,
    }
    assert sum(r["outflow_persons"] for r in got) == 258


def test_headline_gives_the_published_figures_per_region_and_year(demo_warehouse):
    got = {
        (r["region"], r["year"]): r
        for r in rows(demo_warehouse, "SELECT * FROM kpi.headline ORDER BY region, year")
    }
    assert sorted(got) == [(GOOI, y) for y in range(2010, 2014)] + [
        (ML, y) for y in range(2019, 2023)
    ]
    gooi = got[(GOOI, 2013)]
    assert (gooi["outflow_persons"], gooi["caseload_cases"]) == (261, 325)
    assert gooi["profile_rate_of_outflow"] == pytest.approx(115 / 261)  # "44%" (§2.4)
    assert [got[(GOOI, y)]["outflow_persons"] for y in (2010, 2011, 2012)] == [239, 285, 258]
    assert got[(GOOI, 2012)]["caseload_cases"] is None  # no registration that year
    assert got[(GOOI, 2012)]["profile_rate_of_outflow"] is None
    ml = got[(ML, 2020)]
    assert (ml["outflow_persons"], ml["redetention_prevalence_2y"]) == (
        285,
        pytest.approx(119 / 285),
    )
    assert ml["profile_rate_of_outflow"] == pytest.approx(100 / 285)
    # The same figures as the tables they come from.
    (screening,) = rows(
        demo_warehouse,
        "SELECT released_detentions, with_form FROM kpi.screening_coverage "
        "WHERE region = ? AND year = 2020",
        [ML],
    )
    assert ml["screening_coverage"] == pytest.approx(
        screening["with_form"] / screening["released_detentions"]
    )
    assert ml["redetention_window_complete"] is True


def test_headline_year_complete_on_the_demo_data(demo_warehouse):
    """Gooi en Vechtstreek: DPAN from 2009 to 31-12-2013, the register of 2013 from 1
    January. Midden-Limburg: the screening forms linked to its detentions run from
    8-1-2019 to 19-12-2022, so 2019 and 2022 are provisional."""
    got = {
        (r["region"], r["year"]): r["year_complete"]
        for r in rows(demo_warehouse, "SELECT region, year, year_complete FROM kpi.headline")
    }
    assert got == {
        **{(GOOI, y): True for y in range(2010, 2014)},
        (ML, 2019): False,
        (ML, 2020): True,
        (ML, 2021): True,
        (ML, 2022): False,
    }


# --------------------------------------------------------------------------- year_complete


def test_every_yearly_kpi_table_has_year_complete_with_a_dutch_comment(demo_warehouse):
    yearly = sorted(
        table
        for table, columns in CONTRACT["tables"].items()
        if table.startswith("kpi.") and {"year", "release_year", "admission_year"} & set(columns)
    )
    assert {
        "kpi.outflow",
        "kpi.caseload",
        "kpi.coordination",
        "kpi.life_domain_support",
        "kpi.case_conferences",
        "kpi.screening_coverage",
        "kpi.needs_at_intake",
        "kpi.outflow_caseload_reconciliation",
        "kpi.redetention",
    } <= set(yearly)
    for table in yearly:
        schema, name = table.split(".")
        got = rows(
            demo_warehouse,
            "SELECT data_type, comment FROM duckdb_columns() WHERE schema_name = ? "
            "AND table_name = ? AND column_name = 'year_complete'",
            [schema, name],
        )
        assert [r["data_type"] for r in got] == ["BOOLEAN"], table
        comment = got[0]["comment"]
        if table in {m.table() for m, _ in VIEWS}:  # the tables' flags, combined
            assert "voorlopig" in comment, table
        else:
            assert "1 januari" in comment and "31 december" in comment, table


def _outflow(detentions: list[tuple]) -> list[tuple]:
    """kpi.outflow's SQL on a staging.detentions of (person, admission, release,
    last notification) rows, all in Roermond."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA kpi")
    con.execute(
        "CREATE TABLE staging.detentions (person_key VARCHAR, admission_date DATE, "
        "release_date DATE, last_event_date DATE, is_release BOOLEAN, "
        "municipality_code VARCHAR, municipality_name VARCHAR, region VARCHAR)"
    )
    for person, admitted, released, last in detentions:
        con.execute(
            "INSERT INTO staging.detentions VALUES (?, ?, ?, ?, ?, 'GM0957', 'Roermond', ?)",
            [person, admitted, released, last, released is not None, ML],
        )
    replace_table_from_sql(con, Outflow, sql("kpi_outflow"))
    return con.execute(
        "SELECT year, persons, year_complete FROM kpi.outflow ORDER BY year"
    ).fetchall()


D = dt.date


def test_year_complete_needs_data_from_1_january_to_31_december():
    # Data from an admission in 2021 to a notification on 31-12-2022: 2022 is complete.
    assert _outflow(
        [
            ("a", D(2021, 11, 3), D(2022, 1, 4), D(2022, 1, 4)),
            ("b", D(2022, 5, 1), D(2022, 6, 1), D(2022, 12, 31)),
        ]
    ) == [(2022, 2, True)]
    # The same with the data ending on 30 December: the year is not complete.
    assert _outflow(
        [
            ("a", D(2021, 11, 3), D(2022, 1, 4), D(2022, 1, 4)),
            ("b", D(2022, 5, 1), D(2022, 6, 1), D(2022, 12, 30)),
        ]
    ) == [(2022, 2, False)]
    # Data that start on 2 January (a first export in the year): not complete either.
    assert _outflow([("a", D(2022, 1, 2), D(2022, 1, 4), D(2023, 2, 1))]) == [(2022, 1, False)]


def test_a_january_export_makes_the_year_just_begun_provisional(tmp_path, demo_warehouse):
    """The issue's case: after one January export Midden-Limburg's new year shows a few
    released persons; year_complete says it is not final, and the year before stays
    complete."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    released = [
        notification(
            9_000_000 + 2 * i + kind,
            "Einde detentie" if kind else "Begin detentie",
            BSN=bsn,
            **{
                "Datum melding": "16-01-2023" if kind else "02-01-2023",
                "Datum insluiting": "02-01-2023",
                "Datum ontslag": "16-01-2023" if kind else "",
            },
        )
        for i, bsn in enumerate(["111222333", "010000008"])
        for kind in (0, 1)
    ]
    justid_csv(raw, "2023/justid_midden-limburg_2023-01.csv", released)
    result = run_nightly(raw, tmp_path / "nazorg.duckdb")
    assert result.success
    con = duckdb.connect(str(tmp_path / "nazorg.duckdb"), read_only=True)
    try:
        outflow = rows(
            con,
            "SELECT year, sum(persons) AS persons, bool_and(year_complete) AS complete, "
            "bool_or(year_complete) AS any_complete FROM kpi.outflow WHERE region = ? "
            "AND year >= 2022 GROUP BY year ORDER BY year",
            [ML],
        )
        # 2022 keeps the demo's figure, and stays complete
        (persons_2022,) = demo_warehouse.execute(
            "SELECT sum(persons)::BIGINT FROM kpi.outflow WHERE region = ? AND year = 2022", [ML]
        ).fetchone()
        assert persons_2022 > 100
        assert outflow == [
            {"year": 2022, "persons": persons_2022, "complete": True, "any_complete": True},
            {"year": 2023, "persons": 2, "complete": False, "any_complete": False},
        ]
        headline = rows(
            con,
            "SELECT year, year_complete FROM kpi.headline WHERE region = ? AND year = 2023",
            [ML],
        )
        assert headline == [{"year": 2023, "year_complete": False}]
        for table, year in (
            ("kpi.screening_coverage", "year"),
            ("kpi.redetention", "release_year"),
        ):
            flags = con.execute(
                f"SELECT DISTINCT year_complete FROM {table} WHERE region = ? AND {year} = 2023",
                [ML],
            ).fetchall()
            assert flags == [(False,)], table
    finally:
        con.close()


# --------------------------------------------------------------------------- units, types, names


def test_every_mkba_parameter_has_a_unit_in_words(demo_warehouse):
    got = dict(
        demo_warehouse.execute(
            "SELECT DISTINCT parameter, unit FROM kpi.cohort_parameters"
        ).fetchall()
    )
    assert got["detention_days_per_year"] == "dagen per jaar"
    assert got["benefit_cost_per_month"] == "euro per maand"
    assert got["haircut"] == "fractie"
    assert got["horizon_years"] == "jaar"
    assert all(unit and unit.strip() for unit in got.values()), got
    fields = {name for name, _ in MkbaParameters(attribution_override=0.5).as_rows()}
    assert fields | {"bootstrap_draws", "bootstrap_seed"} == set(PARAMETER_UNITS)


def test_every_integer_column_of_the_warehouse_is_bigint(demo_warehouse):
    """One integer type for counts, years and row numbers across all tables and views:
    a join or union of two tables never mixes INTEGER, HUGEINT or DECIMAL(38,0)."""
    columns = rows(
        demo_warehouse,
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name IN ('staging', 'kpi', 'quality') AND database_name = current_database()",
    )
    integer_types = {
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
        "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    }  # fmt: skip
    integers = [
        c
        for c in columns
        if c["data_type"] in integer_types
        or (c["data_type"].startswith("DECIMAL") and c["data_type"].endswith(",0)"))
    ]
    assert len(integers) > 50
    assert [c for c in integers if c["data_type"] != "BIGINT"] == []


SQL_KEYWORDS = {"group", "column", "order", "select", "from", "where", "table", "user", "limit"}


def test_no_column_needs_quotes(demo_warehouse):
    names = demo_warehouse.execute(
        "SELECT DISTINCT column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('staging', 'kpi', 'quality')"
    ).fetchall()
    assert [n for (n,) in names if n.lower() in SQL_KEYWORDS] == []
    # the renamed columns answer without quotes
    demo_warehouse.execute(
        "SELECT column_name FROM quality.rejected_rows UNION ALL "
        "SELECT column_name FROM quality.row_warnings UNION ALL "
        "SELECT aftercare_group FROM kpi.redetention"
    ).fetchall()
    assert Tabel1.table() == "kpi.tabel1" and Headline.table() == "kpi.headline"
