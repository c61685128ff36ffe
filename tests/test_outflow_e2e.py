"""End to end on the demo data: Tabel 1 outflow of the Gooi en Vechtstreek evaluation
and the Midden-Limburg 2020 outflow of the Limburg evaluation."""

import pytest

# kpi-method.md part A, Tabel 1: (persons, printed percentage); '<1' printed as 0.
TABEL_1_OUTFLOW = {
    2013: {
        "Hilversum": (159, 61),
        "Bussum": (28, 11),
        "Huizen": (33, 13),
        "Weesp": (20, 8),
        "Wijdemeren": (6, 2),
        "Naarden": (8, 3),
        "Blaricum": (2, 1),
        "Laren": (1, 0),
        "Muiden": (4, 2),
    },
    2012: {
        "Hilversum": (144, 56),
        "Bussum": (29, 11),
        "Huizen": (38, 15),
        "Weesp": (16, 6),
        "Wijdemeren": (11, 4),
        "Naarden": (5, 2),
        "Blaricum": (4, 2),
        "Laren": (5, 2),
        "Muiden": (6, 2),
    },
}


@pytest.mark.parametrize("year", [2012, 2013])
def test_tabel_1_outflow_per_municipality(demo_warehouse, year):
    rows = demo_warehouse.execute(
        "SELECT municipality_name, persons, share FROM kpi.outflow WHERE region = 'Gooi en Vechtstreek' AND year = ?",
        [year],
    ).fetchall()
    got = {name: (persons, share) for name, persons, share in rows}
    assert set(got) == set(TABEL_1_OUTFLOW[year])
    for name, (persons, printed) in TABEL_1_OUTFLOW[year].items():
        assert got[name][0] == persons, name
        assert abs(got[name][1] * 100 - printed) <= 1, name
    assert sum(p for p, _ in got.values()) == {2012: 258, 2013: 261}[year]


def test_outflow_totals_2010_2011_and_midden_limburg_2020(demo_warehouse):
    totals = dict(
        ((region, year), n)
        for region, year, n in demo_warehouse.execute(
            "SELECT region, year, sum(persons)::INT FROM kpi.outflow GROUP BY ALL"
        ).fetchall()
    )
    assert totals[("Gooi en Vechtstreek", 2010)] == 239
    assert totals[("Gooi en Vechtstreek", 2011)] == 285
    assert totals[("Midden-Limburg", 2020)] == 285


def test_historic_municipalities_stay_themselves_before_the_merger(demo_warehouse):
    codes = dict(
        demo_warehouse.execute(
            "SELECT DISTINCT municipality_name, municipality_code FROM kpi.outflow WHERE year = 2013"
        ).fetchall()
    )
    assert (
        codes["Bussum"] == "GM0381" and codes["Naarden"] == "GM0425" and codes["Muiden"] == "GM0424"
    )
    assert "Gooise Meren" not in codes


def test_releases_without_municipality(demo_warehouse):
    # Footnote 4 of the Gooi report: 36 persons in 2013 without a fixed address.
    rows = dict(
        demo_warehouse.execute(
            "SELECT year, persons FROM quality.releases_without_municipality"
        ).fetchall()
    )
    assert rows[2013] == 36
    assert rows[2020] == 12


def test_shares_sum_to_one(demo_warehouse):
    sums = demo_warehouse.execute(
        "SELECT region, year, sum(share) FROM kpi.outflow GROUP BY ALL"
    ).fetchall()
    assert sums and all(abs(s - 1) < 1e-9 for *_, s in sums)


def test_all_checks_passed(demo_build):
    result, _ = demo_build
    evaluations = result.get_asset_check_evaluations()
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert evaluations and not failed
