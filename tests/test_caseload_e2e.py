"""End to end: the case registration through the nightly job.

On the demo data: the caseload half of Tabel 1 and the coordination figures of §2.4 of
the Gooi en Vechtstreek evaluation (kpi-method.md part A), the reconciliation with the
outflow, and the Midden-Limburg register the cohort figures build on. On the example
workbooks of the input contract: they ingest, and no remark or name reaches the
warehouse.
"""

from __future__ import annotations

import shutil

import duckdb
import openpyxl
import pytest

from tests.conftest import EXAMPLES, run_nightly

GOOI = "Gooi en Vechtstreek"
ML = "Midden-Limburg"

# Tabel 1, caseload 2013: (cases, printed percentage); '<1' printed as 0. The codes are
# written down by hand from the CBS list, independently of the reference table.
TABEL_1_CASELOAD = {
    ("GM0402", "Hilversum"): (177, 55),
    ("GM0381", "Bussum"): (45, 14),
    ("GM0406", "Huizen"): (35, 11),
    ("GM0457", "Weesp"): (27, 8),
    ("GM1696", "Wijdemeren"): (10, 3),
    ("GM0425", "Naarden"): (11, 3),
    ("GM0376", "Blaricum"): (1, 0),
    ("GM0417", "Laren"): (6, 2),
    ("GM0424", "Muiden"): (2, 1),
    ("OVERIG", "Overig"): (11, 3),
}

# §2.4: measure -> (numerator, the basis the report divides by, printed percentage).
COORDINATION_2013 = {
    "profile_made": (115, "outflow", 44),
    "enriched_network_round": (65, "caseload", 20),  # "circa 20%"
    "life_domain_support": (36, "caseload", 11),
    "case_conference": (51, "outflow", 20),  # "circa een vijfde deel van de uitstroom"
    "repeat_detention": (39, "caseload", 12),  # "ongeveer 12%"
}

MY_TABLES = (
    "staging.cases",
    "kpi.caseload",
    "kpi.coordination",
    "kpi.life_domain_support",
    "kpi.case_conferences",
    "kpi.outflow_caseload_reconciliation",
)


# --------------------------------------------------------------------------- demo


def test_tabel_1_caseload_2013(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT municipality_code, municipality_name, cases, share FROM kpi.caseload "
        "WHERE region = ? AND year = 2013",
        [GOOI],
    ).fetchall()
    got = {(code, name): (cases, share) for code, name, cases, share in rows}
    assert set(got) == set(TABEL_1_CASELOAD)
    for key, (cases, printed) in TABEL_1_CASELOAD.items():
        assert got[key][0] == cases, key
        assert abs(got[key][1] * 100 - printed) <= 1, key
    assert sum(c for c, _ in got.values()) == 325
    # the warehouse keeps the exact fraction
    assert got[("GM0402", "Hilversum")][1] == pytest.approx(177 / 325)


def test_caseload_persons_count_a_person_once(demo_warehouse):
    (persons,) = demo_warehouse.execute(
        "SELECT count(DISTINCT person_key) FROM staging.cases "
        "WHERE region = ? AND year(registration_date) = 2013",
        [GOOI],
    ).fetchall()[0]
    assert persons == 325 - 39 + 19  # 39 cases of 19 persons with more than one case
    per_municipality = dict(
        demo_warehouse.execute(
            "SELECT municipality_name, persons FROM kpi.caseload WHERE region = ? AND year = 2013",
            [GOOI],
        ).fetchall()
    )
    assert per_municipality["Hilversum"] == 165 and per_municipality["Overig"] == 11


def test_coordination_2013_on_the_published_basis(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT measure, numerator, outflow, caseload, rate_of_outflow, rate_of_caseload "
        "FROM kpi.coordination WHERE region = ? AND year = 2013",
        [GOOI],
    ).fetchall()
    got = {
        m: dict(
            zip(("n", "outflow", "caseload", "outflow_rate", "caseload_rate"), rest, strict=True)
        )
        for m, *rest in rows
    }
    assert set(got) == {*COORDINATION_2013, "enriched_any"}
    for measure, (numerator, basis, printed) in COORDINATION_2013.items():
        row = got[measure]
        assert row["n"] == numerator, measure
        assert (row["outflow"], row["caseload"]) == (261, 325)
        assert row["outflow_rate"] == pytest.approx(numerator / 261)
        assert row["caseload_rate"] == pytest.approx(numerator / 325)
        assert abs(row[f"{basis}_rate"] * 100 - printed) <= 1, measure
    # Bilateral enrichment was not registered in 2013 (§2.4): any = network round.
    assert got["enriched_any"]["n"] == 65


