"""The manager workbooks (nazorg.reports) on a synthetic warehouse with the published figures.

The warehouse holds only the ``kpi`` and ``quality`` schemas with the columns of the
output contract, filled with Tabel 1 of the Gooi en Vechtstreek evaluation and the MKBA
of the Midden-Limburg report (kpi-method.md). The tests read what the file says: print
set-up, fonts, words, legends, dates, and the figures with shielding off.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import fastexcel
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from nazorg.reports import (
    SECONDARY_MARK,
    SHEET_NAMES,
    Warehouse,
    build_region_workbook,
    region_slug,
    write_region_workbooks,
)
from nazorg.reports.layout import page

GOOI, MIDDEN, NOORD = "Gooi en Vechtstreek", "Midden-Limburg", "Noord-Limburg"
RUN = dt.datetime(2026, 12, 6, 2, 5, tzinfo=dt.UTC)  # 03:05 in Amsterdam

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
        ("column_name", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("message", "VARCHAR"),
    ],
    "quality.row_warnings": [
        ("file", "VARCHAR"),
        ("row_number", "BIGINT"),
        ("column_name", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("message", "VARCHAR"),
    ],
    "quality.releases_without_municipality": [("year", "INTEGER"), ("persons", "BIGINT")],
    "quality.region_files": [
        ("region", "VARCHAR"),
        ("source", "VARCHAR"),
        ("file", "VARCHAR"),
        ("rows", "BIGINT"),
        ("first_date", "DATE"),
        ("last_date", "DATE"),
    ],
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
        ("is_registered", "BOOLEAN"),
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
        ("aftercare_group", "VARCHAR"),
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
    "kpi.length_of_stay": [
        ("region", "VARCHAR"),
        ("release_year", "INTEGER"),
        ("stay_band", "VARCHAR"),
        ("band_order", "INTEGER"),
        ("days_from", "INTEGER"),
        ("days_to", "INTEGER"),
        ("released_episodes", "BIGINT"),
        ("share", "DOUBLE"),
        ("region_year_episodes", "BIGINT"),
        ("year_complete", "BOOLEAN"),
    ],
    "kpi.intake_timeliness": [
        ("region", "VARCHAR"),
        ("admission_year", "INTEGER"),
        ("admissions", "BIGINT"),
        ("with_form", "BIGINT"),
        ("share_with_form", "DOUBLE"),
        ("within_5_days", "BIGINT"),
        ("share_within_5_days", "DOUBLE"),
        ("median_days_to_form", "DOUBLE"),
        ("year_complete", "BOOLEAN"),
    ],
    "kpi.target_groups": [
        ("region", "VARCHAR"),
        ("release_year", "INTEGER"),
        ("target_group", "VARCHAR"),
        ("group_order", "INTEGER"),
        ("released_persons", "BIGINT"),
        ("with_case", "BIGINT"),
        ("share_with_case", "DOUBLE"),
        ("year_complete", "BOOLEAN"),
    ],
    "kpi.cohort_recidivism": [
        ("region", "VARCHAR"),
        ("cohort_year", "INTEGER"),
        ("interviewed", "BIGINT"),
        ("reference_prevalence", "DOUBLE"),
        ("expected_recidivists", "DOUBLE"),
        ("offences_per_recidivist", "DOUBLE"),
        ("expected_offences", "DOUBLE"),
        ("observed_recidivists", "BIGINT"),
        ("observed_offences", "BIGINT"),
        ("avoided_offences", "DOUBLE"),
        ("observation_years", "INTEGER"),
        ("avoided_offences_per_year", "DOUBLE"),
    ],
}

# Stay bands of the released episodes per year: (code, order, from, to); Midden-Limburg
# 2020 gives the Limburg report's "bijna de helft binnen 4 weken": 36 + 113 = 149 of 322.
BANDS = [
    ("up_to_7_days", 1, 0, 7),
    ("8_to_28_days", 2, 8, 28),
    ("29_to_120_days", 3, 29, 120),
    ("over_120_days", 4, 121, None),
]
STAYS = {  # year: episodes per band, year complete
    2019: ((3, 55, 90, 49), True),  # 3 is shielded, and 55 with it (else 4 weeks gives it)
    2020: ((36, 113, 95, 78), True),
    2022: ((30, 46, 100, 46), False),
}
# target group: released persons, with a case (Midden-Limburg 2020)
TARGET_GROUPS = {
    "under_27": (40, 31),
    "frequent_returner": (1, 1),
    "support_wish": (132, 109),
    "all": (285, 223),
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
            is_registered=m != "enriched_any",
        )
        for m, n in numerators.items()
    ]
    out["kpi.outflow_caseload_reconciliation"] = [
        dict(
            region=GOOI,
            year=2013,
            municipality_code=code,
            municipality_name=name,
            outflow_persons=out13 or 0,
            caseload_cases=cases13,
            difference=cases13 - (out13 or 0),
        )
        for code, name, cases13, out13, _ in TABEL_1
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
    out["kpi.intake_timeliness"] = [  # screened in DPAN: no form with a date
        dict(
            region=GOOI,
            admission_year=2013,
            admissions=229,
            with_form=0,
            share_with_form=0.0,
            within_5_days=0,
            share_within_5_days=None,
            median_days_to_form=None,
            year_complete=True,
        )
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
            ("benefit_cost_per_month", 1640.0),
            ("discount_rate", 0.0),
            ("cost_per_offence", 1000.0),
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
            "aftercare_group": group,
            "released_persons": released,
            "redetained_2y": redetained,
            "prevalence_2y": redetained / released,
            "new_detentions_2y": new,
            "incidence_2y": new / released,
            "window_complete": True,
        }
        for group, (released, redetained, new) in redetention.items()
    ] + [
        {
            "region": MIDDEN,
            "release_year": year,
            "aftercare_group": "all",
            "released_persons": 200,
            "redetained_2y": n,
            "prevalence_2y": n / 200,
            "new_detentions_2y": n + 5,
            "incidence_2y": (n + 5) / 200,
            "window_complete": year < 2021,
        }
        for year, n in ((2019, 80), (2021, 30), (2022, 10))
    ]
    out["kpi.length_of_stay"] = [
        dict(
            region=MIDDEN,
            release_year=year,
            stay_band=band,
            band_order=rank,
            days_from=low,
            days_to=high,
            released_episodes=n,
            share=n / sum(counts),
            region_year_episodes=sum(counts),
            year_complete=complete,
        )
        for year, (counts, complete) in STAYS.items()
        for (band, rank, low, high), n in zip(BANDS, counts, strict=True)
    ]
    out["kpi.intake_timeliness"] = [
        dict(
            region=MIDDEN,
            admission_year=year,
            admissions=admissions,
            with_form=forms,
            share_with_form=forms / admissions,
            within_5_days=within,
            share_within_5_days=within / forms,
            median_days_to_form=median,
            year_complete=year == 2020,
        )
        for year, admissions, forms, within, median in (
            (2020, 278, 160, 100, 4.0),
            (2022, 181, 106, 58, 5.0),
        )
    ]
    out["kpi.target_groups"] = [
        dict(
            region=MIDDEN,
            release_year=2020,
            target_group=group,
            group_order=rank,
            released_persons=released,
            with_case=cases,
            share_with_case=cases / released,
            year_complete=True,
        )
        for rank, (group, (released, cases)) in enumerate(TARGET_GROUPS.items(), start=1)
    ]
    out["kpi.cohort_recidivism"] = [  # Limburg §5.1: 16 (6 x 2.7), 7, 9, 4.5 a year
        dict(
            region=MIDDEN,
            cohort_year=2020,
            interviewed=12,
            reference_prevalence=0.5,
            expected_recidivists=6.0,
            offences_per_recidivist=2.7,
            expected_offences=16.0,
            observed_recidivists=5,
            observed_offences=7,
            avoided_offences=9.0,
            observation_years=2,
            avoided_offences_per_year=4.5,
        )
    ]
    return out


def noord_records() -> dict[str, list[dict[str, Any]]]:
    """A region with outflow only (no case registration yet)."""
    persons = {
        ("GM0983", "Venlo"): 250,
        ("GM0984", "Venray"): 40,
        ("GM1507", "Horst aan de Maas"): 2,
        ("GM0889", "Beesel"): 1,
    }
    return {
        "kpi.outflow": [
            dict(
                region=NOORD,
                year=2021,
                municipality_code=code,
                municipality_name=name,
                persons=n,
                share=n / 293,
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
                file="justid/2020.csv",
                sha256="c" * 64,
                source="justid",
                status="loaded",
                rows_read=500,
                rows_loaded=499,
                rows_rejected=1,
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
                column_name="Datum ontslag",
                rule="date",
                message="Geen geldige datum",
            )
            for n in (10, 11)
        ]
        + [
            dict(
                file="dpan/dpan_2013.csv",
                row_number=40,
                column_name="Gemeente",
                rule="required",
                message="Leeg",
            ),
            dict(
                file="justid/2020.csv",
                row_number=7,
                column="Casusnummer",
                rule="duplicate_case_number",
                message="Casusnummer ML-2020-017 komt twee keer voor",
            ),
        ],
        "quality.row_warnings": [
            dict(
                file="dpan/dpan_2013.csv",
                row_number=7,
                column_name="Gemeente",
                rule="unknown_municipality",
                message="Onbekende gemeente, geteld als Overig",
            )
        ],
        "quality.releases_without_municipality": [dict(year=2013, persons=7)],
        "quality.region_files": [
            dict(
                region=GOOI,
                source="dpan",
                file="dpan/dpan_2013.csv",
                rows=597,
                first_date=dt.date(2012, 1, 3),
                last_date=dt.date(2013, 12, 31),
            ),
            dict(
                region=GOOI,
                source="caseload",
                file="caseload/gooi-en-vechtstreek/2013/registratie.xlsx",
                rows=325,
                first_date=dt.date(2013, 1, 2),
                last_date=dt.date(2013, 12, 30),
            ),
            dict(
                region=MIDDEN,
                source="justid",
                file="justid/2020.csv",
                rows=400,
                first_date=dt.date(2019, 1, 8),
                last_date=dt.date(2022, 12, 31),
            ),
        ],
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
def shielded(warehouse, tmp_path_factory) -> dict[str, Path]:
    """The workbooks as the nightly run writes them: shielding on (the default)."""
    paths = write_region_workbooks(warehouse, tmp_path_factory.mktemp("reports"), run_time=RUN)
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def unshielded(warehouse, tmp_path_factory) -> dict[str, Path]:
    paths = write_region_workbooks(
        warehouse, tmp_path_factory.mktemp("open"), suppression_threshold=0, run_time=RUN
    )
    return {p.name: p for p in paths}


def find(ws: Worksheet, value: Any) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell.row, cell.column
    raise AssertionError(f"{value!r} not on sheet {ws.title}")


def texts(ws: Worksheet) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def row_of(ws: Worksheet, first: str, after: int = 0) -> list[Any]:
    for row in ws.iter_rows(min_row=after + 1, values_only=True):
        if row and row[0] == first:
            return list(row)
    raise AssertionError(f"no row {first!r} on {ws.title}")


# --------------------------------------------------------------------------- files


def test_one_workbook_per_region_overzicht_first(shielded):
    assert sorted(shielded) == [
        "kpi_gooi-en-vechtstreek.xlsx",
        "kpi_midden-limburg.xlsx",
        "kpi_noord-limburg.xlsx",
    ]
    assert region_slug("Gooi en Vechtstreek") == "gooi-en-vechtstreek"
    midden = load_workbook(shielded["kpi_midden-limburg.xlsx"])
    assert midden.sheetnames[0] == "Overzicht"
    assert midden.sheetnames == [s for s in SHEET_NAMES if s in midden.sheetnames]


def test_sheets_without_data_are_left_out_and_named_on_the_overzicht(shielded):
    wb = load_workbook(shielded["kpi_noord-limburg.xlsx"])
    for name in ("Coördinatie", "Bereik nazorg-plus", "MKBA", "Herdetentie", "Screening"):
        assert name not in wb.sheetnames
    lines = " ".join(texts(wb["Overzicht"]))
    assert "niet in deze werkmap: Geen nazorg-plus-cohort in deze regio" in lines
    assert "Geen casusregistratie in deze regio" in lines
    gooi = load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])
    assert "MKBA" not in gooi.sheetnames and "Coördinatie" in gooi.sheetnames


def test_no_stale_workbook_and_written_under_a_temporary_name(warehouse, tmp_path, monkeypatch):
    stale = tmp_path / "kpi_oude-regio.xlsx"
    stale.write_bytes(b"old")
    other = tmp_path / "notities.txt"
    other.write_text("blijft")
    saved: list[str] = []
    real_save = Workbook.save

    def save(self, filename):
        saved.append(Path(filename).name)
        return real_save(self, filename)

    monkeypatch.setattr(Workbook, "save", save)
    paths = write_region_workbooks(warehouse, tmp_path, run_time=RUN)
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.glob("kpi_*.xlsx")) == sorted(p.name for p in paths)
    assert saved and all(name.startswith(".kpi_") and name.endswith(".tmp") for name in saved)
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_failed_write_leaves_the_old_workbook(warehouse, tmp_path, monkeypatch):
    [first, *_] = write_region_workbooks(warehouse, tmp_path, run_time=RUN)
    before = first.read_bytes()

    def broken(self, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("schijf vol")

    monkeypatch.setattr(Workbook, "save", broken)
    with pytest.raises(OSError):
        write_region_workbooks(warehouse, tmp_path, run_time=RUN)
    assert first.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


# --------------------------------------------------------------------------- print


def test_every_sheet_prints_on_a4_readably_with_titles_and_footer(shielded):
    for path in shielded.values():
        for ws in load_workbook(path):
            where = (path.name, ws.title)
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), where
            assert ws.page_setup.orientation in ("portrait", "landscape"), where
            assert not ws.sheet_properties.pageSetUpPr.fitToPage, where
            scale = int(ws.page_setup.scale)
            assert page.MIN_SCALE <= scale <= 100, where
            # and at that scale the sheet is one page wide
            width = sum(d.width or 0 for d in ws.column_dimensions.values())
            printable = page.printable_width_pt(ws.page_setup.orientation)
            assert width * page.POINTS_PER_UNIT * scale / 100 <= printable + 1, where
            # the sheet's heading, and when its first table runs over a page that
            # table's title and column headers as well
            assert re.fullmatch(r"\$1:\$(2|\d+)", ws.print_title_rows or ""), where
            footer = ws.oddFooter
            assert footer.center.text == "pagina &P van &N", where
            assert footer.left.text.endswith("&A") and footer.left.text.startswith(
                load_workbook(path)["Overzicht"]["B4"].value or ""
            ), where
            assert footer.right.text == "gemaakt 06-12-2026 03:05", where
            assert ws.page_margins.left == page.MARGIN_SIDE_IN, where


def test_a_table_longer_than_a_page_repeats_its_header(shielded):
    ws = load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])["Definities"]
    header_row, _ = find(ws, "Cijfer")
    assert ws.print_title_rows == f"$1:${header_row}"
    assert ws["A1"].value == "Definities — Gooi en Vechtstreek"


def test_a_wide_sheet_is_landscape_or_scaled_never_below_70_percent():
    assert page.plan(60).orientation == "portrait"
    assert page.plan(95) == page.PrintPlan("landscape", 100)
    assert page.plan(120).scale >= page.MIN_SCALE
    with pytest.raises(page.LayoutError):
        page.plan(400, strict=True)
    assert page.plan(400) == page.PrintPlan("landscape", page.MIN_SCALE)


def test_every_written_cell_has_a_named_and_sized_font(shielded):
    for path in shielded.values():
        for ws in load_workbook(path):
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    assert cell.font.name == "Arial", (ws.title, cell.coordinate)
                    assert cell.font.sz and cell.font.sz >= 8, (ws.title, cell.coordinate)


def test_wrapped_header_rows_have_a_height_and_the_year_a_row_of_its_own(unshielded):
    ws = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])["Uitstroom en caseload"]
    header_row, _ = find(ws, "Gemeente")
    assert ws.row_dimensions[header_row].height >= 26  # two lines: "Caseload / aantal"
    group_row = [c.value for c in ws[header_row - 1]]
    assert "2013" in group_row and "2012" in group_row
    assert all(v in (None, "2013", "2012", "2011", "2010") for v in group_row)


# --------------------------------------------------------------------------- words

CODE_LIKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
ENGLISH = {"loaded", "failed", "duplicate", "superseded", "haircut", "true", "false", "None"}
CASE_NUMBER = re.compile(r"\b[A-Z]{2}-\d{4}-\d{3}\b")


def test_labels_are_dutch_words_without_codes_or_case_numbers(shielded, unshielded):
    for path in list(shielded.values()) + list(unshielded.values()):
        for ws in load_workbook(path):
            for text in texts(ws):
                assert not CODE_LIKE.match(text), (path.name, ws.title, text)
                assert text not in ENGLISH, (path.name, ws.title, text)
                assert not CASE_NUMBER.search(text), (path.name, ws.title, text)
                assert "Geen gegevens beschikbaar" not in text


def test_small_shares_read_below_one_percent(unshielded):
    ws = load_workbook(unshielded["kpi_noord-limburg.xlsx"])["Uitstroom en caseload"]
    beesel = row_of(ws, "Beesel")
    assert beesel[1:3] == [1, "<1%"]  # 1 of 293 is 0.3%: not 0%
    horst = row_of(ws, "Horst aan de Maas")
    assert horst[1] == 2 and round(horst[2], 3) == 0.007  # 0.7% rounds to 1%


def test_a_measure_the_register_does_not_hold_is_niet_geregistreerd(unshielded):
    ws = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])["Coördinatie"]
    row = row_of(ws, "Verrijkt (bilateraal of netwerkronde)")
    assert row[1] == "niet geregistreerd" and row[2] is None and row[3] is None
    assert row_of(ws, "Verrijkt via netwerkronde")[1] == 65


# --------------------------------------------------------------------------- figures


def test_tabel_1_of_gooi_en_vechtstreek_with_shielding_off(unshielded):
    ws = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])["Uitstroom en caseload"]
    header_row, _ = find(ws, "Gemeente")
    headers = [c.value for c in ws[header_row]]
    assert headers[1:7] == [
        "Caseload aantal",
        "%",
        "Uitstroom aantal",
        "%",
        "Uitstroom aantal",
        "%",
    ]
    for _code, name, caseload, out13, out12 in TABEL_1:
        row = row_of(ws, name, header_row)
        assert (row[1], row[3], row[5]) == (caseload, out13 or "-", out12 or "-"), name
    totaal = row_of(ws, "Totaal", header_row)
    assert (totaal[1], totaal[3], totaal[5]) == (325, 261, 258)
    hilversum = row_of(ws, "Hilversum", header_row)
    assert abs(hilversum[2] * 100 - 55) <= 1 and abs(hilversum[4] * 100 - 61) <= 1
    assert ws.cell(header_row + 1, 3).number_format == "0%"
    assert ws._charts


def test_reconciliation_of_caseload_and_outflow_with_the_note(unshielded, shielded):
    for wb in (load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"]),):
        ws = wb["Uitstroom en caseload"]
        r, _ = find(ws, "Caseload naast uitstroom per gemeente, 2013")
        blaricum = row_of(ws, "Blaricum", r)
        assert blaricum[1:4] == [2, 1, -1]
        note = next(t for t in texts(ws) if t.startswith("NB:"))
        assert "Muiden en Blaricum" in note or "Blaricum en Muiden" in note
        assert "caseload lager dan uitstroom" in note


def test_coordination_and_life_domains(unshielded):
    wb = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])
    row = row_of(wb["Coördinatie"], "Profiel opgesteld")
    assert row[1] == 115 and abs(row[2] * 100 - 44) <= 1
    assert row_of(wb["Leefgebieden"], "Huisvesting")[1] == 24


def test_mkba_table_assumptions_and_sensitivity(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])["MKBA"]
    ratio = row_of(ws, "Baten-kostenverhouding")
    assert [round(v, 2) for v in ratio[1:3]] == [1.30, 2.28]
    assert row_of(ws, "Totale kosten")[1:3] == [122000, 122000]
    assert [round(v, 2) for v in row_of(ws, "Verhouding zonder uitkeringsposten")[1:3]] == [
        0.21,
        1.20,
    ]
    salary = row_of(ws, "Kosten: Salariskosten nazorg-plus-coördinator")
    assert salary[4] == pytest.approx(-99000)
    lines = texts(ws)
    assert "50%" in lines and "34,4 dagen per jaar" in lines and "€ 1.640 per maand" in lines
    assert "€ 99.000 per jaar" in lines
    haircut = row_of(ws, "Correctie voor de kleine steekproef (deel van de baten dat meetelt)")
    assert haircut[1] == "50%"
    # one sensitivity row per assumption and variant, with a tornado chart each
    assert sum(1 for t in lines if t.startswith("Gevoeligheid, variant")) == 2
    assert len(ws._charts) == 2
    assert ws.max_row < 140  # the full sensitivity grid is not listed


def test_redetention_marks_open_windows_and_keeps_them_out_of_the_chart(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])["Herdetentie"]
    labels = [r[0] for r in ws.iter_rows(values_only=True) if r and r[0]]
    assert "2021 (voorlopig)" in labels and "2022 (voorlopig)" in labels and "2020" in labels
    [chart] = ws._charts
    ref = chart.series[0].val.numRef.f
    first, last = (int(x) for x in re.findall(r"\$(\d+)", ref))
    years = [ws.cell(r, 1).value for r in range(first, last + 1)]
    assert years == ["2019", "2020"]  # closed windows only, oldest first
    lines = " ".join(texts(ws))
    assert "WODC" in lines and "causaal" in lines


TARGET_SHEET = "Doelgroepen en doorlooptijd"


def _chart_rows(ws: Worksheet, ref: str) -> list[Any]:
    first, last = (int(x) for x in re.findall(r"\$(\d+)", ref))
    col = re.search(r"!\$([A-Z]+)\$", ref).group(1)
    return [ws[f"{col}{r}"].value for r in range(first, last + 1)]


def test_stay_bands_per_release_year_with_the_four_weeks_of_the_report(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])[TARGET_SHEET]
    header_row, _ = find(ws, "Uitstroomjaar")
    groups = [c.value for c in ws[header_row - 1] if c.value]
    assert groups == [
        "t/m 7 dagen",
        "8 t/m 28 dagen",
        "29 t/m 120 dagen",
        "meer dan 120 dagen",
        "Binnen 4 weken",
    ]
    assert [c.value for c in ws[header_row]][1:12] == ["Aantal", "%"] * 5 + ["Totaal"]
    row = row_of(ws, "2020", header_row)
    assert row[1:12:2] == [36, 113, 95, 78, 149, 322]  # "bijna de helft": 149 of 322
    assert round(row[10], 2) == 0.46 and round(row[4], 2) == 0.35
    assert ws.cell(header_row + 1, 3).number_format == "0%"
    # the provisional year is marked and listed after the complete ones
    labels = [ws.cell(r, 1).value for r in range(header_row + 1, header_row + 4)]
    assert labels == ["2019", "2020", "2022 (voorlopig)"]
    lines = " ".join(texts(ws))
    assert "binnen 4 weken de PI" in lines and "woning verloren" in lines
    assert "voorlopig: de detentiemeldingen dekken dit jaar nog niet helemaal" in lines


def test_the_stay_chart_runs_left_to_right_without_provisional_years(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])[TARGET_SHEET]
    [chart] = ws._charts
    assert chart.grouping == "stacked" and len(chart.series) == 4
    cat = chart.series[0].cat
    assert _chart_rows(ws, (cat.strRef or cat.numRef).f) == ["2019", "2020"]
    header_row, _ = find(ws, "Uitstroomjaar")
    shares = _chart_rows(ws, chart.series[1].val.numRef.f)  # 8 t/m 28 dagen
    assert [round(v, 3) for v in shares] == [round(55 / 197, 3), round(113 / 322, 3)]
    assert chart.legend is not None


def test_intake_within_five_days_with_the_proxy_footnote(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])[TARGET_SHEET]
    header_row, _ = find(ws, "Jaar van insluiting")
    assert [c.value for c in ws[header_row]][:7] == [
        "Jaar van insluiting",
        "Insluitingen",
        "Met formulier",
        "% met formulier",
        "Binnen 5 dagen",
        "% binnen 5 dagen",
        "Mediaan (dagen)",
    ]
    row = row_of(ws, "2020", header_row)
    assert row[1:3] == [278, 160] and row[4:7] == [100, 0.625, 4.0]
    assert row_of(ws, "2022 (voorlopig)", header_row)[4] == 58
    lines = " ".join(texts(ws))
    assert "datum van het screeningsformulier staat in voor het eerste gesprek" in lines
    # a region screened in DPAN, without a form date, gets a sentence, not a table of zeros
    gooi = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])[TARGET_SHEET]
    assert "Jaar van insluiting" not in texts(gooi)
    assert any("niet te bepalen voor Gooi en Vechtstreek" in t for t in texts(gooi))


def test_target_groups_with_their_reach_and_what_reached_means(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])[TARGET_SHEET]
    header_row, _ = find(ws, "Uitstroomjaar, doelgroep")
    assert [c.value for c in ws[header_row]][:4] == [
        "Uitstroomjaar, doelgroep",
        "Personen",
        "Bereikt",
        "% bereikt",
    ]
    year_row = next(r for r in range(header_row + 1, ws.max_row) if ws.cell(r, 1).value == "2020")
    assert ws.cell(year_row, 1).font.b
    rows = {ws.cell(r, 1).value: r for r in range(year_row + 1, year_row + 5)}
    assert list(rows) == [
        "Alle uitgestroomden",
        "Jonger dan 27 jaar",
        "Veelterugkeerders",
        "Met hulpvraag",
    ]
    everyone = row_of(ws, "Alle uitgestroomden", year_row)
    assert everyone[1:3] == [285, 223] and round(everyone[3], 2) == 0.78
    assert row_of(ws, "Met hulpvraag", year_row)[1:3] == [132, 109]
    lines = " ".join(texts(ws))
    assert "Bereikt betekent: een casus in de registratie" in lines
    assert "niet dat het effect had" in lines
    definitions = texts(load_workbook(unshielded["kpi_midden-limburg.xlsx"])["Definities"])
    for figure in ("Doelgroep: % bereikt", "Screening: % binnen 5 dagen", "Verwachte delicten"):
        assert figure in definitions


def test_the_target_sheet_is_shielded_with_a_legend_and_prints_like_the_others(shielded):
    wb = load_workbook(shielded["kpi_midden-limburg.xlsx"])
    ws = wb[TARGET_SHEET]
    header_row, _ = find(ws, "Uitstroomjaar")
    row = row_of(ws, "2019", header_row)
    # 3 is hidden, 55 too: "binnen 4 weken" (58) would otherwise give it away
    assert row[1:5] == ["<5", None, SECONDARY_MARK, None]
    assert row[9] == 58 and row[11] == 197
    groups_row, _ = find(ws, "Uitstroomjaar, doelgroep")
    assert row_of(ws, "Veelterugkeerders", groups_row)[1:4] == ["<5", "<5", None]
    legends = [t for t in texts(ws) if t.startswith("<5: minder dan 5 personen")]
    assert len(legends) == 2  # under the stay bands and under the target groups
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.scale) >= 75
    assert ws.print_title_rows == "$1:$2"
    assert ws.oddFooter.center.text == "pagina &P van &N"
    assert ws["A1"].value == f"{TARGET_SHEET} — {MIDDEN}"
    assert wb.sheetnames.index(TARGET_SHEET) == wb.sheetnames.index("Herdetentie") + 1
    overzicht = load_workbook(shielded["kpi_noord-limburg.xlsx"])["Overzicht"]
    assert TARGET_SHEET not in load_workbook(shielded["kpi_noord-limburg.xlsx"]).sheetnames
    pairs = {r[0]: r[1] for r in overzicht.iter_rows(values_only=True) if r and r[0]}
    assert pairs[TARGET_SHEET] == "niet in deze werkmap: Geen detentiemeldingen voor deze regio"
    link = wb["Overzicht"].cell(*find(wb["Overzicht"], TARGET_SHEET)).hyperlink
    assert link.location == f"'{TARGET_SHEET}'!A1"


def test_mkba_expected_and_observed_offences_next_to_the_line_they_feed(unshielded):
    ws = load_workbook(unshielded["kpi_midden-limburg.xlsx"])["MKBA"]
    title, _ = find(ws, "Verwachte en waargenomen delicten, cohort 2020")
    assert find(ws, "Eindbalans cohort 2020")[0] < title < find(ws, "Aanname")[0]

    def step(start: str) -> list[Any]:
        return next(
            list(r)
            for r in ws.iter_rows(min_row=title, values_only=True)
            if isinstance(r[0], str) and r[0].startswith(start)
        )

    assert step("Geïnterviewde deelnemers")[1:3] == [12, "personen"]
    assert step("Recidive van de referentiegroep")[1] == 0.5
    assert step("Verwachte recidivisten: 12 × 50%")[1:3] == [6, "personen"]
    assert step("Delicten per recidivist")[1] == 2.7
    assert step("Verwachte delicten: 6 × 2,7, afgerond")[1:3] == [16, "delicten"]
    assert step("Waargenomen recidivisten")[1] == 5
    assert step("Waargenomen delicten")[1:3] == [7, "delicten"]
    assert step("Vermeden delicten: 16 verwacht − 7 waargenomen")[1:3] == [9, "delicten"]
    assert step("Vermeden delicten per jaar: 9 ÷ 2 jaar")[1:3] == [4.5, "delicten per jaar"]
    damage = step("Vermeden delictschade per jaar, steekproef (variant A)")
    assert damage[1:3] == [2250, "euro per jaar"]
    assert "4,5 × € 1.000 schade × 50% (kleine steekproef)" in damage[0]
    assert row_of(ws, "Baten: Vermeden delictschade")[2] == 2250  # the line it feeds
    r, c = find(ws, 2250.0)
    assert ws.cell(r, c).number_format == "€ #,##0"
    assert any("geen controlegroep" in t for t in texts(ws))


def test_shielding_is_on_by_default_with_a_legend_under_the_table(shielded, unshielded):
    ws = load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])["Uitstroom en caseload"]
    header_row, _ = find(ws, "Gemeente")
    assert row_of(ws, "Blaricum", header_row)[1] == "<5"
    assert row_of(ws, "Blaricum", header_row)[2] is None
    values = [v for row in ws.iter_rows(values_only=True) for v in row]
    assert SECONDARY_MARK in values
    legend = [t for t in texts(ws) if t.startswith("<5: minder dan 5 personen")]
    assert len(legend) == 2  # Tabel 1 and the reconciliation
    assert "afgeschermd omdat het totaal anders een klein aantal verraadt" in legend[0]
    for path in shielded.values():
        for sheet in load_workbook(path):
            for row in sheet.iter_rows():
                for cell in row:
                    v = cell.value
                    if (
                        isinstance(v, int)
                        and not isinstance(v, bool)
                        and cell.number_format in ("#,##0",)
                    ):
                        assert not 1 <= v <= 4 or sheet.title in ("Datakwaliteit", "MKBA"), (
                            path.name,
                            sheet.title,
                            cell.coordinate,
                        )
    open_ws = load_workbook(unshielded["kpi_gooi-en-vechtstreek.xlsx"])["Uitstroom en caseload"]
    assert not [t for t in texts(open_ws) if t.startswith("<5:")]
    overzicht = " ".join(
        texts(load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])["Overzicht"])
    )
    assert "afgeschermd: aantallen onder 5 staan als <5" in overzicht


def test_overzicht_says_region_period_data_until_and_amsterdam_run_time(shielded):
    ws = load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])["Overzicht"]
    pairs = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0] and len(r) > 1}
    assert pairs["Regio"] == GOOI
    assert pairs["DPAN-detentiemeldingen"] == "van 03-01-2012 t/m 31-12-2013 (1 bestand)"
    assert pairs["Casusregistratie Zorg- en Veiligheidshuis"].startswith(
        "van 02-01-2013 t/m 30-12-2013"
    )
    assert pairs["Gegevens tot en met"] == "31-12-2013"
    assert pairs["Gemaakt op"] == "06-12-2026 03:05 (Nederlandse tijd)"
    assert "Uitstroom uit detentie" in pairs and "Caseload" in pairs
    link = ws.cell(*find(ws, "Uitstroom en caseload")).hyperlink
    assert link.location == "'Uitstroom en caseload'!A1"


def test_data_quality_shows_only_the_regions_files_without_keys(shielded):
    gooi = load_workbook(shielded["kpi_gooi-en-vechtstreek.xlsx"])["Datakwaliteit"]
    lines = texts(gooi)
    assert "dpan_2013.csv" in lines
    assert "2020.csv" not in lines and "broken.csv" not in lines  # other regions' files
    assert "geen geldige datum" in lines and "verplicht veld leeg" in lines
    row = row_of(gooi, "dpan_2013.csv", find(gooi, "Reden")[0])
    assert row[1:4] == ["Datum ontslag", "geen geldige datum", 2]
    midden = load_workbook(shielded["kpi_midden-limburg.xlsx"])["Datakwaliteit"]
    assert "casusnummer dubbel" in texts(midden)
    assert not any("ML-2020" in t for t in texts(midden))


def test_second_reader_fastexcel(shielded):
    for written in shielded.values():
        every_sheet = fastexcel.read_excel(written)
        assert every_sheet.sheet_names == load_workbook(written).sheetnames


def test_each_table_is_read_once_for_all_regions(tmp_path):
    con = build_warehouse(tmp_path / "w.duckdb")
    data = Warehouse(con)
    for region in data.regions():
        build_region_workbook(data, region, run_time=RUN)
    first = data.queries
    for region in data.regions():
        build_region_workbook(data, region, run_time=RUN)
    assert data.queries == first


def test_reads_no_staging_and_survives_missing_tables(tmp_path):
    con = build_warehouse(
        tmp_path / "w.duckdb", tables={"kpi.outflow", "quality.file_ledger"}, staging_trap=True
    )
    paths = write_region_workbooks(con, tmp_path / "reports", run_time=RUN)
    assert [p.name for p in paths] == [
        "kpi_gooi-en-vechtstreek.xlsx",
        "kpi_midden-limburg.xlsx",
        "kpi_noord-limburg.xlsx",
    ]


def test_empty_warehouse_writes_nothing_and_removes_old_files(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "kpi_gooi-en-vechtstreek.xlsx").write_bytes(b"old")
    assert write_region_workbooks(con, folder) == []
    assert list(folder.iterdir()) == []


def test_many_files_list_only_those_that_need_attention(tmp_path):
    con = build_warehouse(tmp_path / "w.duckdb")
    con.execute(
        """
        INSERT INTO quality.file_ledger
        SELECT 'justid/daily/justid_' || lpad(i::VARCHAR, 4, '0') || '.csv', md5(i::VARCHAR),
               'justid', 'loaded', 100, 100, 0, NULL
        FROM range(500) t(i)
        """
    )
    con.execute(
        """
        INSERT INTO quality.region_files
        SELECT 'Midden-Limburg', 'justid', 'justid/daily/justid_' || lpad(i::VARCHAR, 4, '0')
               || '.csv', 40, DATE '2021-01-01', DATE '2021-01-02'
        FROM range(500) t(i)
        """
    )
    [path] = [
        p
        for p in write_region_workbooks(con, tmp_path / "r", run_time=RUN)
        if p.name == "kpi_midden-limburg.xlsx"
    ]
    ws = load_workbook(path)["Datakwaliteit"]
    lines = texts(ws)
    assert "2020.csv" in lines  # a file with a rejected row stays listed
    assert not any(t.startswith("justid_0") for t in lines)
    assert any("JustID 500 bestanden (50.000 rijen, 20.000 voor deze regio)" in t for t in lines)
    assert ws.max_row < 80


def test_shielding_is_on_unless_switched_off():
    from assets.reports import DEFAULT_THRESHOLD, shielding_threshold
    from nazorg.reports import DEFAULT_THRESHOLD as REPORTS_DEFAULT

    assert DEFAULT_THRESHOLD == REPORTS_DEFAULT == 5
    assert shielding_threshold(None, None) == 5
    assert shielding_threshold(None, " ") == 5
    assert shielding_threshold(None, "0") == 0
    assert shielding_threshold(None, "10") == 10
    assert shielding_threshold(0, "10") == 0  # run config wins


def test_a_stay_band_without_a_row_reads_as_no_registration(tmp_path):
    con = build_warehouse(tmp_path / "w.duckdb")
    con.execute(
        "DELETE FROM kpi.length_of_stay WHERE release_year = 2020 AND stay_band = 'over_120_days'"
    )
    [path] = [
        p
        for p in write_region_workbooks(con, tmp_path / "r", suppression_threshold=0, run_time=RUN)
        if p.name == "kpi_midden-limburg.xlsx"
    ]
    ws = load_workbook(path)[TARGET_SHEET]
    row = row_of(ws, "2020", find(ws, "Uitstroomjaar")[0])
    assert row[7:9] == ["-", "-"] and row[9] == 149 and row[11] == 244  # the bands shown


def test_a_count_equal_to_the_threshold_stays_visible():
    """Counts 0 < n < N are hidden; n = N is shown, and so is 0 (nothing to protect)."""
    from nazorg.reports.layout.tables import Table, shield

    table = Table(["Gemeente", "Aantal"], ["text", "count"])
    for row in (["A", 5], ["B", 4], ["C", 3], ["D", 12], ["E", 0]):
        table.add_row(row)
    total = table.add_row(["Totaal", 24], total=True)
    table.totals.append(((total, 1), [(r, 1) for r in range(5)]))
    shield(table, 5)
    # B and C are hidden; two hidden members do not reveal each other through the total
    assert [row[1] for row in table.rows] == [5, "<5", "<5", 12, 0, 24]
