"""kpi.redetention on hand-made detention episodes (warehouse.md, issue 9).

The SQL runs directly on a tiny DuckDB holding only the staging columns it reads; the
asset and its business check run through Dagster on a temporary warehouse.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pandera.polars as pa
import polars as pl
import pytest

from assets.resources import NazorgWarehouse
from assets.sql import sql
from nazorg.warehouse import ensure_schemas, replace_table_from_sql
from schemas.redetention import Redetention

ML, GOOI, NOORD = "Midden-Limburg", "Gooi en Vechtstreek", "Noord-Limburg"
D = dt.date
DATA_END = D(2024, 12, 31)


def ep(
    person: str,
    admission: dt.date,
    release: dt.date | None = None,
    region: str | None = ML,
    *,
    last_event: dt.date | None = None,
) -> dict:
    """One detention episode; a release date means it ended with a release."""
    return {
        "episode_id": f"{person}-{admission.isoformat()}-{region}-{release}",
        "person_key": person,
        "admission_date": admission,
        "is_release": release is not None,
        "release_date": release,
        "region": region,
        "last_event_date": last_event or release or admission,
    }


def case(person: str, registered: dt.date, status: str = "Gestart", region: str = ML) -> dict:
    return {
        "region": region,
        "case_number": f"{region[:2]}-{person}-{registered.isoformat()}",
        "person_key": person,
        "registration_date": registered,
        "nazorg_plus": status,
    }


DETENTION_SCHEMA = {
    "episode_id": pl.String,
    "person_key": pl.String,
    "admission_date": pl.Date,
    "is_release": pl.Boolean,
    "release_date": pl.Date,
    "region": pl.String,
    "last_event_date": pl.Date,
}
CASE_SCHEMA = {
    "region": pl.String,
    "case_number": pl.String,
    "person_key": pl.String,
    "registration_date": pl.Date,
    "nazorg_plus": pl.String,
}


def write_staging(
    con: duckdb.DuckDBPyConnection,
    episodes: list[dict],
    cases: list[dict] | None,
    data_end: dt.date | None = DATA_END,
) -> None:
    """staging.detentions (plus an episode elsewhere that sets the end of the data) and,
    unless ``cases`` is None, staging.cases."""
    ensure_schemas(con)
    if data_end is not None:
        episodes = [*episodes, ep("someone-else", data_end, None, region=ML)]
    detentions = pl.DataFrame(episodes, schema=DETENTION_SCHEMA)  # noqa: F841 - DuckDB scan
    con.execute("CREATE OR REPLACE TABLE staging.detentions AS SELECT * FROM detentions")
    if cases is not None:
        frame = pl.DataFrame(cases, schema=CASE_SCHEMA)  # noqa: F841 - DuckDB scan
        con.execute("CREATE OR REPLACE TABLE staging.cases AS SELECT * FROM frame")


def build(
    episodes: list[dict], cases: list[dict] | None = (), data_end: dt.date | None = DATA_END
) -> pl.DataFrame:
    """Run kpi_redetention.sql; return the table, validated against its model."""
    con = duckdb.connect()
    write_staging(con, episodes, None if cases is None else list(cases), data_end)
    replace_table_from_sql(con, Redetention, sql("kpi_redetention"))
    table = con.sql("SELECT * FROM kpi.redetention").pl()
    Redetention.validate(table, lazy=True)
    return table


def row(table: pl.DataFrame, region: str, year: int, group: str = "all") -> dict:
    rows = table.filter(
        (pl.col("region") == region)
        & (pl.col("release_year") == year)
        & (pl.col("aftercare_group") == group)
    ).to_dicts()
    assert len(rows) == 1, (region, year, group, table)
    return rows[0]


# --------------------------------------------------------------------------- the window


def test_readmission_on_day_730_counts_and_on_day_731_not():
    release = D(2020, 3, 1)
    table = build(
        [
            ep("a", D(2020, 1, 1), release),
            ep("a", release + dt.timedelta(days=730)),  # day 730: counts
            ep("b", D(2020, 1, 1), release),
            ep("b", release + dt.timedelta(days=731)),  # day 731: does not
        ]
    )
    r = row(table, ML, 2020)
    assert (r["released_persons"], r["redetained_2y"], r["new_detentions_2y"]) == (2, 1, 1)
    assert r["prevalence_2y"] == 0.5 and r["incidence_2y"] == 0.5


def test_same_admission_date_is_not_a_new_detention():
    # A transfer is a notification within the episode; should an export still yield a
    # second row with the SAME admission date, it is the same detention, not a new one.
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 3, 1)),
            ep("a", D(2020, 1, 1), None),  # same admission date: the same detention
            # a real re-admission reported twice (same admission date) counts once
            ep("b", D(2020, 1, 1), D(2020, 3, 1)),
            ep("b", D(2020, 6, 1), D(2020, 6, 20)),
            ep("b", D(2020, 6, 1), None),
        ]
    )
    r = row(table, ML, 2020)
    assert (r["released_persons"], r["redetained_2y"], r["new_detentions_2y"]) == (2, 1, 1)


def test_admission_on_the_release_day_is_not_later():
    # released and admitted again the same day: never free, a continued detention
    table = build([ep("a", D(2020, 1, 1), D(2020, 3, 1)), ep("a", D(2020, 3, 1), D(2020, 5, 1))])
    r = row(table, ML, 2020)
    assert (r["redetained_2y"], r["new_detentions_2y"]) == (0, 0)


def test_several_new_detentions_give_incidence_above_prevalence():
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 2, 1)),
            ep("a", D(2020, 4, 1), D(2020, 5, 1)),
            ep("a", D(2021, 1, 1), D(2021, 3, 1)),
            ep("a", D(2021, 6, 1)),  # still detained at the end of the data
            ep("b", D(2020, 1, 1), D(2020, 2, 1)),
        ]
    )
    r = row(table, ML, 2020)
    assert (r["released_persons"], r["redetained_2y"], r["new_detentions_2y"]) == (2, 1, 3)
    assert r["prevalence_2y"] == 0.5 and r["incidence_2y"] == 1.5


# --------------------------------------------------------------------------- the anchor


def test_two_releases_in_a_year_use_the_first():
    first, second = D(2020, 3, 1), D(2020, 5, 1)
    table = build(
        [
            ep("a", D(2020, 1, 1), first, region=ML),
            ep("a", D(2020, 4, 1), second, region=GOOI),  # re-detention after the first
            # within 730 days of the second release but not of the first: not counted
            ep("a", first + dt.timedelta(days=740), None, region=GOOI),
        ]
    )
    r = row(table, ML, 2020)  # placed in the region of the FIRST release
    assert (r["released_persons"], r["redetained_2y"], r["new_detentions_2y"]) == (1, 1, 1)
    assert r["last_release_date"] == first
    assert table.filter(pl.col("region") == GOOI).is_empty()


def test_first_release_without_region_places_the_person_nowhere():
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 3, 1), region=None),
            ep("a", D(2020, 4, 1), D(2020, 5, 1), region=ML),
            ep("b", D(2020, 1, 1), D(2020, 3, 1), region=ML),
        ]
    )
    assert row(table, ML, 2020)["released_persons"] == 1


def test_each_release_year_is_its_own_cohort():
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 3, 1)),
            ep("a", D(2021, 1, 1), D(2021, 2, 1)),  # re-detention of the 2020 cohort
            ep("a", D(2021, 6, 1), D(2021, 7, 1)),  # of both cohorts
        ]
    )
    assert row(table, ML, 2020)["new_detentions_2y"] == 2
    assert row(table, ML, 2021)["new_detentions_2y"] == 1
    assert row(table, ML, 2021)["released_persons"] == 1


def test_no_release_no_cohort():
    # admitted and never released (or ended otherwise): not in any cohort
    table = build([ep("a", D(2020, 1, 1), None), ep("b", D(2020, 1, 1), D(2020, 2, 1))])
    assert row(table, ML, 2020)["released_persons"] == 1


# --------------------------------------------------------------------------- completeness


def test_incomplete_window_flagged_but_rates_given():
    # the end of the region's data is its latest notification: 2022-12-31
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 12, 31)),  # + 730 days = 2022-12-31 exactly
            ep("b", D(2021, 1, 1), D(2021, 3, 1)),
            ep("b", D(2021, 9, 1), D(2021, 10, 1)),
            ep("c", D(2021, 1, 1), D(2021, 6, 30)),  # last release of 2021
        ],
        data_end=D(2022, 12, 31),
    )
    complete = row(table, ML, 2020)
    assert complete["window_complete"] is True
    assert complete["data_end_date"] == D(2022, 12, 31)
    incomplete = row(table, ML, 2021)
    assert incomplete["window_complete"] is False
    assert incomplete["last_release_date"] == D(2021, 6, 30)
    assert incomplete["prevalence_2y"] == 0.5 and incomplete["new_detentions_2y"] == 1


def test_window_uses_the_latest_notification_not_the_latest_admission():
    table = build(
        [
            ep("a", D(2020, 1, 1), D(2020, 12, 31)),
            ep("x", D(2021, 5, 1), None, region=ML, last_event=D(2022, 12, 31)),  # a transfer
        ],
        data_end=None,
    )
    assert row(table, ML, 2020)["window_complete"] is True
    table = build([ep("a", D(2020, 1, 1), D(2020, 12, 31))], data_end=D(2022, 12, 30))
    assert row(table, ML, 2020)["window_complete"] is False


# --------------------------------------------------------------------------- groups


def test_nazorg_plus_only_with_a_started_case_in_that_region_and_year():
    persons = ["started", "other_region", "other_year", "registered", "twice", "none"]
    episodes = [ep(p, D(2020, 1, 1), D(2020, 3, 1)) for p in persons]
    episodes += [ep("started", D(2020, 5, 1), D(2020, 6, 1)), ep("none", D(2020, 5, 1))]
    cases = [
        case("started", D(2020, 2, 1)),
        case("other_region", D(2020, 2, 1), region=NOORD),
        case("other_year", D(2019, 12, 31)),
        case("registered", D(2020, 2, 1), status="Aangemeld"),
        case("twice", D(2020, 2, 1)),  # two started cases: still one person
        case("twice", D(2020, 8, 1)),
        case("twice", D(2020, 9, 1), status="Nee"),
    ]
    table = build(episodes, cases)
    plus, regular, everyone = (row(table, ML, 2020, g) for g in ("nazorg_plus", "regular", "all"))
    assert (plus["released_persons"], plus["redetained_2y"], plus["new_detentions_2y"]) == (
        2,
        1,
        1,
    )
    assert (regular["released_persons"], regular["redetained_2y"]) == (4, 1)
    assert (everyone["released_persons"], everyone["redetained_2y"]) == (6, 2)


def test_started_case_registered_after_the_release_still_counts_in_that_year():
    table = build([ep("a", D(2020, 1, 1), D(2020, 3, 1))], [case("a", D(2020, 11, 1))])
    assert row(table, ML, 2020, "nazorg_plus")["released_persons"] == 1


def test_all_is_the_sum_of_the_groups_and_empty_groups_are_absent():
    episodes, cases = [], []
    for i in range(30):
        person = f"p{i}"
        region = [ML, GOOI][i % 2]
        release = D(2020 + i % 3, 1 + i % 12, 1 + i % 28)
        episodes.append(ep(person, release - dt.timedelta(days=20), release, region=region))
        for k in range(i % 5):
            episodes.append(ep(person, release + dt.timedelta(days=100 + 200 * k), None))
        if i % 4 == 0:  # in Midden-Limburg (i even), in each of the three years
            cases.append(case(person, D(release.year, 6, 1)))
    table = build(episodes, cases)
    for (region, year), rows in table.group_by("region", "release_year"):
        by_group = {r["aftercare_group"]: r for r in rows.to_dicts()}
        parts = [g for g in ("nazorg_plus", "regular") if g in by_group]
        for column in ("released_persons", "redetained_2y", "new_detentions_2y"):
            total = sum(by_group[g][column] for g in parts)
            assert by_group["all"][column] == total, (region, year, column)
        assert len({r["window_complete"] for r in by_group.values()}) == 1, (region, year)
    assert (
        table.filter(pl.col("aftercare_group") == "nazorg_plus").height == 3
    )  # ML 2020, 2021, 2022
    assert not table.filter(
        (pl.col("region") == GOOI) & (pl.col("aftercare_group") == "nazorg_plus")
    ).height


# --------------------------------------------------------------------------- the model


def test_model_rejects_inconsistent_rows():
    good = build([ep("a", D(2020, 1, 1), D(2020, 3, 1)), ep("a", D(2020, 6, 1))])
    Redetention.validate(good)
    bad = pl.concat(
        [
            good.with_columns(redetained_2y=pl.lit(5, dtype=pl.Int64)),  # more than released
            good.with_columns(prevalence_2y=pl.lit(0.3)),  # not the quotient
            good.with_columns(window_complete=pl.lit(False)),  # contradicts the dates
            good.with_columns(aftercare_group=pl.lit("plus")),
        ]
    )
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        Redetention.validate(bad, lazy=True)
    failed = {c.split("(")[0] for c in raised.value.failure_cases["check"].cast(pl.String)}
    assert failed == {
        "redetained_within_released",
        "detentions_at_least_persons",  # 5 re-detained persons, 1 new detention
        "rates_are_quotients",
        "window_flag_matches_dates",
        "isin",
    }


def test_every_column_has_a_dutch_description_with_the_caveats():
    table_text, columns = Redetention.descriptions()
    assert all(text.strip() for text in columns.values()), columns
    assert list(columns)[:9] == [
        "region",
        "release_year",
        "aftercare_group",
        "released_persons",
        "redetained_2y",
        "prevalence_2y",
        "new_detentions_2y",
        "incidence_2y",
        "window_complete",
    ]
    for text in (table_text, columns["prevalence_2y"], columns["incidence_2y"]):
        assert "heropname in detentie" in text and "WODC" in text and "causaal" in text


# --------------------------------------------------------------------------- the asset


def _warehouse(tmp_path: Path, episodes: list[dict], cases: list[dict] | None) -> Path:
    path = tmp_path / "nazorg.duckdb"
    con = duckdb.connect(str(path))
    write_staging(con, episodes, cases)
    con.close()
    return path


REDETENTION = dg.AssetKey(["kpi", "redetention"])


def _materialize(path: Path, selection=None) -> dg.ExecuteInProcessResult:
    from assets.kpi import kpi_tables

    return dg.materialize(
        [kpi_tables],
        selection=selection or [REDETENTION],
        resources={"nazorg": NazorgWarehouse(warehouse=str(path))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _work_table(path: Path, result: dg.ExecuteInProcessResult) -> pl.DataFrame:
    work = path.parent / ".work" / f"{path.stem}-{result.run_id}.duckdb"
    con = duckdb.connect(str(work), read_only=True)
    try:
        return con.sql("SELECT * FROM kpi.redetention").pl()
    finally:
        con.close()


def test_asset_without_staging_cases_counts_everyone_as_regular(tmp_path):
    episodes = [ep("a", D(2020, 1, 1), D(2020, 3, 1)), ep("a", D(2020, 5, 1))]
    path = _warehouse(tmp_path, episodes, cases=None)
    result = _materialize(path)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("kpi_tables")
    assert materialization.asset_key == REDETENTION
    assert all(e.passed for e in result.get_asset_check_evaluations())
    table = _work_table(path, result)
    assert sorted(table["aftercare_group"]) == ["all", "regular"]
    assert row(table, ML, 2020)["redetained_2y"] == 1


def test_asset_with_staging_cases_and_the_groups_check_passes(tmp_path):
    episodes = [ep("a", D(2020, 1, 1), D(2020, 3, 1)), ep("b", D(2020, 1, 1), D(2020, 3, 1))]
    path = _warehouse(tmp_path, episodes, cases=[case("a", D(2020, 4, 1))])
    result = _materialize(path)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("kpi_tables")
    assert materialization.asset_key == REDETENTION
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {
        "groups_add_up": True,
        "matches_schema": True,
        "prevalence_not_zero": True,
    }
    assert sorted(_work_table(path, result)["aftercare_group"]) == ["all", "nazorg_plus", "regular"]


def test_groups_check_fails_when_all_is_not_the_sum(tmp_path):
    episodes = [ep("a", D(2020, 1, 1), D(2020, 3, 1)), ep("b", D(2020, 1, 1), D(2020, 3, 1))]
    path = _warehouse(tmp_path, episodes, cases=[case("a", D(2020, 4, 1))])
    con = duckdb.connect(str(path))
    replace_table_from_sql(con, Redetention, sql("kpi_redetention"))
    con.execute("""UPDATE kpi.redetention SET released_persons = 3 WHERE aftercare_group = 'all'""")
    con.close()
    result = _materialize(
        path, selection=dg.AssetSelection.checks(dg.AssetCheckKey(REDETENTION, "groups_add_up"))
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["offending_rows"].value == 1


def test_window_is_judged_on_the_regions_own_data_end():
    # Gooi's data (DPAN) stops at the end of 2013 while Limburg's (JustID) runs to 2022:
    # the Gooi 2013 cohort's window is not complete just because Limburg's data goes on.
    table = build(
        [
            ep("g", D(2013, 1, 1), D(2013, 3, 1), region=GOOI, last_event=D(2013, 12, 31)),
            ep("a", D(2020, 1, 1), D(2020, 12, 31)),
        ],
        data_end=D(2022, 12, 31),
    )
    assert row(table, GOOI, 2013)["window_complete"] is False
    assert row(table, GOOI, 2013)["data_end_date"] == D(2013, 12, 31)
    assert row(table, ML, 2020)["window_complete"] is True
