"""End to end on the demo data: re-detention of the Midden-Limburg 2020 release cohort.

The demo (nazorg/demo/population.py) re-detains 21 of the 69 persons who started a
nazorg-plus trajectory (ML_REDETAINED_STARTED) and 97 of the 192 persons without any
nazorg-plus registration (ML_REDETAINED_REGULAR). The 'regular' group of the contract
is everyone released who did not START a trajectory: those 192 plus the 24 persons
who were only registered ('Aangemeld'), 216 in all. One of those 24 was released twice
in 2020, and the second detention is a re-detention of the first release, so the
regular group has 98 re-detained persons, not 97, and the cohort 119, not 118.

The numbers of new detentions were derived by hand once from the demo episodes and are
hard-coded here (recomputing them from the population module in the test would only
repeat the SQL in Python). They change if the demo's random draws change.
"""

import datetime as dt

import pytest
from openpyxl import load_workbook

ML = "Midden-Limburg"

# group: (released_persons, redetained_2y, new_detentions_2y)
ML_2020 = {
    "nazorg_plus": (69, 21, 30),
    "regular": (216, 98, 149),
    "all": (285, 119, 179),
}


def _rows(con, region: str, year: int) -> dict[str, dict]:
    cursor = con.execute(
        "SELECT * FROM kpi.redetention WHERE region = ? AND release_year = ? ORDER BY aftercare_group",
        [region, year],
    )
    names = [d[0] for d in cursor.description]
    return {
        r["aftercare_group"]: r
        for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    }


@pytest.mark.parametrize("group", list(ML_2020))
def test_midden_limburg_2020_per_group(demo_warehouse, group):
    released, redetained, new = ML_2020[group]
    r = _rows(demo_warehouse, ML, 2020)[group]
    assert (r["released_persons"], r["redetained_2y"], r["new_detentions_2y"]) == (
        released,
        redetained,
        new,
    )
    assert r["prevalence_2y"] == pytest.approx(redetained / released, abs=1e-12)
    assert r["incidence_2y"] == pytest.approx(new / released, abs=1e-12)
    assert r["window_complete"] is True


def test_midden_limburg_2020_prevalence_as_printed(demo_warehouse):
    rows = _rows(demo_warehouse, ML, 2020)
    assert round(rows["nazorg_plus"]["prevalence_2y"], 3) == 0.304  # 21 / 69
    assert round(rows["regular"]["prevalence_2y"], 3) == 0.454  # 98 / 216
    assert round(rows["all"]["prevalence_2y"], 3) == 0.418  # 119 / 285


def test_window_complete_for_2020_not_for_2021_and_2022(demo_warehouse):
    flags = dict(
        demo_warehouse.execute(
            """SELECT release_year, bool_and(window_complete) FROM kpi.redetention
               WHERE region = ? GROUP BY ALL""",
            [ML],
        ).fetchall()
    )
    assert flags[2020] is True
    assert flags[2021] is False and flags[2022] is False
    ends = dict(
        demo_warehouse.execute(
            "SELECT DISTINCT region, data_end_date FROM kpi.redetention"
        ).fetchall()
    )
    assert ends[ML] == dt.date(2022, 12, 31)  # the admission on the last day of the data
    # Gooi's data (DPAN) stops at the end of 2013: the 2012 and 2013 windows are open.
    assert ends["Gooi en Vechtstreek"] == dt.date(2013, 12, 31)
    gooi = dict(
        demo_warehouse.execute(
            "SELECT release_year, bool_and(window_complete) FROM kpi.redetention "
            "WHERE region = 'Gooi en Vechtstreek' GROUP BY ALL"
        ).fetchall()
    )
    assert gooi == {2010: True, 2011: True, 2012: False, 2013: False}


def test_cohort_equals_the_outflow_when_first_and_last_release_agree(demo_warehouse):
    # In the demo every twice-released person stays in Midden-Limburg, so placing by the
    # first release (re-detention) and by the last (outflow) gives the same 285.
    (outflow,) = demo_warehouse.execute(
        "SELECT sum(persons) FROM kpi.outflow WHERE region = ? AND year = 2020", [ML]
    ).fetchall()[0]
    assert outflow == _rows(demo_warehouse, ML, 2020)["all"]["released_persons"] == 285


def test_every_column_is_described_in_the_warehouse(demo_warehouse):
    comments = dict(
        demo_warehouse.execute(
            """SELECT column_name, comment FROM duckdb_columns()
               WHERE schema_name = 'kpi' AND table_name = 'redetention'"""
        ).fetchall()
    )
    assert len(comments) >= 9 and all(c and c.strip() for c in comments.values())
    (table_comment,) = demo_warehouse.execute(
        """SELECT comment FROM duckdb_tables()
           WHERE schema_name = 'kpi' AND table_name = 'redetention'"""
    ).fetchall()[0]
    assert "WODC" in table_comment and "causaal" in table_comment


def test_herdetentie_sheet_in_the_midden_limburg_workbook(demo_warehouse, tmp_path):
    from nazorg.reports import write_region_workbooks

    write_region_workbooks(demo_warehouse, tmp_path, suppression_threshold=0)
    ws = load_workbook(tmp_path / "kpi_midden-limburg.xlsx")["Herdetentie"]
    rows = {(r[0], r[1]): r for r in ws.iter_rows(values_only=True) if r[0] and r[1]}
    assert rows[("2020", "Nazorg-plus")][2:4] == (69, 21)
    assert rows[("2020", "Alle uitgestroomden")][2:4] == (285, 119)
    assert ("2022 (voorlopig)", "Alle uitgestroomden") in rows
    assert ws._charts


def test_every_release_year_has_re_detention_plausible_for_its_population(demo_warehouse):
    """No release year of the demo data without re-detention (Midden-Limburg 2019 had 0
    of 158 with a closed window); a closed two-year window gives a share as in the
    2020 cohort and WODC's figures, an open one less but never none."""
    rows = demo_warehouse.execute(
        "SELECT region, release_year, released_persons, redetained_2y, window_complete "
        "FROM kpi.redetention WHERE aftercare_group = 'all' ORDER BY ALL"
    ).fetchall()
    assert len(rows) == 8
    for region, year, released, redetained, complete in rows:
        assert redetained > 0, (region, year)
        if complete:
            assert 0.15 <= redetained / released <= 0.6, (region, year, redetained, released)
