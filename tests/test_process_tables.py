"""kpi.length_of_stay, kpi.intake_timeliness and kpi.target_groups on hand-made staging
rows (warehouse.md, "Process and target groups"), and kpi.cohort_recidivism from the
MKBA's own arithmetic.

The SQL runs on a tiny DuckDB holding only the staging columns it reads; the tables are
validated against their Pandera models, and the business checks are run on broken
tables to show they catch what they guard.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from assets.checks import sql_check
from assets.kpi import KPI_TABLES
from assets.sql import sql
from nazorg.cohort import compute_mkba
from nazorg.mkba import InterviewedCase, MkbaParameters, compute_lines, recidivism
from nazorg.warehouse import ensure_schemas, replace_table_from_sql
from schemas.process import IntakeTimeliness, LengthOfStay, TargetGroups
from schemas.screening import ScreeningCoverage

ML, GOOI = "Midden-Limburg", "Gooi en Vechtstreek"
D = dt.date
DAY = dt.timedelta(days=1)
NEEDS = ("need_id", "need_housing", "need_work_income", "need_debts", "need_care")
WISHES = (
    "wish_id",
    "wish_housing",
    "wish_work_income",
    "wish_debts",
    "wish_care",
    "wish_social_network",
)

DETENTION_SCHEMA = {
    "episode_id": pl.String,
    "person_key": pl.String,
    "admission_date": pl.Date,
    "is_release": pl.Boolean,
    "release_date": pl.Date,
    "region": pl.String,
    "last_event_date": pl.Date,
    "birth_year": pl.Int64,
    "dpan_screened": pl.Boolean,
    "consent": pl.Boolean,
    **dict.fromkeys(NEEDS, pl.Boolean),
}
SCREENING_SCHEMA = {
    "episode_id": pl.String,
    "form_date": pl.Date,
    "consent": pl.Boolean,
    "source_file": pl.String,
    "source_row": pl.Int64,
    **dict.fromkeys(WISHES, pl.Boolean),
}
CASE_SCHEMA = {
    "region": pl.String,
    "person_key": pl.String,
    "registration_date": pl.Date,
    # read by the register's coverage (year_complete), empty here
    "outflow_date": pl.Date,
    "trajectory_start_date": pl.Date,
    "trajectory_end_date": pl.Date,
}


def ep(
    person: str,
    admission: dt.date,
    release: dt.date | None = None,
    region: str | None = ML,
    *,
    birth_year: int | None = 1980,
    needs: dict | None = None,
) -> dict:
    """One detention episode; a release date means it ended with a release."""
    needs = needs or {}
    return {
        "episode_id": f"{person}-{admission.isoformat()}",
        "person_key": person,
        "admission_date": admission,
        "is_release": release is not None,
        "release_date": release,
        "region": region,
        "last_event_date": release or admission,
        "birth_year": birth_year,
        "dpan_screened": bool(needs),
        "consent": None,
        **{n: needs.get(n) for n in NEEDS},
    }


def form(episode: dict, form_date: dt.date, row: int = 1, **wishes: bool) -> dict:
    return {
        "episode_id": episode["episode_id"],
        "form_date": form_date,
        "consent": True,
        "source_file": "screening/x.csv",
        "source_row": row,
        **{w: wishes.get(w.removeprefix("wish_")) for w in WISHES},
    }


def case(person: str, registered: dt.date, region: str = ML) -> dict:
    return {"region": region, "person_key": person, "registration_date": registered}


# Episodes of someone else that make the data cover 2019-2021 in Midden-Limburg (first
# admission 1 January 2019, latest event 31 December 2021), and a form on each end.
def _coverage_rows() -> tuple[list[dict], list[dict]]:
    first = ep("cover", D(2019, 1, 1), D(2019, 1, 2))
    last = ep("cover", D(2021, 12, 31))
    return [first, last], [form(first, D(2019, 1, 1)), form(last, D(2021, 12, 31))]


def warehouse(
    episodes: list[dict],
    forms: list[dict] = (),
    cases: list[dict] | None = (),
    *,
    coverage: bool = True,
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)
    if coverage:
        extra_episodes, extra_forms = _coverage_rows()
        episodes, forms = [*episodes, *extra_episodes], [*forms, *extra_forms]
    detentions = pl.DataFrame(episodes, schema=DETENTION_SCHEMA)  # noqa: F841 - DuckDB scan
    screenings = pl.DataFrame(list(forms), schema=SCREENING_SCHEMA)  # noqa: F841
    con.execute("CREATE TABLE staging.detentions AS SELECT * FROM detentions")
    con.execute("CREATE TABLE staging.screenings AS SELECT * FROM screenings")
    if cases is not None:
        registered = pl.DataFrame(list(cases), schema=CASE_SCHEMA)  # noqa: F841
        con.execute("CREATE TABLE staging.cases AS SELECT * FROM registered")
    return con


def build(con: duckdb.DuckDBPyConnection, model) -> pl.DataFrame:
    """The model's table from its SQL (as the asset builds it), validated."""
    kpi = next(t for t in KPI_TABLES if t.model is model)
    replace_table_from_sql(con, model, kpi.query(con))
    table = con.sql(f"SELECT * FROM {model.table()}").pl()
    model.validate(table, lazy=True)
    return table