def test_every_coordination_rate_is_its_numerator_over_its_own_basis(demo_warehouse):
    """Every row of every region and year, not only the published 2013 ones: each rate
    divides by its own denominator (a rate over the other basis would pass a test of one
    row where the two happen to be close)."""
    rows = demo_warehouse.execute(
        "SELECT region, year, measure, numerator, outflow, caseload, rate_of_outflow, "
        "rate_of_caseload FROM kpi.coordination"
    ).fetchall()
    assert len(rows) >= 12
    for region, year, measure, n, outflow, caseload, per_outflow, per_caseload in rows:
        where = (region, year, measure)
        assert (per_outflow is None) == (not outflow), where
        assert (per_caseload is None) == (not caseload), where
        if outflow:
            assert per_outflow == pytest.approx(n / outflow, rel=1e-12), where
        if caseload:
            assert per_caseload == pytest.approx(n / caseload, rel=1e-12), where
    # and the rates differ wherever the bases do, so a swap cannot pass unseen
    assert any(o and c and o != c and n for _, _, _, n, o, c, _, _ in rows)


def test_life_domain_support_2013(demo_warehouse):
    got = dict(
        demo_warehouse.execute(
            "SELECT life_domain, cases FROM kpi.life_domain_support WHERE region = ? AND year = 2013",
            [GOOI],
        ).fetchall()
    )
    assert got == {"housing": 24, "work_income": 22, "debts": 15, "care": 12, "id": 2}


def test_case_conferences_2013(demo_warehouse):
    got = dict(
        demo_warehouse.execute(
            "SELECT conference_type, cases FROM kpi.case_conferences WHERE region = ? AND year = 2013",
            [GOOI],
        ).fetchall()
    )
    assert got == {"veelpleger": 44, "huiselijk_geweld": 7, "casus_op_maat": 0}
    assert got["veelpleger"] + got["huiselijk_geweld"] == 51


def test_reconciliation_shows_blaricum_and_muiden_below_their_outflow(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT municipality_name, outflow_persons, caseload_cases, difference "
        "FROM kpi.outflow_caseload_reconciliation WHERE region = ? AND year = 2013",
        [GOOI],
    ).fetchall()
    got = {name: (out, cases, diff) for name, out, cases, diff in rows}
    assert got["Blaricum"] == (2, 1, -1)
    assert got["Muiden"] == (4, 2, -2)
    assert got["Laren"] == (1, 6, 5)
    assert got["Overig"] == (0, 11, 11)
    negative = sorted(name for name, (_, _, diff) in got.items() if diff < 0)
    assert negative == ["Blaricum", "Muiden"]
    assert sum(o for o, _, _ in got.values()) == 261 and sum(c for _, c, _ in got.values()) == 325
    # Only region-years where both registrations have data (no 2010-2012: no register).
    years = demo_warehouse.execute(
        "SELECT DISTINCT region, year FROM kpi.outflow_caseload_reconciliation ORDER BY ALL"
    ).fetchall()
    assert years == [(GOOI, 2013), (ML, 2020)]


def test_midden_limburg_register_holds_the_cohort(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT case_number, nazorg_plus, year(registration_date), trajectory_start_date, "
        "intensity FROM staging.cases WHERE region = ? ORDER BY case_number",
        [ML],
    ).fetchall()
    started = [r for r in rows if r[1] == "Gestart"]
    registered = [r for r in rows if r[1] == "Aangemeld"]
    assert [r[0] for r in started] == [f"ML-2020-{i:03d}" for i in range(1, 70)]
    assert [r[0] for r in registered] == [f"ML-2020-{i:03d}" for i in range(70, 94)]
    assert {r[2] for r in rows} == {2020}
    assert all(r[3] is not None and r[4] is not None for r in started)
    assert {r[1] for r in rows} == {"Gestart", "Aangemeld", "Nee"}
    persons = demo_warehouse.execute(
        "SELECT count(DISTINCT person_key) FILTER (WHERE nazorg_plus = 'Gestart'), "
        "count(DISTINCT person_key) FILTER (WHERE nazorg_plus IN ('Gestart', 'Aangemeld')) "
        "FROM staging.cases WHERE region = ?",
        [ML],
    ).fetchall()[0]
    assert persons == (69, 93)


