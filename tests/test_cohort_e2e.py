"""End to end: the Midden-Limburg cohort 2020 of the Limburg evaluation (kpi-method.md
part B) from the demo data, the example exports of the cohort source, and a run whose
config overrides an MKBA parameter. Needs the case registration (``staging.cases``)."""

import shutil

import duckdb
import pytest

from nazorg.cohort import interviewed_cases
from nazorg.mkba import MkbaParameters, bootstrap
from tests.conftest import EXAMPLES, RAW, run_nightly

ML = "Midden-Limburg"
MONEY = 10.0  # € tolerance against the published table

FUNNEL = {
    "released": 285,
    "gross_intake": 93,
    "trajectory_started": 69,
    "sampled": 20,
    "approached": 15,
    "interviewed": 12,
}

# line -> (sample period, cohort, variants)
PUBLISHED_LINES = {
    "coordinator_salary": (17217.39, 99000.0, "AB"),
    "case_investments": (4000.0, 23000.0, "AB"),
    "avoided_offence_damage": (4500.0, 25875.0, "A"),
    "avoided_police_effort": (8260.0, 47495.0, "B"),
    "avoided_detention_days": (17217.39, 99000.0, "B"),
    "avoided_benefit_costs": (20000.0, 115000.0, "AB"),
    "avoided_benefit_costs_once": (3000.0, 17250.0, "AB"),
}
PUBLISHED_SUMMARY = {
    "A": dict(
        total_costs=122000,
        total_benefits=158125,
        net_benefit=36125,
        benefits_excl_transfers=25875,
    ),
    "B": dict(
        total_costs=122000,
        total_benefits=278745,
        net_benefit=156745,
        benefits_excl_transfers=146495,
    ),
}
PUBLISHED_RATIO = {"A": 1.30, "B": 2.28}

COHORT_TABLES = (
    "reach_funnel",
    "cohort_benefit",
    "cohort_benefit_summary",
    "cohort_parameters",
    "cohort_sensitivity",
    "cohort_uncertainty",
    "cohort_outcomes",
)


def _records(con, query: str, params=None) -> list[dict]:
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _funnel(con) -> dict:
    rows = _records(
        con,
        "SELECT * FROM kpi.reach_funnel WHERE region = ? AND cohort_year = 2020 ORDER BY stage_order",
        [ML],
    )
    return {r["stage"]: r for r in rows}


# ------------------------------------------------------------------- the demo cohort


def test_reach_funnel_reproduces_the_report(demo_warehouse):
    funnel = _funnel(demo_warehouse)
    assert list(funnel) == list(FUNNEL)
    assert {stage: r["persons"] for stage, r in funnel.items()} == FUNNEL
    # §4.5: 33% of the outflow, 74% of the gross intake and 24% of the outflow.
    assert abs(funnel["gross_intake"]["share_of_released"] * 100 - 33) <= 1
    assert abs(funnel["trajectory_started"]["share_of_previous"] * 100 - 74) <= 1
    assert abs(funnel["trajectory_started"]["share_of_released"] * 100 - 24) <= 1
    assert funnel["released"]["share_of_previous"] is None
    assert funnel["interviewed"]["share_of_previous"] == pytest.approx(12 / 15)


def test_hard_non_response_is_two_of_twenty(demo_warehouse):
    counts = dict(
        demo_warehouse.execute(
            "SELECT status, count(*) FROM staging.cohort_sample WHERE region = ? "
            "AND cohort_year = 2020 GROUP BY status",
            [ML],
        ).fetchall()
    )
    assert counts == {"Geïnterviewd": 12, "Onbereikbaar": 5, "Weigering": 2, "Afgezegd": 1}
    assert counts["Weigering"] / sum(counts.values()) == pytest.approx(0.10)


def test_the_follow_up_file_loads_completely(demo_warehouse):
    ledger = demo_warehouse.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger "
        "WHERE source = 'cohort'"
    ).fetchall()
    assert ledger == [("cohort/midden-limburg/steekproef_cohort_2020.xlsx", "loaded", 20, 20, 0)]
    assert demo_warehouse.execute(
        "SELECT count(*) FROM quality.rejected_rows WHERE source = 'cohort'"
    ).fetchall() == [(0,)]
    # Every sampled case is a started trajectory of the register.
    orphans = demo_warehouse.execute(
        """SELECT s.case_number FROM staging.cohort_sample s
           LEFT JOIN staging.cases c ON c.region = s.region AND c.case_number = s.case_number
           WHERE c.person_key IS DISTINCT FROM s.person_key OR c.nazorg_plus <> 'Gestart'"""
    ).fetchall()
    assert orphans == []


