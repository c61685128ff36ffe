"""End to end on the demo data: screening coverage, consent and needs at intake.

The expected Midden-Limburg figures are written out here by hand (the generator,
``nazorg/demo/screening.py``, states the same choices as constants; the test does not
import them, so a change there cannot silently move the test).
"""

import pytest

from nazorg.demo.population import build_population

ML = "Midden-Limburg"
GOOI = "Gooi en Vechtstreek"

# Release year 2020: detention episodes released in a Midden-Limburg municipality
# (285 persons: 249 released once, 35 twice, 1 three times), of which 193 have a form
# (59.9%, "about 60%") and 19 of those forms refuse consent (9.8%, "only 10%").
ML_2020_RELEASED_DETENTIONS = 322
ML_2020_WITH_FORM = 193
ML_2020_NO_CONSENT = 19

# Admission year 2020: 160 screened episodes (18 of them refused consent and left every
# wish empty); per domain (answered = Ja + Nee, with_need = Ja).
ML_2020_ADMISSION_FORMS = 160
ML_2020_NEEDS = {
    "id": (132, 18),
    "housing": (131, 33),
    "work_income": (128, 42),
    "debts": (118, 45),
    "care": (131, 36),
    "social_network": (123, 22),
}


def test_released_detentions_counted_from_the_population():
    """The denominator, counted from the demo's single truth (not from the warehouse)."""
    population = build_population()
    released = [
        e
        for e in population.episodes
        if e.region == ML and e.is_release and e.end.year == 2020 and e.municipality
    ]
    assert len(released) == ML_2020_RELEASED_DETENTIONS
    per_person: dict[str, int] = {}
    for e in released:
        per_person[e.person.bsn] = per_person.get(e.person.bsn, 0) + 1
    assert len(per_person) == 285


def test_midden_limburg_2020_coverage_and_consent(demo_warehouse):
    row = demo_warehouse.execute(
        "SELECT released_detentions, with_form, share_with_form, no_consent, share_no_consent, "
        "with_linked_form, with_dpan_screening "
        "FROM kpi.screening_coverage WHERE region = ? AND year = 2020",
        [ML],
    ).fetchall()
    assert len(row) == 1
    released, with_form, share, no_consent, share_no, linked, dpan = row[0]
    assert (released, with_form, no_consent) == (
        ML_2020_RELEASED_DETENTIONS,
        ML_2020_WITH_FORM,
        ML_2020_NO_CONSENT,
    )
    assert share == pytest.approx(193 / 322) and round(share * 100) == 60
    assert share_no == pytest.approx(19 / 193) and round(share_no * 100) == 10
    assert (linked, dpan) == (193, 0)


def test_midden_limburg_2020_denominator_matches_staging(demo_warehouse):
    (n,) = demo_warehouse.execute(
        "SELECT count(*) FROM staging.detentions "
        "WHERE is_release AND year(release_date) = 2020 AND region = ?",
        [ML],
    ).fetchone()
    assert n == ML_2020_RELEASED_DETENTIONS


def test_midden_limburg_2020_needs_at_intake(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT life_domain, forms, answered, with_need, share FROM kpi.needs_at_intake "
        "WHERE region = ? AND year = 2020",
        [ML],
    ).fetchall()
    assert [r[0] for r in rows] == list(ML_2020_NEEDS)
    for domain, forms, answered, with_need, share in rows:
        assert forms == ML_2020_ADMISSION_FORMS, domain
        assert (answered, with_need) == ML_2020_NEEDS[domain], domain
        assert share == pytest.approx(with_need / answered), domain
    shares = {r[0]: r[4] for r in rows}
    # WODC Monitor Nazorg: about 14% no valid ID, a quarter no address, a third no income.
    assert round(shares["id"] * 100) == 14
    assert round(shares["housing"] * 100) == 25
    assert round(shares["work_income"] * 100) == 33


@pytest.mark.parametrize("year", [2010, 2011, 2012, 2013])
def test_gooi_dpan_years_are_covered_by_the_hulpvraag_columns(demo_warehouse, year):
    rows = demo_warehouse.execute(
        "SELECT released_detentions, with_form, no_consent, with_linked_form, with_dpan_screening "
        "FROM kpi.screening_coverage WHERE region = ? AND year = ?",
        [GOOI, year],
    ).fetchall()
    assert len(rows) == 1
    released, with_form, no_consent, linked, dpan = rows[0]
    assert linked == 0 and dpan == with_form
    assert 0 < no_consent < with_form < released
    # The same figures counted another way, from the staging episodes.
    expected = demo_warehouse.execute(
        "SELECT count(DISTINCT episode_id), "
        "count(DISTINCT episode_id) FILTER (WHERE dpan_screened), "
        "count(DISTINCT episode_id) FILTER (WHERE dpan_screened AND NOT consent) "
        "FROM staging.detentions WHERE is_release AND region = ? "
        "AND release_date BETWEEN make_date(?, 1, 1) AND make_date(?, 12, 31)",
        [GOOI, year, year],
    ).fetchone()
    assert (released, with_form, no_consent) == expected
    # Every released person is at least one released detention.
    (persons,) = demo_warehouse.execute(
        "SELECT sum(persons) FROM kpi.outflow WHERE region = ? AND year = ?", [GOOI, year]
    ).fetchone()
    assert released >= persons == {2010: 239, 2011: 285, 2012: 258, 2013: 261}[year]