def rows(table: pl.DataFrame, key: str, **where) -> dict:
    picked = table
    for column, value in where.items():
        picked = picked.filter(pl.col(column) == value)
    return {r[key]: r for r in picked.to_dicts()}


MID_2020 = D(2020, 6, 30)


def stay(person: str, days: int, release: dt.date = MID_2020, **kwargs) -> dict:
    return ep(person, release - days * DAY, release, **kwargs)


# ----------------------------------------------------------------- kpi.length_of_stay


def test_stay_bands_at_their_boundaries():
    con = warehouse([stay(f"p{d}", d) for d in (0, 7, 8, 28, 29, 120, 121, 400)])
    bands = rows(build(con, LengthOfStay), "stay_band", region=ML, release_year=2020)
    counts = {band: r["released_episodes"] for band, r in bands.items()}
    # 0 and 7 days; 8 and 28 (within four weeks); 29 and 120; 121 and 400 (four months on)
    assert counts == {
        "up_to_7_days": 2,
        "8_to_28_days": 2,
        "29_to_120_days": 2,
        "over_120_days": 2,
    }
    assert {r["share"] for r in bands.values()} == {0.25}
    assert bands["over_120_days"]["days_from"] == 121 and bands["over_120_days"]["days_to"] is None
    assert bands["8_to_28_days"]["days_to"] == 28


def test_stay_counts_released_episodes_of_the_region_every_band_given():
    con = warehouse(
        [
            stay("a", 3),
            stay("a", 40, release=D(2020, 9, 1)),  # the same person twice: two episodes
            stay("b", 3, region=None),  # no municipality: in no region
            ep("c", D(2020, 5, 1)),  # still detained: no release
            stay("d", 3, region=GOOI),
        ]
    )
    table = build(con, LengthOfStay)
    ml = rows(table, "stay_band", region=ML, release_year=2020)
    assert {b: r["released_episodes"] for b, r in ml.items()} == {
        "up_to_7_days": 1,
        "8_to_28_days": 0,
        "29_to_120_days": 1,
        "over_120_days": 0,
    }
    assert {r["region_year_episodes"] for r in ml.values()} == {2}
    gooi = rows(table, "stay_band", region=GOOI, release_year=2020)
    assert gooi["up_to_7_days"]["share"] == 1.0 and gooi["over_120_days"]["share"] == 0.0


def test_year_complete_needs_data_from_1_january_to_31_december():
    con = warehouse(
        [stay("a", 3, release=D(y, 6, 1)) for y in (2019, 2020, 2021)]
        + [
            ep("late", D(2021, 12, 20), D(2021, 12, 30)),
            stay("g", 3, release=D(2020, 6, 1), region=GOOI),  # Gooi: only 2020 in part
        ],
    )
    table = build(con, LengthOfStay)
    flags = {
        (r["region"], r["release_year"]): r["year_complete"]
        for r in table.filter(pl.col("band_order") == 1).to_dicts()
    }
    # Midden-Limburg: first admission 1-1-2019, latest event 31-12-2021
    assert flags == {
        (ML, 2019): True,
        (ML, 2020): True,
        (ML, 2021): True,
        (GOOI, 2020): False,
    }
    # without the last day the last year is still running
    con = warehouse(
        [stay("a", 3, release=D(2021, 6, 1)), ep("x", D(2019, 1, 1), D(2021, 12, 30))],
        coverage=False,
    )
    table = build(con, LengthOfStay)
    assert set(table["year_complete"]) == {False}


def test_bands_check_catches_a_band_that_loses_episodes():
    con = warehouse([stay("a", 3), stay("b", 30), stay("c", 200)])
    replace_table_from_sql(con, ScreeningCoverage, sql("kpi_screening_coverage"))
    build(con, LengthOfStay)
    check = sql_check("bands_sum_to_released_episodes")
    assert con.sql(check.query).fetchall() == []
    con.execute("UPDATE kpi.length_of_stay SET released_episodes = 0 WHERE band_order = 4")
    assert len(con.sql(check.query).fetchall()) == 1


# -------------------------------------------------------------- kpi.intake_timeliness


def test_five_day_boundary_and_the_first_form():
    a, b, c, d = (ep(p, D(2020, 3, 1), D(2020, 5, 1)) for p in "abcd")
    forms = [
        form(a, D(2020, 3, 6)),  # day 5: within
        form(b, D(2020, 3, 7)),  # day 6: not
        form(c, D(2020, 3, 9), row=1),  # day 8 ...
        form(c, D(2020, 3, 3), row=2),  # ... but the first form was on day 2: within
    ]
    con = warehouse([a, b, c, d], forms)
    r = rows(build(con, IntakeTimeliness), "admission_year", region=ML)[2020]
    assert (r["admissions"], r["with_form"], r["within_5_days"]) == (4, 3, 2)
    assert r["share_within_5_days"] == pytest.approx(2 / 3)
    assert r["share_with_form"] == 0.75
    assert r["median_days_to_form"] == 5.0  # days 2, 5, 6
    assert r["year_complete"] is True


def test_no_forms_gives_no_share_and_an_uncovered_year():
    # DPAN-era episodes: screened in DPAN, but no dated form
    con = warehouse(
        [ep("a", D(2012, 3, 1), D(2012, 4, 1), GOOI, needs={"need_id": True})], coverage=False
    )
    r = rows(build(con, IntakeTimeliness), "admission_year", region=GOOI)[2012]
    assert (r["admissions"], r["with_form"], r["within_5_days"]) == (1, 0, 0)
    assert r["share_within_5_days"] is None and r["median_days_to_form"] is None
    assert r["year_complete"] is False  # no forms: the forms cover no year


def test_admissions_check_catches_a_lost_form():
    a = ep("a", D(2020, 3, 1), D(2020, 5, 1))
    con = warehouse([a, ep("b", D(2020, 3, 1))], [form(a, D(2020, 3, 2))])
    build(con, IntakeTimeliness)
    check = sql_check("admissions_match_episodes")
    assert con.sql(check.query).fetchall() == []
    con.execute("UPDATE kpi.intake_timeliness SET with_form = 0 WHERE admission_year = 2020")
    assert len(con.sql(check.query).fetchall()) == 1


# ------------------------------------------------------------------ kpi.target_groups


def _groups(con) -> dict[str, dict]:
    return rows(build(con, TargetGroups), "target_group", region=ML, release_year=2020)


def test_age_27_boundary():
    con = warehouse(
        [
            stay("young", 10, birth_year=1994),  # 2020 - 1994 = 26: under 27
            stay("old", 10, birth_year=1993),  # 27: not
            stay("unknown", 10, birth_year=None),  # no birth year: not placed in the group
        ]
    )
    groups = _groups(con)
    assert groups["under_27"]["released_persons"] == 1
    assert groups["all"]["released_persons"] == 3


def test_more_than_three_admissions_in_five_years():
    release = D(2020, 6, 30)
    admission = release - 10 * DAY
    five_years_before = D(2015, 6, 20)
    earlier = [D(2016, 1, 1), D(2017, 1, 1), D(2018, 1, 1)]
    con = warehouse(
        [
            # four admissions including this one: a frequent returner
            *[ep("four", day, day + 5 * DAY) for day in earlier],
            ep("four", admission, release),
            # three admissions, the fourth exactly five years before: not in the window
            ep("three", five_years_before, five_years_before + 5 * DAY),
            *[ep("three", day, day + 5 * DAY) for day in earlier[1:]],
            ep("three", admission, release),
            # an admission after this release does not count either
            *[ep("later", day, day + 5 * DAY) for day in earlier[:2]],
            ep("later", admission, release),
            ep("later", D(2020, 9, 1)),
        ]
    )
    groups = _groups(con)
    assert groups["frequent_returner"]["released_persons"] == 1
    assert five_years_before == admission.replace(year=admission.year - 5)


def test_support_wish_from_the_latest_form_or_dpan():
    a, b, c, d = (stay(p, 10) for p in "abcd")
    e = stay("e", 10, needs={"need_housing": True})  # no form: the DPAN Hulpvraag
    forms = [
        form(a, D(2020, 6, 22), housing=True),  # a wish
        form(b, D(2020, 6, 21), debts=True),  # an earlier form wished ...
        form(b, D(2020, 6, 23), row=2, debts=False),  # ... the latest says Nee
        form(c, D(2020, 6, 22), id=False, care=None),  # only Nee and unknown
    ]
    groups = _groups(warehouse([a, b, c, d, e], forms))
    assert groups["support_wish"]["released_persons"] == 2  # a and e


def test_reached_means_a_case_in_the_region_within_the_year_and_90_days():
    persons = [stay(p, 10) for p in ("jan1", "day90", "day91", "before", "elsewhere", "none")]
    cases = [
        case("jan1", D(2020, 1, 1)),
        case("day90", D(2020, 12, 31) + 90 * DAY),
        case("day91", D(2020, 12, 31) + 91 * DAY),
        case("before", D(2019, 12, 31)),
        case("elsewhere", D(2020, 7, 1), region=GOOI),
    ]
    groups = _groups(warehouse(persons, cases=cases))
    assert (groups["all"]["released_persons"], groups["all"]["with_case"]) == (6, 2)
    assert groups["all"]["share_with_case"] == pytest.approx(2 / 6)
    # every group is given, an empty one without a share
    assert groups["frequent_returner"]["released_persons"] == 0
    assert groups["frequent_returner"]["share_with_case"] is None


def test_placed_at_the_last_release_like_the_outflow():
    con = warehouse(
        [
            ep("a", D(2020, 1, 1), D(2020, 2, 1), GOOI, birth_year=2000),
            ep("a", D(2020, 5, 1), D(2020, 6, 1), ML, birth_year=2000),
        ],
        cases=[case("a", D(2020, 2, 2), region=GOOI)],
    )
    table = build(con, TargetGroups)
    assert set(table["region"]) == {ML}  # placed at the last release only
    groups = rows(table, "target_group", region=ML, release_year=2020)
    assert groups["under_27"]["released_persons"] == 1
    assert groups["all"]["with_case"] == 0  # the case is in the other region's register


def test_without_a_case_register_nobody_is_reached():
    con = warehouse([stay("a", 10)], cases=None)
    table = build(con, TargetGroups)
    assert set(table["with_case"]) == {0} and set(table["year_complete"]) == {False}


def test_groups_check_catches_a_group_larger_than_all():
    con = warehouse([stay("a", 10, birth_year=2000), stay("b", 10)])
    build(con, TargetGroups)
    check = sql_check("group_within_all")
    assert con.sql(check.query).fetchall() == []
    con.execute(
        "UPDATE kpi.target_groups SET released_persons = 3 "
        "WHERE target_group = 'under_27' AND release_year = 2020"
    )
    assert len(con.sql(check.query).fetchall()) == 1


def test_year_complete_reads_the_shared_coverage_definitions():
    """The three tables paste the coverage of the sources they read from the one place
    every yearly KPI table takes it from (warehouse/sql/coverage_*.sql)."""
    reads = {
        "kpi_length_of_stay": ("coverage_detentions",),
        "kpi_intake_timeliness": ("coverage_detentions", "coverage_screenings"),
        "kpi_target_groups": ("coverage_detentions", "coverage_cases"),
    }
    for name, fragments in reads.items():
        text = sql(name)
        assert "-- include:" not in text
        for fragment in fragments:
            assert sql(fragment).strip() in text, (name, fragment)