def test_register_quality_rows(demo_warehouse):
    ledger = demo_warehouse.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger "
        "WHERE source = 'caseload' ORDER BY file"
    ).fetchall()
    assert [f for f, *_ in ledger] == [
        "caseload/gooi-en-vechtstreek/registratie_nazorg_2013-04.xlsx",
        "caseload/gooi-en-vechtstreek/registratie_nazorg_2014-01.xlsx",
        "caseload/midden-limburg/registratie_nazorg_2020.xlsx",
    ]
    for file, status, read, loaded, rejected in ledger:
        assert status == "loaded" and read == loaded + rejected, file
    rejected = demo_warehouse.execute(
        "SELECT file, sheet, column_name, rule, message FROM quality.rejected_rows "
        "WHERE source = 'caseload'"
    ).fetchall()
    assert len(rejected) == 1
    file, sheet, column, rule, message = rejected[0]
    assert (sheet, column, rule) == ("2013", "Casusnummer", "duplicate_case_number")
    assert "GV-2013-117" in message and file.endswith("registratie_nazorg_2014-01.xlsx")
    warnings = demo_warehouse.execute(
        "SELECT rule, count(*) FROM quality.row_warnings WHERE source = 'caseload' GROUP BY rule"
    ).fetchall()
    counts = dict(warnings)
    early_rows = ledger[0][3]
    assert counts["superseded"] == early_rows  # every row of the April export
    superseded_messages = demo_warehouse.execute(
        "SELECT DISTINCT file, message LIKE '%registratie_nazorg_2014-01.xlsx%' "
        "FROM quality.row_warnings WHERE rule = 'superseded'"
    ).fetchall()
    assert superseded_messages == [
        ("caseload/gooi-en-vechtstreek/registratie_nazorg_2013-04.xlsx", True)
    ]
    unknown = demo_warehouse.execute(
        "SELECT message FROM quality.row_warnings "
        "WHERE source = 'caseload' AND rule = 'municipality_unknown' AND file LIKE '%2014-01%'"
    ).fetchall()
    assert sorted("Hilvesum" in m or "Utrecht" in m for (m,) in unknown) == [True, True]


def test_every_caseload_table_and_column_is_described_in_dutch(demo_warehouse):
    for table in MY_TABLES:
        schema, name = table.split(".")
        (comment,) = demo_warehouse.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchall()[0]
        assert comment, table
        columns = demo_warehouse.execute(
            "SELECT column_name, comment FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
        assert columns and all(text for _, text in columns), (table, columns)


def test_caseload_column_types(demo_warehouse):
    types = dict(
        demo_warehouse.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'kpi' AND table_name = 'coordination'"
        ).fetchall()
    )
    assert types == {
        "region": "VARCHAR",
        "year": "BIGINT",
        "measure": "VARCHAR",
        "numerator": "BIGINT",
        "outflow": "BIGINT",
        "caseload": "BIGINT",
        "rate_of_outflow": "DOUBLE",
        "rate_of_caseload": "DOUBLE",
        "year_complete": "BOOLEAN",
        "is_registered": "BOOLEAN",
    }


def test_caseload_checks_passed(demo_build):
    result, _ = demo_build
    mine = {tuple(t.split(".")) for t in MY_TABLES}
    evaluations = [
        e for e in result.get_asset_check_evaluations() if tuple(e.asset_key.path) in mine
    ]
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert len({tuple(e.asset_key.path) for e in evaluations}) == len(MY_TABLES)
    assert not failed


# --------------------------------------------------------------------------- examples