def test_benefit_summary_reproduces_the_published_balance(demo_warehouse):
    rows = _records(
        demo_warehouse,
        "SELECT * FROM kpi.cohort_benefit_summary WHERE region = ? AND cohort_year = 2020",
        [ML],
    )
    summary = {r["variant"]: r for r in rows}
    assert set(summary) == {"A", "B"}
    for variant, published in PUBLISHED_SUMMARY.items():
        s = summary[variant]
        assert (s["cohort_size"], s["sample_size"]) == (69, 12)
        assert s["extrapolation_factor"] == pytest.approx(5.75)
        for column, value in published.items():
            assert s[column] == pytest.approx(value, abs=MONEY), (variant, column)
        assert round(s["benefit_cost_ratio"], 2) == PUBLISHED_RATIO[variant]
    assert round(summary["A"]["ratio_excl_transfers"], 2) == 0.21
    assert round(summary["B"]["ratio_excl_transfers"], 2) == 1.20


def test_every_benefit_line_matches_the_published_table(demo_warehouse):
    rows = _records(
        demo_warehouse,
        "SELECT * FROM kpi.cohort_benefit WHERE region = ? AND cohort_year = 2020",
        [ML],
    )
    got = {(r["variant"], r["line"]): r for r in rows}
    expected = {(v, line) for line, (*_, vs) in PUBLISHED_LINES.items() for v in vs}
    assert set(got) == expected
    for (variant, line), r in got.items():
        period, cohort, _ = PUBLISHED_LINES[line]
        assert r["amount_sample_period"] == pytest.approx(period, abs=MONEY), (variant, line)
        assert r["amount_cohort"] == pytest.approx(cohort, abs=MONEY), (variant, line)
        expected_kind = "cost" if line in {"coordinator_salary", "case_investments"} else "benefit"
        assert r["kind"] == expected_kind


def test_parameters_are_recorded_with_the_report_defaults(demo_warehouse):
    used = dict(
        demo_warehouse.execute(
            "SELECT parameter, value FROM kpi.cohort_parameters WHERE region = ? AND cohort_year = 2020",
            [ML],
        ).fetchall()
    )
    for name, value in MkbaParameters().as_rows():
        assert used[name] == pytest.approx(value), name
    assert used["bootstrap_draws"] == 10_000


def test_uncertainty_is_the_seeded_bootstrap(demo_warehouse):
    rows = _records(
        demo_warehouse,
        "SELECT * FROM kpi.cohort_uncertainty WHERE region = ? AND cohort_year = 2020",
        [ML],
    )
    assert {r["variant"] for r in rows} == {"A", "B"}
    sample = demo_warehouse.sql(
        "SELECT * FROM staging.cohort_sample WHERE region = 'Midden-Limburg' AND cohort_year = 2020"
    ).pl()
    cases = interviewed_cases(sample)
    for r in rows:
        assert r["ratio_p05"] <= r["ratio_p50"] <= r["ratio_p95"]
        assert r["ratio_p05"] < r["benefit_cost_ratio"] < r["ratio_p95"]
        # Deterministic: the same seed over the same cases gives the same interval.
        (again,) = [
            i
            for i in bootstrap(cases, 69, MkbaParameters(), draws=r["draws"], seed=r["seed"])
            if i.variant == r["variant"]
        ]
        assert (again.ratio_p05, again.ratio_p50, again.ratio_p95) == pytest.approx(
            (r["ratio_p05"], r["ratio_p50"], r["ratio_p95"])
        )


def test_sensitivity_has_the_dutch_discount_rate_and_break_even_rows(demo_warehouse):
    rows = _records(
        demo_warehouse,
        "SELECT * FROM kpi.cohort_sensitivity WHERE region = ? AND cohort_year = 2020",
        [ML],
    )
    discounted = {
        r["variant"]: r["benefit_cost_ratio"]
        for r in rows
        if r["kind"] == "sensitivity"
        and r["parameter"] == "discount_rate"
        and r["value"] == pytest.approx(0.0225)
    }
    assert set(discounted) == {"A", "B"}
    assert discounted["B"] < 2.2848 and discounted["A"] < 1.2962
    parameters = {r["parameter"] for r in rows if r["kind"] == "sensitivity"}
    assert {
        "haircut",
        "attribution",
        "cost_per_offence",
        "reference_prevalence",
        "offences_per_recidivist",
        "police_hours_per_incident",
        "detention_days_per_year",
        "horizon_years",
        "work_years_counted",
        "discount_rate",
    } <= parameters
    breaks = {(r["variant"], r["parameter"]): r["value"] for r in rows if r["kind"] == "break_even"}
    assert breaks == {("A", "attribution"): pytest.approx(0.382)}


def test_outcomes_of_the_interviews(demo_warehouse):
    got = {
        (domain, outcome): cases
        for domain, outcome, cases in demo_warehouse.execute(
            "SELECT life_domain, outcome, cases FROM kpi.cohort_outcomes "
            "WHERE region = ? AND cohort_year = 2020",
            [ML],
        ).fetchall()
    }
    assert got[("recidivism", "Ja")] == 5 and got[("recidivism", "Nee")] == 7
    assert got[("work_income", "Positief")] == 4
    assert got[("work_income", "Neutraal tot positief")] == 2
    assert got[("work_income", "Neutraal")] == 6
    assert got[("housing", "Positief")] == 8
    # Debts present in 9 of 12: only the three without debts are 'Neutraal'.
    assert got[("debts", "Neutraal")] == 3