# -------------------------------------------------------------- kpi.cohort_recidivism


def _cases(offences: list[int]) -> list[InterviewedCase]:
    return [InterviewedCase(offences=n, recidivism=n > 0) for n in offences]


def test_recidivism_of_the_report():
    r = recidivism(_cases([1, 1, 1, 2, 2] + [0] * 7), MkbaParameters())
    assert (r.interviewed, r.expected_recidivists, r.expected_offences) == (12, 6.0, 16.0)
    assert (r.observed_recidivists, r.observed_offences) == (5, 7)
    assert (r.avoided_offences, r.avoided_offences_per_year) == (9.0, 4.5)


@pytest.mark.parametrize(
    ("n", "prevalence", "per_recidivist", "expected"),
    [
        (12, 0.5, 2.7, 16),  # 16.2
        (5, 0.5, 3.0, 8),  # 7.5: half away from zero, not to even
        (13, 0.5, 2.7, 18),  # 17.55
        (3, 0.5, 1.0, 2),  # 1.5
    ],
)
def test_expected_offences_round_half_away_from_zero(n, prevalence, per_recidivist, expected):
    params = MkbaParameters(reference_prevalence=prevalence, offences_per_recidivist=per_recidivist)
    assert recidivism(_cases([0] * n), params).expected_offences == expected


@pytest.mark.parametrize(
    "params",
    [
        MkbaParameters(),
        MkbaParameters(reference_prevalence=0.3, offences_per_recidivist=3.5, observation_years=3),
        MkbaParameters(cost_per_offence=2500, haircut=1.0),
    ],
)
def test_recidivism_feeds_the_offence_damage_line(params):
    cases = _cases([0, 3, 0, 1, 0, 0, 2])
    r = recidivism(cases, params)
    line = next(
        row
        for row in compute_lines(cases, 40, params)
        if row.variant == "A" and row.line == "avoided_offence_damage"
    )
    assert line.amount_per_year_sample == pytest.approx(
        r.avoided_offences_per_year * params.cost_per_offence * params.haircut
    )


def test_recidivism_also_without_a_cohort_size():
    sample = pl.DataFrame(
        {
            "region": [ML] * 3,
            "cohort_year": [2021] * 3,
            "case_number": ["1", "2", "3"],
            "status": ["Geïnterviewd", "Geïnterviewd", "Onbereikbaar"],
            "recidivism": [True, False, None],
            "offences": [2, 0, None],
            "police_incidents_per_year": [None] * 3,
            "benefit_months_per_year": [None] * 3,
            "benefit_months_once": [None] * 3,
            "attribution": [None] * 3,
            "one_off_costs_eur": [None] * 3,
            "source_row": [1, 2, 3],
        },
        schema_overrides={c: pl.Float64 for c in ("police_incidents_per_year", "attribution")},
    )
    funnel = pl.DataFrame(
        {"region": [], "cohort_year": [], "stage": [], "persons": []},
        schema={
            "region": pl.String,
            "cohort_year": pl.Int64,
            "stage": pl.String,
            "persons": pl.Int64,
        },
    )
    tables = compute_mkba(sample, funnel, MkbaParameters(), draws=10, seed=1)
    assert tables.summary.height == 0 and tables.skipped  # no N: no MKBA
    (r,) = tables.recidivism.to_dicts()
    # 2 × 0.5 × 2.7 = 2.7 → 3 expected; 2 observed
    assert (r["interviewed"], r["expected_offences"], r["observed_offences"]) == (2, 3.0, 2)
    assert (r["observed_recidivists"], r["avoided_offences"]) == (1, 1.0)


def test_built_without_a_case_register():
    """A warehouse without staging.cases (no register loaded yet) still builds all three:
    the target groups' year_complete reads the register, which then covers no year."""
    con = warehouse([stay("a", 10)], [], cases=None)
    assert build(con, LengthOfStay).height == 8  # 2019 (coverage) and 2020, four bands
    assert build(con, IntakeTimeliness).height == 3
    assert build(con, TargetGroups).height == 8
