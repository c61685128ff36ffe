"""What the reports give in words, on the demo warehouse (kpi-method.md, "Figures the
report gives in words"), and the process and target-group tables against the tables
they must agree with."""

from __future__ import annotations

import datetime as dt

import pytest

ML, GOOI = "Midden-Limburg", "Gooi en Vechtstreek"


def test_almost_half_of_the_2020_releases_leave_within_four_weeks(demo_warehouse):
    """Limburg §4.3: "bijna de helft van de gedetineerden verlaat binnen 4 weken de PI"."""
    bands = dict(
        demo_warehouse.execute(
            """SELECT stay_band, released_episodes FROM kpi.length_of_stay
               WHERE region = ? AND release_year = 2020""",
            [ML],
        ).fetchall()
    )
    assert sum(bands.values()) == 322  # the released episodes of kpi.screening_coverage
    within = bands["up_to_7_days"] + bands["8_to_28_days"]
    assert 0.40 <= within / 322 <= 0.50
    assert within == 149  # 46 %
    assert bands["over_120_days"] > 0  # four months and more: the housing is lost


def test_every_region_year_has_four_bands_summing_to_the_screening_population(demo_warehouse):
    mismatches = demo_warehouse.execute(
        """SELECT s.region, s.year, s.released_detentions, l.episodes, l.bands
           FROM kpi.screening_coverage s
           FULL JOIN (SELECT region, release_year, sum(released_episodes) AS episodes,
                             count(*) AS bands
                      FROM kpi.length_of_stay GROUP BY ALL) l
             ON l.region = s.region AND l.release_year = s.year
           WHERE l.episodes IS DISTINCT FROM s.released_detentions OR l.bands <> 4"""
    ).fetchall()
    assert mismatches == []


def test_expected_and_observed_offences_of_the_interviewed(demo_warehouse):
    """Limburg §5.1: "circa 16 (6 x 2.7) … in totaal 7 delicten … 9 (16 minus 7) … 4.5
    delicten per jaar"."""
    row = demo_warehouse.execute(
        """SELECT interviewed, reference_prevalence, expected_recidivists,
                  offences_per_recidivist, expected_offences, observed_recidivists,
                  observed_offences, avoided_offences, avoided_offences_per_year
           FROM kpi.cohort_recidivism WHERE region = ? AND cohort_year = 2020""",
        [ML],
    ).fetchall()
    assert row == [(12, 0.5, 6.0, 2.7, 16.0, 5, 7, 9.0, 4.5)]
    # the line it feeds: 4.5 offences a year × 1 000 euro × haircut 0.5 = 2 250
    (line,) = demo_warehouse.execute(
        """SELECT amount_per_year_sample FROM kpi.cohort_benefit
           WHERE region = ? AND cohort_year = 2020 AND variant = 'A'
             AND line = 'avoided_offence_damage'""",
        [ML],
    ).fetchall()
    assert line[0] == pytest.approx(2250.0)


def test_two_interviewed_persons_are_still_detained_at_the_end_of_2022(demo_warehouse):
    """Limburg §5.2: "2x zit nog vast"."""
    end = dt.date(2022, 12, 31)
    (persons,) = demo_warehouse.execute(
        """SELECT count(DISTINCT s.person_key)
           FROM staging.cohort_sample s
           JOIN staging.detentions d USING (person_key)
           WHERE s.status = 'Geïnterviewd' AND s.region = ? AND s.cohort_year = 2020
             AND d.admission_date <= ? AND (d.release_date IS NULL OR d.release_date > ?)
             AND d.end_reason IS NULL""",
        [ML, end, end],
    ).fetchone()
    assert persons == 2


def test_target_groups_count_the_outflow_and_never_exceed_all(demo_warehouse):
    groups = {
        g: (released, with_case)
        for g, released, with_case in demo_warehouse.execute(
            """SELECT target_group, released_persons, with_case FROM kpi.target_groups
               WHERE region = ? AND release_year = 2020""",
            [ML],
        ).fetchall()
    }
    assert set(groups) == {"under_27", "frequent_returner", "support_wish", "all"}
    assert groups["all"][0] == 285  # the outflow of the cohort year
    for released, with_case in groups.values():
        assert with_case <= released <= 285 and with_case <= groups["all"][1]
    # the 93 persons of the gross intake (and more) have a case in the 2020 register
    assert groups["all"][1] >= 93
    assert groups["under_27"][0] > 0 and groups["support_wish"][0] > 0
    gooi_all = demo_warehouse.execute(
        """SELECT release_year, released_persons FROM kpi.target_groups
           WHERE region = ? AND target_group = 'all' ORDER BY release_year""",
        [GOOI],
    ).fetchall()
    assert gooi_all == [(2010, 239), (2011, 285), (2012, 258), (2013, 261)]


def test_intake_timeliness_counts_the_same_screenings_as_needs_at_intake(demo_warehouse):
    (row,) = demo_warehouse.execute(
        """SELECT t.admissions, t.with_form, t.within_5_days, t.share_within_5_days,
                  t.median_days_to_form, n.forms
           FROM kpi.intake_timeliness t
           JOIN kpi.needs_at_intake n
             ON n.region = t.region AND n.year = t.admission_year AND n.life_domain = 'id'
           WHERE t.region = ? AND t.admission_year = 2020""",
        [ML],
    ).fetchall()
    admissions, with_form, within, share, median, forms = row
    assert with_form == forms == 160  # every screened 2020 admission has a dated form
    assert 0 < within < with_form < admissions
    assert share == pytest.approx(within / with_form)
    assert 0 <= median <= 10  # the demo forms are filled in 0-10 days after admission
    # Gooi (DPAN): screened in DPAN, but no dated form
    gooi = demo_warehouse.execute(
        "SELECT DISTINCT with_form FROM kpi.intake_timeliness WHERE region = ?", [GOOI]
    ).fetchall()
    assert gooi == [(0,)]


def test_year_complete_follows_the_sources(demo_warehouse):
    def flags(table: str, year_column: str) -> dict:
        return dict(
            demo_warehouse.execute(
                f"""SELECT DISTINCT {year_column}, year_complete FROM kpi.{table}
                    WHERE region = ? ORDER BY 1""",
                [ML],
            ).fetchall()
        )

    # JustID: first admission in 2018 (released 2019), latest notification 31-12-2022
    assert flags("length_of_stay", "release_year") == {
        2019: True,
        2020: True,
        2021: True,
        2022: True,
    }
    # the forms run from 8 January 2019 to 19 December 2022
    assert flags("intake_timeliness", "admission_year") == {
        2018: False,
        2019: False,
        2020: True,
        2021: True,
        2022: False,
    }
    # The 2020 register's registrations run from 2 January to 7 December, but its
    # period is that of all its dates (trajectories that started in 2019 and outflow, as
    # kpi.caseload reads it): it covers 2020, and so do the detentions.
    assert flags("target_groups", "release_year")[2020] is True