def test_cohort_tables_and_columns_are_described(demo_warehouse):
    for table in COHORT_TABLES:
        (comment,) = demo_warehouse.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'kpi' AND table_name = ?",
            [table],
        ).fetchall()[0]
        assert comment, table
        missing = demo_warehouse.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'kpi' "
            "AND table_name = ? AND (comment IS NULL OR comment = '')",
            [table],
        ).fetchall()
        assert missing == [], table


def test_cohort_checks_passed(demo_build):
    result, _ = demo_build
    evaluations = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] in {*COHORT_TABLES, "cohort_sample"}
    ]
    names = {e.check_name for e in evaluations}
    assert {"matches_schema", "stages_nested", "sizes_match_funnel"} <= names
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []


# ------------------------------------------------------------- a run with other config


def test_run_config_overrides_a_parameter(tmp_path, demo_warehouse):
    warehouse = tmp_path / "nazorg.duckdb"
    config = {"cost_per_offence": 2000, "bootstrap_draws": 500, "bootstrap_seed": 7}
    result = run_nightly(RAW, warehouse, run_config={"ops": {"cohort_mkba": {"config": config}}})
    assert result.success
    query = (
        "SELECT amount_per_year_sample, amount_cohort FROM kpi.cohort_benefit "
        "WHERE region = 'Midden-Limburg' AND cohort_year = 2020 AND line = 'avoided_offence_damage'"
    )
    base = demo_warehouse.execute(query).fetchall()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        doubled = con.execute(query).fetchall()
        used = dict(con.execute("SELECT parameter, value FROM kpi.cohort_parameters").fetchall())
        draws = con.execute("SELECT DISTINCT draws, seed FROM kpi.cohort_uncertainty").fetchall()
        police = con.execute(
            "SELECT amount_cohort FROM kpi.cohort_benefit WHERE line = 'avoided_police_effort'"
        ).fetchall()
    finally:
        con.close()
    assert len(base) == len(doubled) == 1
    assert doubled[0][0] == pytest.approx(2 * base[0][0])
    assert doubled[0][1] == pytest.approx(2 * 25875, abs=2 * MONEY)
    assert police == [(pytest.approx(47495, abs=MONEY),)]  # other lines unchanged
    assert used["cost_per_offence"] == 2000 and used["salary"] == 99000
    assert draws == [(500, 7)]


# ------------------------------------------------------------ the example exports


@pytest.fixture(scope="module")
def example_cohort(tmp_path_factory):
    """The cohort example together with the register its case numbers come from."""
    folder = tmp_path_factory.mktemp("cohort-examples")
    raw = folder / "raw"
    for source in ("caseload/midden-limburg", "cohort/midden-limburg"):
        shutil.copytree(EXAMPLES / source, raw / source)
    result = run_nightly(raw, folder / "nazorg.duckdb")
    assert result.success
    con = duckdb.connect(str(folder / "nazorg.duckdb"), read_only=True)
    yield con
    con.close()


def test_example_cohort_loads_against_the_example_register(example_cohort):
    ledger = example_cohort.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger "
        "WHERE source = 'cohort'"
    ).fetchall()
    assert ledger == [("cohort/midden-limburg/steekproef_cohort_2020.xlsx", "loaded", 4, 4, 0)]
    rows = _records(
        example_cohort,
        """SELECT s.case_number, s.status, s.attribution, s.one_off_costs_eur, s.offences,
                  s.person_key = c.person_key AS same_person
           FROM staging.cohort_sample s
           JOIN staging.cases c ON c.region = s.region AND c.case_number = s.case_number
           ORDER BY s.case_number""",
    )
    assert [(r["case_number"], r["status"]) for r in rows] == [
        ("ML-2020-017", "Geïnterviewd"),
        ("ML-2020-023", "Geïnterviewd"),
        ("ML-2020-031", "Onbereikbaar"),
        ("ML-2020-044", "Weigering"),
    ]
    assert all(r["same_person"] for r in rows)
    assert rows[1]["attribution"] == 0.5  # written '0,5'
    assert rows[1]["one_off_costs_eur"] == 2500 and rows[1]["offences"] == 2


def test_example_funnel_and_mkba(example_cohort):
    funnel = {
        stage: (persons, share)
        for stage, persons, share in example_cohort.execute(
            "SELECT stage, persons, share_of_released FROM kpi.reach_funnel "
            "WHERE region = 'Midden-Limburg' AND cohort_year = 2020"
        ).fetchall()
    }
    # No detentions in this raw folder: the outflow is unknown, so are shares of it.
    assert funnel == {
        "released": (None, None),
        "gross_intake": (5, None),
        "trajectory_started": (4, None),
        "sampled": (4, None),
        "approached": (3, None),
        "interviewed": (2, None),
    }
    sizes = example_cohort.execute(
        "SELECT DISTINCT cohort_size, sample_size FROM kpi.cohort_benefit_summary"
    ).fetchall()
    assert sizes == [(4, 2)]