def _example_text(header: str) -> set[str]:
    """The cells under ``header`` in the example registers, read with openpyxl."""
    found: set[str] = set()
    for path in sorted((EXAMPLES / "caseload").rglob("*.xlsx")):
        for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
            column = None
            for row in ws.iter_rows(values_only=True):
                if column is None:
                    cells = [str(c).strip() if c is not None else "" for c in row]
                    column = cells.index(header) if header in cells else None
                    continue
                if column < len(row) and row[column] not in (None, ""):
                    found.add(str(row[column]).strip())
    return found


@pytest.fixture(scope="module")
def example_registers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("caseload_examples")
    raw = folder / "raw"
    shutil.copytree(EXAMPLES / "caseload", raw / "caseload")
    result = run_nightly(raw, folder / "nazorg.duckdb")
    con = duckdb.connect(str(folder / "nazorg.duckdb"), read_only=True)
    yield result, con
    con.close()


def test_example_registers_ingest(example_registers):
    result, con = example_registers
    assert result.success
    ledger = con.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger "
        "WHERE source = 'caseload' ORDER BY file"
    ).fetchall()
    assert ledger == [
        ("caseload/gooi-en-vechtstreek/registratie_nazorg_2013.xlsx", "loaded", 4, 4, 0),
        ("caseload/midden-limburg/registratie_nazorg_2020.xlsx", "loaded", 5, 5, 0),
    ]
    caseload = con.execute(
        "SELECT region, year, municipality_name, cases, persons FROM kpi.caseload ORDER BY ALL"
    ).fetchall()
    assert [r for r in caseload if r[0] == GOOI] == [
        (GOOI, 2013, "Bussum", 1, 1),
        (GOOI, 2013, "Hilversum", 2, 1),  # one person with two cases in the year
        (GOOI, 2013, "Overig", 1, 1),  # empty Gemeente
    ]
    coordination = dict(
        con.execute(
            "SELECT measure, numerator FROM kpi.coordination WHERE region = ? AND year = 2013",
            [GOOI],
        ).fetchall()
    )
    assert coordination == {
        "profile_made": 3,
        "enriched_network_round": 1,
        "enriched_any": 2,
        "life_domain_support": 3,  # x, X and Ja
        "case_conference": 3,
        "repeat_detention": 2,
    }
    domains = dict(
        con.execute(
            "SELECT life_domain, cases FROM kpi.life_domain_support WHERE region = ? AND year = 2013",
            [GOOI],
        ).fetchall()
    )
    assert domains == {"id": 1, "housing": 2, "work_income": 2, "debts": 1, "care": 1}
    # No outflow in this warehouse: the rate of the outflow is NULL, that of the caseload not.
    rates = con.execute(
        "SELECT DISTINCT outflow, rate_of_outflow IS NULL, caseload, rate_of_caseload IS NULL "
        "FROM kpi.coordination WHERE region = ?",
        [GOOI],
    ).fetchall()
    assert rates == [(None, True, 4, False)]
    assert con.execute("SELECT count(*) FROM kpi.outflow_caseload_reconciliation").fetchall()[
        0
    ] == (0,)
    started = con.execute(
        "SELECT case_number, trajectory_start_date FROM staging.cases "
        "WHERE nazorg_plus = 'Gestart' ORDER BY case_number"
    ).fetchall()
    assert [c for c, _ in started] == ["ML-2020-017", "ML-2020-023", "ML-2020-031", "ML-2020-044"]
    assert str(dict(started)["ML-2020-031"]) == "2020-02-06"  # typed as text


def test_example_remarks_and_names_are_nowhere_in_the_warehouse(example_registers):
    _, con = example_registers
    remarks, names = _example_text("Opmerkingen"), _example_text("Naam")
    assert "vader belt vaak" in remarks and "K. de Vries" in names
    columns = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE data_type = 'VARCHAR' AND database_name = current_database()"
    ).fetchall()
    values = set()
    for schema, table, column in columns:
        values |= {
            v
            for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{table}').fetchall()
            if v is not None
        }
    leaks = [(needle, v) for needle in remarks | names for v in values if needle in v]
    assert leaks == []
    # and no column of the register is named after them
    names_of_columns = {c for _, _, c in columns}
    assert not {"naam", "opmerkingen", "bsn"} & names_of_columns