def test_gooi_needs_come_from_dpan_without_social_network(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT year, life_domain, forms, answered, share FROM kpi.needs_at_intake "
        "WHERE region = ? AND year BETWEEN 2010 AND 2013",
        [GOOI],
    ).fetchall()
    assert {r[0] for r in rows} == {2010, 2011, 2012, 2013}
    for year, domain, forms, answered, share in rows:
        if domain == "social_network":
            assert (answered, share) == (0, None), year
        else:
            assert 0 < answered <= forms, (year, domain)


def test_forms_that_link_to_nothing_are_counted_not_rejected(demo_warehouse):
    con = demo_warehouse
    # 12 forms of persons outside the detention exports, one filled in three weeks after
    # admission with a mistyped admission date and one exactly 15 days after; 8 forms
    # link through the fallback (one of them exactly 14 days after the admission).
    totals = con.execute(
        "SELECT sum(forms), sum(linked_same_date), sum(linked_nearest_admission), "
        "sum(unlinked) FROM quality.unlinked_screenings"
    ).fetchone()
    assert totals == (548, 526, 8, 14)
    assert con.execute(
        "SELECT count(*) FROM staging.screenings WHERE episode_id IS NULL"
    ).fetchone() == (14,)
    warnings = con.execute(
        "SELECT rule, count(*) FROM quality.row_warnings WHERE source = 'screening' GROUP BY ALL"
    ).fetchall()
    assert warnings == [("screening_unlinked", 14)]
    # Five of the 193 Midden-Limburg 2020 forms carry a mistyped Datum insluiting.
    assert con.execute(
        "SELECT count(*) FROM staging.screenings s JOIN staging.detentions d USING (episode_id) "
        "WHERE s.link_method = 'nearest_admission_14d' AND d.is_release "
        "AND year(d.release_date) = 2020 AND d.region = ?",
        [ML],
    ).fetchone() == (5,)
    # The only rejected form is the one without consent filled in (a required field).
    rejected = con.execute(
        "SELECT file, row_number, column_name, rule FROM quality.rejected_rows "
        "WHERE source = 'screening'"
    ).fetchall()
    assert rejected == [
        (
            "screening/2022/informatiebladen_2022.csv",
            53,
            "Toestemming gegevensuitwisseling",
            "required",
        )
    ]


def test_forms_at_the_edge_of_the_14_day_fallback(demo_warehouse):
    """Two demo forms (2021) carry an admission date typed a day late, so only the
    fallback can link them: the one filled in exactly 14 days after the admission links
    to it, the one exactly 15 days after links to nothing."""
    edge = demo_warehouse.execute(
        "SELECT s.form_date - d.admission_date, s.link_method, s.episode_id IS NOT NULL, "
        "s.linked_admission_date = d.admission_date "
        "FROM staging.screenings s JOIN staging.detentions d "
        "ON d.person_key = s.person_key AND s.admission_date = d.admission_date + 1 "
        "WHERE s.form_date - d.admission_date IN (14, 15) ORDER BY 1"
    ).fetchall()
    assert edge == [(14, "nearest_admission_14d", True, True), (15, None, False, None)]
    # No form links through the fallback to an admission more than 14 days before it.
    assert demo_warehouse.execute(
        "SELECT max(s.form_date - d.admission_date) FROM staging.screenings s "
        "JOIN staging.detentions d USING (episode_id) "
        "WHERE s.link_method = 'nearest_admission_14d'"
    ).fetchone() == (14,)


def test_every_screening_file_loads_in_any_encoding(demo_warehouse):
    ledger = demo_warehouse.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger "
        "WHERE source = 'screening' ORDER BY file"
    ).fetchall()
    assert [r[0] for r in ledger] == [
        "screening/2019/informatiebladen_2019.csv",
        "screening/2020/informatiebladen_2020-1.csv",  # Windows-1252
        "screening/2020/informatiebladen_2020-2.csv",  # UTF-8 with BOM, overlaps the first
        "screening/2021/informatiebladen_2021.csv",  # d-m-jjjj, other column order
        "screening/2022/informatiebladen_2022.csv",
    ]
    for file, status, read, loaded, rejected in ledger:
        assert status == "loaded" and read == loaded + rejected, file
    # 554 rows read, one rejected, five repeated in the overlapping export: 548 forms.
    assert sum(r[2] for r in ledger) == 554


def test_an_episode_screened_twice_counts_once_with_its_latest_form(demo_warehouse):
    rows = demo_warehouse.execute(
        "SELECT episode_id, list(consent ORDER BY form_date) FROM staging.screenings "
        "WHERE episode_id IS NOT NULL GROUP BY episode_id HAVING count(*) > 1"
    ).fetchall()
    assert len(rows) == 1 and rows[0][1] == [False, True]
    # The latest form counts in the figures: the earlier one (no consent, every wish
    # Onbekend) would make 20 refusals among the 2020 releases instead of 19.
    assert demo_warehouse.execute(
        "SELECT with_form, no_consent FROM kpi.screening_coverage WHERE region = ? AND year = 2020",
        [ML],
    ).fetchall() == [(ML_2020_WITH_FORM, ML_2020_NO_CONSENT)]


def test_screening_checks_pass(demo_build):
    result, _ = demo_build
    ours = {"staging/screenings", "kpi/screening_coverage", "kpi/needs_at_intake"}
    ours.add("quality/unlinked_screenings")
    evaluations = [
        e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() in ours
    ]
    assert {e.asset_key.to_user_string() for e in evaluations} == ours
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []
