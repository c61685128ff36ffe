"""The manager workbooks (nazorg.reports) on a synthetic warehouse with the published figures.

The warehouse holds only the ``kpi`` and ``quality`` schemas with the columns of the
output contract (shared/spec/contract.json), filled with Tabel 1 of the Gooi en
Vechtstreek evaluation and the MKBA of the Midden-Limburg report (kpi-method.md).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import fastexcel
import openpyxl
import polars as pl
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

import nazorg.reports as reports_module
from nazorg.reports import (
    NO_DATA,
    SECONDARY_MARK,
    SHEET_COORDINATION,
    SHEET_DEFINITIONS,
    SHEET_LIFE_DOMAINS,
    SHEET_MKBA,
    SHEET_OUTFLOW,
    SHEET_QUALITY,
    SHEET_REACH,
    SHEET_REDETENTION,
    SHEET_SCREENING,
    BufferedSheet,
    IssueGroups,
    Table,
    Warehouse,
    build_region_workbook,
    region_slug,
    save_deterministic,
    suppress_small_cells,
    write_region_workbooks,
)

GOOI, MIDDEN, NOORD = "Gooi en Vechtstreek", "Midden-Limburg", "Noord-Limburg"

# table -> (column, type), as in the output contract
CONTRACT: dict[str, list[tuple[str, str]]] = {
    "quality.file_ledger": [
        ("file", "VARCHAR"),
        ("sha256", "VARCHAR"),
        ("source", "VARCHAR"),
        ("status", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_rejected", "BIGINT"),
        ("error", "VARCHAR"),
    ],
    "quality.rejected_rows": [
        ("file", "VARCHAR"),
        ("row_number", "BIGINT"),
        ("column", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("message", "VARCHAR"),
    ],
    "quality.row_warnings": [
        ("file", "VARCHAR"),
        ("row_number", "BIGINT"),
        ("column", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("message", "VARCHAR"),
    ],
    "quality.releases_without_municipality": [("year", "INTEGER"), ("persons", "BIGINT")],
    "kpi.outflow": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("municipality_code", "VARCHAR"),
        ("municipality_name", "VARCHAR"),
        ("persons", "BIGINT"),
        ("share", "DOUBLE"),
    ],
    "kpi.caseload": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("municipality_code", "VARCHAR"),
        ("municipality_name", "VARCHAR"),
        ("cases", "BIGINT"),
        ("persons", "BIGINT"),
        ("share", "DOUBLE"),
    ],
    "kpi.coordination": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("measure", "VARCHAR"),
        ("numerator", "BIGINT"),
        ("outflow", "BIGINT"),
        ("caseload", "BIGINT"),
        ("rate_of_outflow", "DOUBLE"),
        ("rate_of_caseload", "DOUBLE"),
    ],
    "kpi.life_domain_support": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("life_domain", "VARCHAR"),
        ("cases", "BIGINT"),
    ],
    "kpi.case_conferences": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("conference_type", "VARCHAR"),
        ("cases", "BIGINT"),
    ],
    "kpi.screening_coverage": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("released_detentions", "BIGINT"),
        ("with_form", "BIGINT"),
        ("share_with_form", "DOUBLE"),
        ("no_consent", "BIGINT"),
        ("share_no_consent", "DOUBLE"),
    ],
    "kpi.needs_at_intake": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("life_domain", "VARCHAR"),
        ("forms", "BIGINT"),
        ("answered", "BIGINT"),
        ("with_need", "BIGINT"),
        ("share", "DOUBLE"),
    ],
    "kpi.outflow_caseload_reconciliation": [
        ("region", "VARCHAR"),
        ("year", "INTEGER"),
        ("municipality_code", "VARCHAR"),
        ("municipality_name", "VARCHAR"),
        ("outflow_persons", "BIGINT"),
        ("caseload_cases", "BIGINT"),
        ("difference", "BIGINT"),
    ],
    "kpi.reach_funnel": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("stage", "VARCHAR"),
        ("persons", "BIGINT"),
        ("share_of_released", "DOUBLE"),
        ("share_of_previous", "DOUBLE"),
    ],
    "kpi.cohort_benefit": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("variant", "VARCHAR"),
        ("line", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("amount_per_year_sample", "DOUBLE"),
        ("amount_sample_period", "DOUBLE"),
        ("amount_cohort", "DOUBLE"),
    ],
    "kpi.cohort_benefit_summary": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("variant", "VARCHAR"),
        ("cohort_size", "BIGINT"),
        ("sample_size", "BIGINT"),
        ("extrapolation_factor", "DOUBLE"),
        ("total_costs", "DOUBLE"),
        ("total_benefits", "DOUBLE"),
        ("net_benefit", "DOUBLE"),
        ("benefit_cost_ratio", "DOUBLE"),
        ("benefits_excl_transfers", "DOUBLE"),
        ("ratio_excl_transfers", "DOUBLE"),
    ],
    "kpi.cohort_sensitivity": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("variant", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("parameter", "VARCHAR"),
        ("value", "DOUBLE"),
        ("benefit_cost_ratio", "DOUBLE"),
    ],
    "kpi.cohort_uncertainty": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("variant", "VARCHAR"),
        ("draws", "INTEGER"),
        ("seed", "INTEGER"),
        ("ratio_p05", "DOUBLE"),
        ("ratio_p50", "DOUBLE"),
        ("ratio_p95", "DOUBLE"),
    ],
    "kpi.cohort_outcomes": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("life_domain", "VARCHAR"),
        ("outcome", "VARCHAR"),
        ("cases", "BIGINT"),
    ],
    "kpi.redetention": [
        ("region", "VARCHAR"),
        ("release_year", "INTEGER"),
        ("group", "VARCHAR"),
        ("released_persons", "BIGINT"),
        ("redetained_2y", "BIGINT"),
        ("prevalence_2y", "DOUBLE"),
        ("new_detentions_2y", "BIGINT"),
        ("incidence_2y", "DOUBLE"),
        ("window_complete", "BOOLEAN"),
    ],
    "kpi.cohort_parameters": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("parameter", "VARCHAR"),
        ("value", "DOUBLE"),
    ],
}

# Tabel 1 (Gooi en Vechtstreek): code, name, caseload 2013, outflow 2013, outflow 2012
TABEL_1 = [
    ("GM0402", "Hilversum", 177, 159, 144),
    ("GM0381", "Bussum", 45, 28, 29),
    ("GM0406", "Huizen", 35, 33, 38),
    ("GM0457", "Weesp", 27, 20, 16),
    ("GM1696", "Wijdemeren", 10, 6, 11),
    ("GM0425", "Naarden", 11, 8, 5),
    ("GM0376", "Blaricum", 1, 2, 4),
    ("GM0417", "Laren", 6, 1, 5),
    ("GM0424", "Muiden", 2, 4, 6),
    ("OVERIG", "Overig", 11, None, None),
]

MKBA_LINES = [  # variant, line, kind, per year (sample), sample period, cohort
    ("coordinator_salary", "cost", 17217.391304, 17217.391304, 99000.0),
    ("case_investments", "cost", None, 4000.0, 23000.0),
    ("avoided_benefit_costs", "benefit", 20000.0, 20000.0, 115000.0),
    ("avoided_benefit_costs_once", "benefit", None, 3000.0, 17250.0),
]
MKBA_CRIME = {
    "A": [("avoided_offence_damage", "benefit", 2250.0, 4500.0, 25875.0)],
    "B": [
        ("avoided_police_effort", "benefit", 4130.0, 8260.0, 47495.0),
        ("avoided_detention_days", "benefit", 8608.695652, 17217.391304, 99000.0),
    ],
}
MKBA_SUMMARY = {  # total benefits, benefits without the benefit-payment lines
    "A": (158125.0, 25875.0),
    "B": (278745.0, 146495.0),
}


def _share(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def gooi_records() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"kpi.outflow": [], "kpi.caseload": []}
    for year, index in ((2013, 3), (2012, 4)):
        persons = {row[0]: row[index] for row in TABEL_1 if row[index] is not None}
        shares = _share(persons)
        names = {row[0]: row[1] for row in TABEL_1}
        out["kpi.outflow"] += [
            dict(
                region=GOOI,
                year=year,
                municipality_code=code,
                municipality_name=names[code],
                persons=n,
                share=shares[code],
            )
            for code, n in persons.items()
        ]
    cases = {row[0]: row[2] for row in TABEL_1}
    shares = _share(cases)
    out["kpi.caseload"] = [
        dict(
            region=GOOI,
            year=2013,
            municipality_code=code,
            municipality_name=name,
            cases=cases[code],
            persons=cases[code],
            share=shares[code],
        )
        for code, name, *_ in TABEL_1
    ]
    numerators = {
        "profile_made": 115,
        "enriched_network_round": 65,
        "enriched_any": 80,
        "life_domain_support": 36,
        "case_conference": 51,
        "repeat_detention": 39,
    }
    out["kpi.coordination"] = [
        dict(
            region=GOOI,
            year=2013,
            measure=m,
            numerator=n,
            outflow=261,
            caseload=325,
            rate_of_outflow=n / 261,
            rate_of_caseload=n / 325,
        )
        for m, n in numerators.items()
    ]
    domains = {"housing": 24, "work_income": 22, "debts": 15, "care": 12, "id": 2}
    out["kpi.life_domain_support"] = [
        dict(region=GOOI, year=2013, life_domain=d, cases=n) for d, n in domains.items()
    ]
    conferences = {"veelpleger": 44, "huiselijk_geweld": 7, "casus_op_maat": 0}
    out["kpi.case_conferences"] = [
        dict(region=GOOI, year=2013, conference_type=t, cases=n) for t, n in conferences.items()
    ]
    out["kpi.screening_coverage"] = [
        dict(
            region=GOOI,
            year=2013,
            released_detentions=280,
            with_form=250,
            share_with_form=250 / 280,
            no_consent=3,
            share_no_consent=3 / 250,
        )
    ]
    out["kpi.needs_at_intake"] = [
        dict(
            region=GOOI,
            year=2013,
            life_domain=d,
            forms=250,
            answered=a,
            with_need=w,
            share=w / a,
        )
        for d, a, w in (("housing", 200, 90), ("debts", 180, 4), ("social_network", 0, 0))
        if a
    ]
    return out


def midden_records() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    persons = {
        ("GM0957", "Roermond"): 150,
        ("GM0988", "Weert"): 80,
        ("GM1640", "Leudal"): 30,
        ("GM1669", "Roerdalen"): 15,
        ("GM1641", "Maasgouw"): 7,
        ("GM1711", "Echt-Susteren"): 3,
    }
    out["kpi.outflow"] = [
        dict(
            region=MIDDEN,
            year=2020,
            municipality_code=code,
            municipality_name=name,
            persons=n,
            share=n / 285,
        )
        for (code, name), n in persons.items()
    ]
    funnel = [
        ("released", 285),
        ("gross_intake", 93),
        ("trajectory_started", 69),
        ("sampled", 20),
        ("approached", 15),
        ("interviewed", 12),
    ]
    out["kpi.reach_funnel"] = [
        dict(
            region=MIDDEN,
            cohort_year=2020,
            stage=stage,
            persons=n,
            share_of_released=n / 285,
            share_of_previous=None if i == 0 else n / funnel[i - 1][1],
        )
        for i, (stage, n) in enumerate(funnel)
    ]
    out["kpi.cohort_benefit"] = [
        dict(
            region=MIDDEN,
            cohort_year=2020,
            variant=variant,
            line=line,
            kind=kind,
            amount_per_year_sample=per_year,
            amount_sample_period=period,
            amount_cohort=cohort,
        )
        for variant in ("A", "B")
        for line, kind, per_year, period, cohort in MKBA_LINES[:2]
        + MKBA_CRIME[variant]
        + MKBA_LINES[2:]
    ]
    out["kpi.cohort_benefit_summary"] = [
        dict(
            region=MIDDEN,
            cohort_year=2020,
            variant=variant,
            cohort_size=69,
            sample_size=12,
            extrapolation_factor=69 / 12,
            total_costs=122000.0,
            total_benefits=benefits,
            net_benefit=benefits - 122000.0,
            benefit_cost_ratio=benefits / 122000.0,
            benefits_excl_transfers=excl,
            ratio_excl_transfers=excl / 122000.0,
        )
        for variant, (benefits, excl) in MKBA_SUMMARY.items()
    ]
    out["kpi.cohort_sensitivity"] = [
        dict(
            region=MIDDEN,
            cohort_year=2020,
            variant=v,
            kind=k,
            parameter=p,
            value=x,
            benefit_cost_ratio=r,
        )
        for v, k, p, x, r in (
            ("A", "sensitivity", "haircut", 1.0, 1.5082),
            ("B", "sensitivity", "haircut", 1.0, 3.3886),
            ("A", "sensitivity", "discount_rate", 0.0225, 1.2858),
            ("B", "sensitivity", "discount_rate", 0.0225, 2.2653),
            ("B", "break_even", "detention_days_per_year", 0.0, None),
            ("B", "break_even", "salary", 297500.0, 1.0),
        )
    ]
    out["kpi.cohort_uncertainty"] = [
        dict(
            region=MIDDEN,
            cohort_year=2020,
            variant=v,
            draws=2000,
            seed=20200101,
            ratio_p05=lo,
            ratio_p50=mid,
            ratio_p95=hi,
        )
        for v, lo, mid, hi in (("A", 0.81, 1.29, 1.97), ("B", 1.62, 2.28, 3.05))
    ]
    out["kpi.cohort_parameters"] = [
        dict(region=MIDDEN, cohort_year=2020, parameter=p, value=x)
        for p, x in (
            ("salary", 99000.0),
            ("haircut", 0.5),
            ("police_cost_per_hour", 59.0),
            ("detention_days_per_year", 34.434783),
            ("discount_rate", 0.0),
        )
    ]
    redetention = {  # group: released, redetained, new detentions
        "nazorg_plus": (69, 3, 4),
        "regular": (216, 90, 130),
        "all": (285, 93, 134),
    }
    out["kpi.redetention"] = [
        {
            "region": MIDDEN,
            "release_year": 2020,
            "group": group,
            "released_persons": released,
            "redetained_2y": redetained,
            "prevalence_2y": redetained / released,
            "new_detentions_2y": new,
            "incidence_2y": new / released,
            "window_complete": True,
        }
        for group, (released, redetained, new) in redetention.items()
    ]
    return out


def noord_records() -> dict[str, list[dict[str, Any]]]:
    """A region with outflow only (no case registration yet)."""
    persons = {
        ("GM0983", "Venlo"): 120,
        ("GM0984", "Venray"): 40,
        ("GM1507", "Horst aan de Maas"): 2,
    }
    return {
        "kpi.outflow": [
            dict(
                region=NOORD,
                year=2021,
                municipality_code=code,
                municipality_name=name,
                persons=n,
                share=n / 162,
            )
            for (code, name), n in persons.items()
        ]
    }


def quality_records() -> dict[str, list[dict[str, Any]]]:
    return {
        "quality.file_ledger": [
            dict(
                file="dpan/dpan_2013.csv",
                sha256="a" * 64,
                source="dpan",
                status="loaded",
                rows_read=600,
                rows_loaded=597,
                rows_rejected=3,
                error=None,
            ),
            dict(
                file="justid/broken.csv",
                sha256="b" * 64,
                source="justid",
                status="failed",
                rows_read=None,
                rows_loaded=None,
                rows_rejected=None,
                error="Kolom 'Datum insluiting' ontbreekt; exporteer het bestand opnieuw.",
            ),
        ],
        "quality.rejected_rows": [
            dict(
                file="dpan/dpan_2013.csv",
                row_number=n,
                column="Datum ontslag",
                rule="date",
                message="Geen geldige datum",
            )
            for n in (10, 11)
        ]
        + [
            dict(
                file="dpan/dpan_2013.csv",
                row_number=40,
                column="Gemeente",
                rule="required",
                message="Leeg",
            )
        ],
        "quality.row_warnings": [
            dict(
                file="caseload/gooi-en-vechtstreek/2013/registratie.xlsx",
                row_number=7,
                column="Gemeente",
                rule="unknown_municipality",
                message="Onbekende gemeente, geteld als Overig",
            )
        ],
        "quality.releases_without_municipality": [dict(year=2013, persons=7)],
    }


def build_warehouse(
    path: Path, *, tables: set[str] | None = None, staging_trap: bool = False
) -> duckdb.DuckDBPyConnection:
    """A warehouse with the contract's kpi and quality tables (only ``tables`` if given)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA kpi")
    con.execute("CREATE SCHEMA quality")
    records: dict[str, list[dict[str, Any]]] = {}
    for part in (gooi_records(), midden_records(), noord_records(), quality_records()):
        for table, rows in part.items():
            records.setdefault(table, []).extend(rows)
    for table, columns in CONTRACT.items():
        if tables is not None and table not in tables:
            continue
        schema, name = table.split(".")
        ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
        con.execute(f'CREATE TABLE "{schema}"."{name}" ({ddl})')
        names = [c for c, _ in columns]
        placeholders = ", ".join("?" for _ in names)
        for row in records.get(table, []):
            con.execute(
                f'INSERT INTO "{schema}"."{name}" VALUES ({placeholders})',
                [row.get(c) for c in names],
            )
    if staging_trap:  # reading anything in staging fails loudly
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE VIEW staging.detentions AS SELECT error('staging gelezen') AS x")
    return con


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = build_warehouse(tmp_path_factory.mktemp("wh") / "nazorg.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def reports(warehouse, tmp_path_factory) -> dict[str, Path]:
    paths = write_region_workbooks(
        warehouse, tmp_path_factory.mktemp("reports"), run_info={"run_id": "test-run"}
    )
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def suppressed(warehouse, tmp_path_factory) -> dict[str, Path]:
    paths = write_region_workbooks(
        warehouse, tmp_path_factory.mktemp("suppressed"), suppression_threshold=5
    )
    return {p.name: p for p in paths}


# --------------------------------------------------------------------------- helpers


def find(ws: Worksheet, value: Any) -> tuple[int, int]:
    """(row, column) of the first cell holding ``value``."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell.row, cell.column
    raise AssertionError(f"{value!r} not on sheet {ws.title}")


def texts(ws: Worksheet) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def tabel_1_columns(ws: Worksheet) -> tuple[int, dict[tuple[str, str], int]]:
    """Header row of Tabel 1 and (year, 'Caseload'/'Uitstroom') -> column of the count."""
    header_row, _ = find(ws, "Gemeente")
    columns: dict[tuple[str, str], int] = {}
    year = None
    for col in range(2, ws.max_column + 1):
        year = ws.cell(header_row - 1, col).value or year
        header = ws.cell(header_row, col).value
        if header in ("Caseload aantal", "Uitstroom aantal"):
            columns[(str(year), header.split()[0])] = col
    return header_row, columns


def municipality_rows(ws: Worksheet, header_row: int) -> dict[str, int]:
    rows = {}
    for r in range(header_row + 1, ws.max_row + 1):
        name = ws.cell(r, 1).value
        if not isinstance(name, str) or not name:
            break
        rows[name] = r
    return rows


# --------------------------------------------------------------------------- tests


def test_one_workbook_per_region_with_the_slug(reports):
    assert sorted(reports) == [
        "kpi_gooi-en-vechtstreek.xlsx",
        "kpi_midden-limburg.xlsx",
        "kpi_noord-limburg.xlsx",
    ]
    assert region_slug("Gooi en Vechtstreek") == "gooi-en-vechtstreek"


def test_sheet_names_in_order(reports):
    base = [
        SHEET_OUTFLOW,
        SHEET_COORDINATION,
        SHEET_LIFE_DOMAINS,
        SHEET_SCREENING,
        SHEET_REACH,
        SHEET_MKBA,
    ]
    tail = [SHEET_DEFINITIONS, SHEET_QUALITY]
    gooi = load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])
    midden = load_workbook(reports["kpi_midden-limburg.xlsx"])
    assert gooi.sheetnames == base + tail  # no re-detention data: no Herdetentie sheet
    assert midden.sheetnames == base + [SHEET_REDETENTION] + tail
    assert gooi.sheetnames[:2] == ["Uitstroom en caseload", "Coördinatie"]


def test_tabel_1_of_gooi_en_vechtstreek(reports):
    ws = load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])[SHEET_OUTFLOW]
    header_row, cols = tabel_1_columns(ws)
    assert list(cols) == [("2013", "Caseload"), ("2013", "Uitstroom"), ("2012", "Uitstroom")]
    rows = municipality_rows(ws, header_row)
    # sorted by 2013 outflow, descending; Overig last, Totaal at the bottom
    assert list(rows) == [
        "Hilversum",
        "Huizen",
        "Bussum",
        "Weesp",
        "Naarden",
        "Wijdemeren",
        "Muiden",
        "Blaricum",
        "Laren",
        "Overig",
        "Totaal",
    ]
    for _code, name, caseload, out13, out12 in TABEL_1:
        r = rows[name]
        assert ws.cell(r, cols[("2013", "Caseload")]).value == caseload
        assert ws.cell(r, cols[("2013", "Uitstroom")]).value == (out13 if out13 else "-")
        assert ws.cell(r, cols[("2012", "Uitstroom")]).value == (out12 if out12 else "-")
    hilversum, totaal = rows["Hilversum"], rows["Totaal"]
    assert ws.cell(hilversum, cols[("2013", "Uitstroom")]).value == 159
    assert ws.cell(hilversum, cols[("2013", "Caseload")]).value == 177
    assert [ws.cell(totaal, c).value for c in cols.values()] == [325, 261, 258]
    assert ws.cell(totaal, 1).font.bold
    # shares: fractions next to the counts, '0%', within a point of the printed figure
    share = ws.cell(hilversum, cols[("2013", "Caseload")] + 1)
    assert share.number_format == "0%"
    assert abs(share.value * 100 - 55) <= 1
    assert abs(ws.cell(hilversum, cols[("2013", "Uitstroom")] + 1).value * 100 - 61) <= 1
    assert ws.cell(totaal, cols[("2013", "Uitstroom")] + 1).value == pytest.approx(1.0)
    assert ws.cell(hilversum, cols[("2013", "Uitstroom")]).number_format == "#,##0"
    # formatting
    assert ws.cell(header_row, 1).font.bold
    assert ws.freeze_panes == f"B{header_row + 1}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0


def test_region_without_caseload_shows_outflow_only(reports):
    wb = load_workbook(reports["kpi_noord-limburg.xlsx"])
    _, cols = tabel_1_columns(wb[SHEET_OUTFLOW])
    assert list(cols) == [("2021", "Uitstroom")]
    for name in (SHEET_COORDINATION, SHEET_SCREENING, SHEET_REACH, SHEET_MKBA):
        assert NO_DATA in texts(wb[name]), name
    assert SHEET_REDETENTION not in wb.sheetnames


def test_coordination_and_life_domains_labels(reports):
    wb = load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])
    ws = wb[SHEET_COORDINATION]
    r, c = find(ws, "Profiel opgesteld")
    assert ws.cell(r, c + 1).value == 115
    assert abs(ws.cell(r, c + 2).value * 100 - 44) <= 1  # % van uitstroom
    r, c = find(ws, "Actieve inzet op leefgebieden")
    assert abs(ws.cell(r, c + 3).value * 100 - 11) <= 1  # % van caseload
    r, c = find(ws, "Veelplegeroverleg")
    assert ws.cell(r, c + 1).value == 44
    r, _ = find(ws, "Scenario-overleg huiselijk geweld")
    assert ws.cell(r + 2, 1).value == "Totaal" and ws.cell(r + 2, 2).value == 51
    ws = wb[SHEET_LIFE_DOMAINS]
    r, c = find(ws, "Huisvesting")
    assert ws.cell(r, c + 1).value == 24
    r, c = find(ws, "Identiteitsbewijs")
    assert ws.cell(r, c + 1).value == 2


def test_mkba_ratios_and_money(reports):
    ws = load_workbook(reports["kpi_midden-limburg.xlsx"])[SHEET_MKBA]
    header_row, ratio_col = find(ws, "Baten-kostenverhouding")
    ratios = [ws.cell(header_row + i, ratio_col) for i in (1, 2)]
    assert [round(c.value, 2) for c in ratios] == [1.30, 2.28]
    assert all(c.number_format == "0.00" for c in ratios)
    _, costs_col = find(ws, "Totale kosten")
    assert ws.cell(header_row + 1, costs_col).value == 122000
    assert ws.cell(header_row + 1, costs_col).number_format == "€ #,##0"
    _, excl_col = find(ws, "Verhouding zonder uitkeringsposten")
    assert [round(ws.cell(header_row + i, excl_col).value, 2) for i in (1, 2)] == [0.21, 1.20]
    r, c = find(ws, "Salariskosten nazorg-plus coördinator")
    assert [ws.cell(r, c + i).value for i in (1, 2, 3)] == pytest.approx(
        [17217.39, 17217.39, 99000], abs=0.01
    )
    assert ws.cell(r, c + 3).number_format == "€ #,##0"
    assert "Vermeden delictschade (variant A)" in texts(ws)
    assert "Vermeden detentiedagen (variant B)" in texts(ws)
    assert "Gebruikte parameters" in texts(ws)
    assert "geen binnen het bereik" in texts(ws)  # no break-even for haircut / discount rate
    r, c = find(ws, "salary")
    assert ws.cell(r, c + 1).value == 297500
    r, c = find(ws, "detention_days_per_year")  # a break-even of 0 is a value, not 'geen'
    assert ws.cell(r, c + 1).value == 0
    _, p95 = find(ws, "P95")
    assert p95


def test_charts_on_outflow_reach_mkba_and_redetention(reports):
    midden = load_workbook(reports["kpi_midden-limburg.xlsx"])
    for name in (SHEET_OUTFLOW, SHEET_REACH, SHEET_MKBA, SHEET_REDETENTION):
        assert len(midden[name]._charts) >= 1, name
    gooi = load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])
    assert len(gooi[SHEET_OUTFLOW]._charts) == 1
    assert len(gooi[SHEET_MKBA]._charts) == 0  # no cost-benefit data for this region


def test_redetention_sheet_labels_and_caveats(reports):
    ws = load_workbook(reports["kpi_midden-limburg.xlsx"])[SHEET_REDETENTION]
    lines = " ".join(texts(ws))
    assert "herdetentie" in lines and "WODC" in lines and "causaal" in lines
    for group in ("Nazorg-plus", "Reguliere nazorg", "Alle uitgestroomden"):
        assert group in lines
    r, _ = find(ws, 2020)
    assert ws.cell(r, ws.max_column).value == "ja"


def test_second_reader_fastexcel_and_polars(reports, suppressed):
    for written in list(reports.values()) + list(suppressed.values()):
        every_sheet = fastexcel.read_excel(written)
        assert every_sheet.sheet_names == load_workbook(written).sheetnames
        book = load_workbook(written)
        for name in every_sheet.sheet_names:
            frame = every_sheet.load_sheet_by_name(name, header_row=None).to_polars()
            # calamine reads the sheet's used range: as many rows as openpyxl wrote, and
            # the title in the first cell
            ws = book[name]
            assert frame.height == ws.max_row, (written.name, name)
            assert frame.row(0)[0] == ws.cell(1, 1).value, (written.name, name)
    path = reports["kpi_gooi-en-vechtstreek.xlsx"]
    reader = fastexcel.read_excel(path)
    assert SHEET_OUTFLOW in reader.sheet_names and SHEET_QUALITY in reader.sheet_names
    ws = load_workbook(path)[SHEET_OUTFLOW]
    header_row, _ = find(ws, "Gemeente")
    df = reader.load_sheet_by_name(SHEET_OUTFLOW, header_row=header_row - 1).to_polars()
    assert df.columns[0] == "Gemeente"
    assert "Hilversum" in df["Gemeente"].to_list()
    definitions = pl.read_excel(path, sheet_name=SHEET_DEFINITIONS, read_options={"header_row": 2})
    assert definitions.columns[:4] == ["Figuur", "Teller", "Noemer", "Toelichting"]
    assert definitions.height > 10


def test_suppression_hides_small_counts(suppressed):
    count_sheets = [
        SHEET_OUTFLOW,
        SHEET_COORDINATION,
        SHEET_LIFE_DOMAINS,
        SHEET_SCREENING,
        SHEET_REACH,
        SHEET_REDETENTION,
    ]
    seen_marker = False
    for path in suppressed.values():
        wb = load_workbook(path)
        for name in count_sheets:
            if name not in wb.sheetnames:
                continue
            for row in wb[name].iter_rows():
                for cell in row:
                    value = cell.value
                    is_int = isinstance(value, int) and not isinstance(value, bool)
                    is_count = is_int and cell.number_format != "0%"  # 100% reads back as 1
                    assert not (is_count and 1 <= value <= 4), (path.name, name, cell.coordinate)
                    seen_marker |= value == "<5"
    assert seen_marker


def test_a_count_equal_to_the_threshold_stays_visible():
    """Counts 0 < n < N are hidden; n = N is shown, and so is 0 (nothing to protect)."""
    table = Table(headers=["Gemeente", "Aantal"], kinds=["text", "count"])
    for row in (["A", 5], ["B", 4], ["C", 3], ["D", 12], ["E", 0], ["Totaal", 24]):
        table.add_row(row)
    table.totals.append(((5, 1), [(r, 1) for r in range(5)]))
    suppress_small_cells(table, 5)
    # B and C are hidden; two hidden members do not reveal each other through the total
    assert [row[1] for row in table.rows] == [5, "<5", "<5", 12, 0, 24]


def test_suppression_blanks_the_share_and_protects_totals(suppressed):
    ws = load_workbook(suppressed["kpi_gooi-en-vechtstreek.xlsx"])[SHEET_OUTFLOW]
    header_row, cols = tabel_1_columns(ws)
    rows = municipality_rows(ws, header_row)
    out12 = cols[("2012", "Uitstroom")]
    assert ws.cell(rows["Blaricum"], out12).value == "<5"
    assert ws.cell(rows["Blaricum"], out12 + 1).value is None  # its share is blanked
    # Blaricum is the only small cell of 2012: the Totaal (258) would reveal it, so the
    # next smallest cell of the column (Naarden or Laren, 5) is hidden too
    column = {name: ws.cell(r, out12).value for name, r in rows.items()}
    assert column["Totaal"] == 258
    assert list(column.values()).count(SECONDARY_MARK) == 1
    hidden = next(name for name, v in column.items() if v == SECONDARY_MARK)
    assert hidden in ("Naarden", "Laren")
    # the other of the two is 5 = the threshold: shown, as is its share
    shown = "Laren" if hidden == "Naarden" else "Naarden"
    assert ws.cell(rows[shown], out12).value == 5
    assert ws.cell(rows[shown], out12 + 1).value == pytest.approx(5 / 258)
    assert ws.cell(rows[hidden], out12 + 1).value is None
    # 2013 outflow has three small cells (Muiden, Blaricum, Laren): nothing extra hidden
    out13 = cols[("2013", "Uitstroom")]
    values13 = [ws.cell(r, out13).value for r in rows.values()]
    assert values13.count("<5") == 3 and SECONDARY_MARK not in values13
    assert ws.cell(rows["Hilversum"], out13).value == 159


def test_suppression_in_redetention_protects_the_all_group(suppressed):
    ws = load_workbook(suppressed["kpi_midden-limburg.xlsx"])[SHEET_REDETENTION]
    r, _ = find(ws, 2020)
    values = [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
    # nazorg-plus: 3 re-detained and 4 new detentions are small; 'all' = nazorg-plus +
    # regular, so the regular group's counts are hidden as well
    assert values.count("<5") == 2
    assert values.count(SECONDARY_MARK) == 2
    assert 93 in values and 134 in values and 285 in values


def test_mkba_money_is_not_suppressed(suppressed):
    ws = load_workbook(suppressed["kpi_midden-limburg.xlsx"])[SHEET_MKBA]
    header_row, ratio_col = find(ws, "Baten-kostenverhouding")
    assert round(ws.cell(header_row + 1, ratio_col).value, 2) == 1.30


def test_definitions_state_suppression_on_or_off(reports, suppressed):
    off = texts(load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])[SHEET_DEFINITIONS])
    on = texts(load_workbook(suppressed["kpi_gooi-en-vechtstreek.xlsx"])[SHEET_DEFINITIONS])
    assert any("Onderdrukking van kleine aantallen: uit" in t for t in off)
    assert any("Onderdrukking van kleine aantallen: aan (drempel 5)" in t for t in on)
    assert any("normaal afgerond" in t and "101%" in t for t in on)
    assert {"Figuur", "Teller", "Noemer", "Toelichting"} <= set(off)


def test_data_quality_sheet(reports):
    ws = load_workbook(reports["kpi_gooi-en-vechtstreek.xlsx"])[SHEET_QUALITY]
    lines = texts(ws)
    assert "justid/broken.csv" in lines and "failed" in lines  # few files: one line each
    assert "dpan/dpan_2013.csv" in lines
    r, c = find(ws, "Voorbeeld van de melding")
    assert [ws.cell(r, i).value for i in range(1, c + 1)] == [
        "Bestand",
        "Kolom",
        "Regel",
        "Rijen",
        "Voorbeeld van de melding",
    ]
    # the two rejected rows with an invalid date are one group, the largest first
    assert [ws.cell(r + 1, i).value for i in range(1, c + 1)] == [
        "dpan/dpan_2013.csv",
        "Datum ontslag",
        "date",
        2,
        "Geen geldige datum",
    ]
    assert ws.cell(r + 1, 4).number_format == "#,##0"
    assert ws.cell(r + 2, 2).value == "Gemeente" and ws.cell(r + 2, 4).value == 1
    assert (
        "3 rijen in 2 groepen; per groep één voorbeeld van de melding, grootste groep eerst."
        in lines
    )
    assert (
        "1 rij in 1 groep; per groep één voorbeeld van de melding, grootste groep eerst." in lines
    )
    assert not any(t.startswith("… en nog") for t in lines)  # nothing capped
    assert "test-run" in lines and "run_id" in lines
    r, c = find(ws, "Personen")
    assert ws.cell(r + 1, c).value == 7


# ------------------------------------------------------- quality sheet at national scale


def many_issues_warehouse(path: Path, *, files: int = 0) -> duckdb.DuckDBPyConnection:
    """The synthetic warehouse with, in ``quality.row_warnings``, one large group (5 000
    rows of one file, column and rule, each message naming its row) and 60 small ones
    (one per JustID file, 61 to 2 rows), and ``files`` extra loaded JustID files in the
    ledger."""
    con = build_warehouse(path)
    con.execute(
        """
        INSERT INTO quality.row_warnings
        SELECT 'screening/informatiebladen_2012.csv', 10 + i, 'Datum insluiting',
               'screening_unlinked',
               'screening/informatiebladen_2012.csv, rij ' || (10 + i)
                   || ', kolom ''Datum insluiting'': geen detentie met deze datum'
        FROM range(5000) t(i)
        """
    )
    con.execute(
        """
        INSERT INTO quality.row_warnings
        SELECT 'justid/2020/justid_2020-' || lpad((f + 1)::VARCHAR, 2, '0') || '.csv',
               100 + r, 'Gemeente', 'unknown_municipality',
               'Onbekende gemeente in rij ' || (100 + r) || ', geteld als Overig'
        FROM range(60) a(f), range(70) b(r)
        WHERE r < 61 - f
        """
    )
    if files:
        con.execute(
            """
            INSERT INTO quality.file_ledger
            SELECT 'justid/daily/justid_' || lpad(i::VARCHAR, 5, '0') || '.csv', md5(i::VARCHAR),
                   'justid', 'loaded', 100, 100, 0, NULL
            FROM range(?) t(i)
            """,
            [files],
        )
    return con


def quality_sheet(con: duckdb.DuckDBPyConnection, folder: Path) -> Worksheet:
    paths = write_region_workbooks(con, folder, run_info={"run_id": "test-run"})
    return load_workbook(paths[0])[SHEET_QUALITY]


def section(ws: Worksheet, title: str) -> list[list[Any]]:
    """The rows under a bold subtitle, up to the next subtitle (empty rows dropped)."""
    rows: list[list[Any]] = []
    inside = False
    for row in ws.iter_rows():
        first = row[0]
        if first.value == title:
            inside = True
            continue
        if inside and first.font.bold and first.value and len([c for c in row if c.value]) == 1:
            break
        if inside and any(c.value is not None for c in row):
            rows.append([c.value for c in row])
    assert inside, f"no section {title!r}"
    return rows


WARNINGS = "Geladen rijen met een waarschuwing (veld terzijde gelegd), naar bestand, kolom en regel"


def test_warnings_are_grouped_counted_and_capped(tmp_path):
    con = many_issues_warehouse(tmp_path / "w.duckdb")
    ws = quality_sheet(con, tmp_path / "reports")
    rows = section(ws, WARNINGS)
    total = 1 + 5000 + sum(61 - f for f in range(60))  # the fixture's own warning too
    assert (
        rows[0][0]
        == f"{total:,}".replace(",", ".")
        + " rijen in 62 groepen; per groep één voorbeeld van de melding, grootste groep eerst."
    )
    assert rows[1][:5] == ["Bestand", "Kolom", "Regel", "Rijen", "Voorbeeld van de melding"]
    body = [r for r in rows[2:] if r[1] is not None]
    assert len(body) == reports_module.ISSUE_GROUP_LIMIT == 50
    # largest group first, with the message of its first row as the example
    assert body[0][:5] == [
        "screening/informatiebladen_2012.csv",
        "Datum insluiting",
        "screening_unlinked",
        5000,
        "screening/informatiebladen_2012.csv, rij 10, kolom 'Datum insluiting': geen "
        "detentie met deze datum",
    ]
    assert body[1][:4] == ["justid/2020/justid_2020-01.csv", "Gemeente", "unknown_municipality", 61]
    counts = [r[3] for r in body]
    assert counts == sorted(counts, reverse=True)
    assert body[-1][3] == 61 - 48  # 49 JustID groups shown: 61 .. 13
    # the line under the table: 12 groups left (11 JustID files with 12..2 rows, and
    # the fixture's single caseload warning), with their rows, and where to find them
    hidden_rows = sum(range(2, 13)) + 1
    more = rows[2 + len(body)]
    assert more[0] == (
        f"… en nog 12 groepen met samen {hidden_rows} rijen. De volledige lijst, rij voor rij, "
        "staat in de tabel quality.row_warnings van het warehouse."
    )
    assert more[1:] == [None] * (len(more) - 1)
    # only the grouped lines are written, never one line per warning
    assert ws.max_row < 200
    con.close()


def test_issue_groups_are_aggregated_in_duckdb(tmp_path):
    con = many_issues_warehouse(tmp_path / "w.duckdb")
    data = Warehouse(con)
    issues = data.issue_groups("quality.row_warnings", limit=3)
    assert issues.total_groups == 62 and issues.rows == 1 + 5000 + sum(range(2, 62))
    assert [g["rows"] for g in issues.groups] == [5000, 61, 60]
    assert data.issue_groups("quality.rejected_rows").total_groups == 2
    assert data.issue_groups("quality.no_such_table") == IssueGroups([], 0, 0)
    con.close()


def test_ties_in_the_group_order_are_broken_by_file_column_and_rule(tmp_path):
    con = build_warehouse(tmp_path / "w.duckdb", tables={"kpi.outflow", "quality.row_warnings"})
    con.execute("DELETE FROM quality.row_warnings")
    for file, column in (("b.csv", "X"), ("a.csv", "Y"), ("a.csv", "X"), (None, "X")):
        con.execute("INSERT INTO quality.row_warnings VALUES (?, 1, ?, 'r', 'm')", [file, column])
    groups = Warehouse(con).issue_groups("quality.row_warnings").groups
    assert [(g["file"], g["column"]) for g in groups] == [
        ("a.csv", "X"),
        ("a.csv", "Y"),
        ("b.csv", "X"),
        (None, "X"),
    ]
    con.close()


def test_many_files_show_the_exceptions_and_a_summary_per_source(tmp_path):
    extra = reports_module.LEDGER_DETAIL_LIMIT + 50
    con = many_issues_warehouse(tmp_path / "w.duckdb", files=extra)
    ws = quality_sheet(con, tmp_path / "reports")
    rows = section(ws, "Ingelezen bestanden")
    assert rows[0][0] == (
        f"{extra + 2} bestanden ingelezen. Hieronder elk bestand dat niet is geladen (mislukt "
        "of dubbel) of afgewezen rijen heeft; de overige bestanden staan samengevat per bron."
    )
    assert rows[1][:7] == [
        "Bestand",
        "Bron",
        "Status",
        "Rijen gelezen",
        "Rijen geladen",
        "Rijen afgewezen",
        "Fout",
    ]
    # failed first, then the loaded file with rejected rows; no loaded file without
    assert [r[0] for r in rows[2:]] == ["justid/broken.csv", "dpan/dpan_2013.csv"]
    summary = section(ws, "Overige bestanden per bron (geladen, geen afgewezen rijen)")
    assert summary[0][:5] == [
        "Bron",
        "Bestanden",
        "Rijen gelezen",
        "Rijen geladen",
        "Rijen afgewezen",
    ]
    assert summary[1][:5] == ["justid", extra, 100 * extra, 100 * extra, 0]
    assert len(summary) == 2
    assert not any("justid/daily/" in t for t in texts(ws))
    con.close()


def test_many_failed_files_are_capped_too(tmp_path):
    limit = reports_module.LEDGER_DETAIL_LIMIT
    con = build_warehouse(tmp_path / "w.duckdb", tables={"kpi.outflow", "quality.file_ledger"})
    con.execute(
        """
        INSERT INTO quality.file_ledger
        SELECT 'caseload/kapot_' || lpad(i::VARCHAR, 4, '0') || '.xlsx', md5(i::VARCHAR),
               'caseload', 'failed', NULL, NULL, NULL, 'Kolom ''Gemeente'' ontbreekt'
        FROM range(?) t(i)
        """,
        [limit + 10],
    )
    ws = quality_sheet(con, tmp_path / "reports")
    rows = section(ws, "Ingelezen bestanden")
    listed = [r for r in rows[2:] if r[1] is not None]
    assert len(listed) == limit
    assert listed[0][0] == "caseload/kapot_0000.xlsx"  # failed before the broken JustID
    # 210 + 1 failed files and the DPAN file with rejected rows, 200 of them listed
    assert rows[2 + limit][0] == (
        "… en nog 12 bestanden die niet zijn geladen of afgewezen rijen hebben; de volledige "
        "lijst staat in de tabel quality.file_ledger van het warehouse."
    )
    summary = section(ws, "Overige bestanden per bron (geladen, geen afgewezen rijen)")
    assert summary == [[NO_DATA] + [None] * (len(summary[0]) - 1)]
    con.close()


def test_each_table_is_read_once_for_all_regions(tmp_path):
    con = many_issues_warehouse(tmp_path / "w.duckdb", files=300)
    data = Warehouse(con)
    regions = data.regions()
    assert regions == [GOOI, MIDDEN, NOORD]
    build_region_workbook(data, regions[0])
    after_first = data.queries
    for region in regions[1:]:
        build_region_workbook(data, region)
    assert data.queries == after_first  # the other regions are served from the cache
    con.close()


def test_many_issues_give_identical_files(tmp_path):
    con = many_issues_warehouse(tmp_path / "w.duckdb", files=300)
    info = {"run_id": "r", "data_timestamp": "2026-01-02T03:04:05+01:00"}
    first = write_region_workbooks(con, tmp_path / "a", run_info=info)
    second = write_region_workbooks(con, tmp_path / "b", run_info=info)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    con.close()


def test_reads_no_staging_and_survives_missing_tables(tmp_path):
    con = build_warehouse(tmp_path / "w.duckdb", tables={"kpi.outflow"}, staging_trap=True)
    paths = write_region_workbooks(con, tmp_path / "reports")
    assert len(paths) == 3
    wb = load_workbook(tmp_path / "reports" / "kpi_gooi-en-vechtstreek.xlsx")
    assert SHEET_REDETENTION not in wb.sheetnames
    for name in (
        SHEET_COORDINATION,
        SHEET_LIFE_DOMAINS,
        SHEET_SCREENING,
        SHEET_REACH,
        SHEET_MKBA,
        SHEET_QUALITY,
    ):
        assert NO_DATA in texts(wb[name]), name
    header_row, cols = tabel_1_columns(wb[SHEET_OUTFLOW])
    assert list(cols) == [("2013", "Uitstroom"), ("2012", "Uitstroom")]
    con.close()


def test_empty_warehouse_writes_nothing(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    assert write_region_workbooks(con, tmp_path / "reports") == []
    con.close()


def test_two_runs_give_identical_files(warehouse, tmp_path):
    first = write_region_workbooks(warehouse, tmp_path / "a", suppression_threshold=5)
    second = write_region_workbooks(warehouse, tmp_path / "b", suppression_threshold=5)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    wb = load_workbook(first[0])
    assert wb.properties.created == wb.properties.modified


# --------------------------------------------------------------------------- the fast writer
#
# A BufferedSheet keeps its cells as plain rows and save_deterministic renders them to
# XML itself; the first read of a cell turns the rows into openpyxl cells, which openpyxl
# then writes as it always does. Both ways must give the same workbook.


def read_back(path: Path) -> dict[str, Any]:
    """What a reader of the workbook sees: per sheet every cell (value, type, number
    format, bold, font size, alignment), merged ranges, frozen pane, column widths,
    print settings and the charts (anchor, size, series and category references)."""
    wb = load_workbook(path)
    seen: dict[str, Any] = {"sheets": wb.sheetnames, "title": wb.properties.title}
    for ws in wb.worksheets:
        cells = {
            cell.coordinate: (
                cell.value,
                cell.data_type,
                cell.number_format,
                cell.font.b,
                cell.font.sz,
                cell.alignment.horizontal,
                cell.alignment.vertical,
                cell.alignment.wrap_text,
            )
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None or cell.has_style
        }
        charts = [
            (
                chart.anchor._from.row,
                chart.anchor._from.col,
                chart.type,
                chart.width,
                chart.height,
                [
                    (s.val.numRef.f, (s.cat.numRef or s.cat.strRef).f, s.tx.v if s.tx else None)
                    for s in chart.series
                ],
            )
            for chart in ws._charts
        ]
        seen[ws.title] = {
            "cells": cells,
            "dimension": ws.calculate_dimension(),
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "freeze": ws.freeze_panes,
            "widths": {key: dim.width for key, dim in ws.column_dimensions.items()},
            "print": (
                ws.page_setup.orientation,
                ws.page_setup.fitToWidth,
                ws.page_setup.fitToHeight,
                ws.sheet_properties.pageSetUpPr.fitToPage,
            ),
            "charts": charts,
        }
    return seen


def assert_same_workbook(fast: Path, slow: Path) -> None:
    assert read_back(fast) == read_back(slow)
    if not openpyxl.LXML:  # with lxml, openpyxl's own XML differs in form, not content
        with zipfile.ZipFile(fast) as a, zipfile.ZipFile(slow) as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert a.read(name) == b.read(name), name
        assert fast.read_bytes() == slow.read_bytes()


def save_through_openpyxl_cells(wb: Workbook, path: Path) -> None:
    """save_deterministic after a read of every sheet, so openpyxl writes the cells."""
    for ws in wb.worksheets:
        assert isinstance(ws, BufferedSheet) and ws.buffered
        assert ws.max_row >= 1  # a read: the rows become openpyxl cells
        assert not ws.buffered
    save_deterministic(wb, path)


ODD_RUN_INFO = {
    "run_id": "r",
    "data_timestamp": "2026-01-02T03:04:05+01:00",
    "leading space": " ja",
    "formula-like": "=1+1",
    "error code": "#N/A",
    "empty": "",
    "markup": "a & <b> 'c' \"d\"",
    "lines": "een\ntwee\r\ndrie\tvier",
    "long": "lang " * 30,
}


@pytest.mark.parametrize("threshold", [None, 5])
def test_buffered_rows_give_the_workbook_openpyxl_writes(warehouse, tmp_path, threshold):
    data = Warehouse(warehouse)
    for region in data.regions():
        kwargs = {"suppression_threshold": threshold, "run_info": ODD_RUN_INFO}
        fast = tmp_path / f"fast-{region_slug(region)}.xlsx"
        slow = tmp_path / f"slow-{region_slug(region)}.xlsx"
        save_deterministic(build_region_workbook(data, region, **kwargs), fast)
        save_through_openpyxl_cells(build_region_workbook(data, region, **kwargs), slow)
        assert_same_workbook(fast, slow)
    seen = read_back(tmp_path / "fast-midden-limburg.xlsx")
    assert seen[SHEET_MKBA]["charts"] and seen[SHEET_OUTFLOW]["merged"]
    assert seen[SHEET_OUTFLOW]["freeze"] and seen[SHEET_OUTFLOW]["widths"]
    quality = seen[SHEET_QUALITY]["cells"]
    assert {v[0] for v in quality.values()} >= {" ja", "=1+1", "#N/A", "a & <b> 'c' \"d\""}


def test_buffered_sheet_writes_any_value_as_openpyxl_does(tmp_path):
    """The same cells in an ordinary openpyxl worksheet (made cell by cell, as the
    reports were before), in a BufferedSheet, and in a BufferedSheet read before it is
    saved: three identical files."""
    from nazorg.reports import _Styles

    values = [
        dt.date(2020, 1, 2), "tekst", "", " spatie", "spatie ", "=A1", "#DIV/0!", "<5",
        "a & b", "x" * 40000, "é ünï \u2028 \U0001f600", 0, -3, 2**60, 0.1 + 0.2, -0.0,
        1e-300, 1e300, float("inf"), float("nan"), True, False,
        dt.datetime(2020, 1, 2, 3, 4, 5), dt.time(12, 30), None,
    ]  # fmt: skip
    fonts = (None, Font(bold=True), Font(bold=True, size=14))
    alignments = (None, Alignment(horizontal="right"), Alignment(wrap_text=True, vertical="top"))
    formats = (None, "#,##0", "€ #,##0", "0%", "0.00")  # a date's format comes first
    styles = list(zip(formats, alignments * 2, fonts * 2, strict=False))
    merges = [(1, 2, 1, 4), (len(values) + 3, 1, len(values) + 3, 9)]  # the last one sticks out

    def workbook(buffered: bool) -> Workbook:
        wb = Workbook()
        wb.remove(wb.active)
        wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
        ws = BufferedSheet(wb, "Blad") if buffered else Worksheet(wb, "Blad")
        wb._add_sheet(ws)
        cache = _Styles(ws)
        for r, value in enumerate(values, start=2):
            for c, (fmt, alignment, font) in enumerate(styles, start=2):
                if buffered:
                    style = cache.get(number_format=fmt, alignment=alignment, font=font)
                    ws.put(r, c, value, style)
                    continue
                cell = ws.cell(r, c, value)
                if fmt:
                    cell.number_format = fmt
                if alignment:
                    cell.alignment = alignment
                if font:
                    cell.font = font
        for first_row, first_col, last_row, last_col in merges:
            if buffered:
                ws.put(first_row, first_col, "kop", cache.get(font=fonts[1]))
                ws.merge(first_row, first_col, last_row, last_col)
            else:
                ws.cell(first_row, first_col, "kop").font = fonts[1]
                ws.merge_cells(
                    start_row=first_row,
                    start_column=first_col,
                    end_row=last_row,
                    end_column=last_col,
                )
        return wb

    plain, fast, read = tmp_path / "plain.xlsx", tmp_path / "fast.xlsx", tmp_path / "read.xlsx"
    save_deterministic(workbook(buffered=False), plain)
    save_deterministic(workbook(buffered=True), fast)
    save_through_openpyxl_cells(workbook(buffered=True), read)
    assert_same_workbook(fast, plain)
    assert_same_workbook(read, plain)
    seen = read_back(fast)["Blad"]
    assert seen["dimension"] == f"A1:I{len(values) + 3}"
    cells = seen["cells"]
    row = {value: r for r, value in enumerate(values, start=2) if isinstance(value, str)}
    assert cells[f"B{row['tekst']}"][:2] == ("tekst", "s")
    assert cells[f"B{row['=A1']}"][:2] == ("=A1", "f")
    assert cells[f"B{row['#DIV/0!']}"][:2] == ("#DIV/0!", "e")
    assert cells["B2"][0] == dt.datetime(2020, 1, 2)
    assert cells["B2"][2] == "yyyy-mm-dd"  # the format openpyxl gives a date


def test_a_control_character_still_fails_the_save(tmp_path):
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook()
    ws = BufferedSheet(wb, "Blad")
    wb._add_sheet(ws)
    ws.put(1, 1, "a\x01b", ws.parent._cell_styles[0])
    with pytest.raises(IllegalCharacterError):
        save_deterministic(wb, tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file left behind
