"""The MKBA must reproduce the Midden-Limburg report figure for figure (kpi-method.md B).

The 12 demo cases below are built from the report's chapter 5: five recidivists with
seven offences in total, police incidents 20 + 10 + 5, lasting work in cases 2 and 8,
work that did not last in case 10, and one-off spending of 4 000 in total.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from nazorg.mkba import (
    INTEGER_PARAMETERS,
    SENSITIVITY_GRIDS,
    BenefitLine,
    InterviewedCase,
    MkbaParameters,
    Summary,
    _annuity_factor,
    _CaseArrays,
    _ParameterBatch,
    _ratio,
    _resample,
    _steps,
    _variant_ratios,
    bootstrap,
    compute_lines,
    round_half_away_from_zero,
    sensitivity,
    summarise,
)

N = 69
MONEY = 1.0  # € tolerance against the published table


def demo_cases() -> list[InterviewedCase]:
    c = InterviewedCase
    return [
        c(offences=0, police_incidents_per_year=10.0, one_off_costs=250.0),  # 1
        c(offences=0, benefit_months_per_year=12.0, attribution=0.5, one_off_costs=1500.0),
        c(offences=0, one_off_costs=500.0),  # 3
        c(offences=2),  # 4
        c(offences=1),  # 5
        c(offences=0),  # 6
        c(offences=2, police_incidents_per_year=5.0),  # 7
        c(
            offences=0,
            police_incidents_per_year=20.0,
            benefit_months_per_year=12.0,
            attribution=0.5,
            one_off_costs=750.0,
        ),  # 8
        c(offences=1),  # 9
        c(offences=0, benefit_months_once=4.0, attribution=0.5, one_off_costs=1000.0),  # 10
        c(offences=1),  # 11
        c(offences=0),  # 12
    ]


def by_line(lines: list[BenefitLine], variant: str) -> dict[str, BenefitLine]:
    return {row.line: row for row in lines if row.variant == variant}


def summary(lines: list[BenefitLine], variant: str, n: int = 12) -> Summary:
    return next(s for s in summarise(lines, N, n) if s.variant == variant)


def ratio(params: MkbaParameters, variant: str) -> float:
    return summary(compute_lines(demo_cases(), N, params), variant).benefit_cost_ratio


# Function-scoped: a module-scoped fixture is computed in the first test that asks for it,
# and mutmut then credits only that test with reaching the code (make mutation).
@pytest.fixture
def base_lines() -> list[BenefitLine]:
    return compute_lines(demo_cases(), N, MkbaParameters())


def test_demo_cases_match_the_report() -> None:
    cases = demo_cases()
    assert len(cases) == 12
    assert sum(c.offences > 0 for c in cases) == 5
    assert sum(c.offences for c in cases) == 7
    assert sum(c.one_off_costs or 0 for c in cases) == 4000


# --------------------------------------------------------------- the published table

# line -> (yearly sample or None, sample period, cohort), variant(s)
PUBLISHED = {
    "coordinator_salary": (17217.39, 17217.39, 99000.0, "AB"),
    "case_investments": (None, 4000.0, 23000.0, "AB"),
    "avoided_offence_damage": (2250.0, 4500.0, 25875.0, "A"),
    "avoided_police_effort": (4130.0, 8260.0, 47495.0, "B"),
    "avoided_detention_days": (8608.70, 17217.39, 99000.0, "B"),
    "avoided_benefit_costs": (20000.0, 20000.0, 115000.0, "AB"),
    "avoided_benefit_costs_once": (None, 3000.0, 17250.0, "AB"),
}


@pytest.mark.parametrize("line", sorted(PUBLISHED))
def test_published_lines(base_lines: list[BenefitLine], line: str) -> None:
    yearly, period, cohort, variants = PUBLISHED[line]
    for variant in "AB":
        rows = by_line(base_lines, variant)
        if variant not in variants:
            assert line not in rows
            continue
        row = rows[line]
        if yearly is None:
            assert row.amount_per_year_sample is None
        else:
            assert row.amount_per_year_sample == pytest.approx(yearly, abs=MONEY)
        assert row.amount_sample_period == pytest.approx(period, abs=MONEY)
        assert row.amount_cohort == pytest.approx(cohort, abs=MONEY)
        expected_kind = "cost" if line in {"coordinator_salary", "case_investments"} else "benefit"
        assert row.kind == expected_kind


def test_published_totals(base_lines: list[BenefitLine]) -> None:
    a, b = summary(base_lines, "A"), summary(base_lines, "B")
    for s in (a, b):
        assert (s.cohort_size, s.sample_size) == (69, 12)
        assert s.extrapolation_factor == pytest.approx(5.75)
        assert s.total_costs == pytest.approx(122000, abs=MONEY)
    assert a.total_benefits == pytest.approx(158125, abs=MONEY)
    assert b.total_benefits == pytest.approx(278745, abs=MONEY)
    assert a.net_benefit == pytest.approx(36125, abs=MONEY)
    assert b.net_benefit == pytest.approx(156745, abs=MONEY)
    assert round(a.benefit_cost_ratio, 2) == 1.30
    assert round(b.benefit_cost_ratio, 2) == 2.28
    assert a.benefits_excl_transfers == pytest.approx(25875, abs=MONEY)
    assert b.benefits_excl_transfers == pytest.approx(146495, abs=MONEY)
    assert round(a.ratio_excl_transfers, 2) == 0.21
    assert round(b.ratio_excl_transfers, 2) == 1.20


def test_more_offences_than_expected_gives_a_negative_line() -> None:
    cases = [replace(c, offences=3) for c in demo_cases()]  # 36 observed vs 16 expected
    row = by_line(compute_lines(cases, N, MkbaParameters()), "A")["avoided_offence_damage"]
    assert row.amount_per_year_sample == pytest.approx((16 - 36) / 2 * 1000 * 0.5)
    assert row.amount_cohort < 0


def test_parameters_as_rows() -> None:
    rows = dict(MkbaParameters().as_rows())
    assert rows["salary"] == 99000.0
    assert rows["detention_days_per_year"] == 34.434783
    assert "attribution_override" not in rows
    assert dict(MkbaParameters(attribution_override=1.0).as_rows())["attribution_override"] == 1.0


# ---------------------------------------------------------------------------- overrides


def test_double_cost_per_offence_doubles_offence_line(base_lines: list[BenefitLine]) -> None:
    lines = compute_lines(demo_cases(), N, MkbaParameters(cost_per_offence=2000.0))
    base = by_line(base_lines, "A")["avoided_offence_damage"]
    new = by_line(lines, "A")["avoided_offence_damage"]
    assert new.amount_cohort == pytest.approx(2 * base.amount_cohort)
    assert new.amount_cohort == pytest.approx(51750.0)


def test_attribution_override_one() -> None:
    rows = by_line(compute_lines(demo_cases(), N, MkbaParameters(attribution_override=1.0)), "A")
    # 12 × 1 640 × 1 = 19 680 → 20 000 per case, twice; 4 × 1 640 = 6 560 → 7 000.
    work = rows["avoided_benefit_costs"]
    assert work.amount_per_year_sample == pytest.approx(40000.0)
    assert work.amount_cohort == pytest.approx(230000.0)
    once = rows["avoided_benefit_costs_once"]
    assert once.amount_sample_period == pytest.approx(7000.0)
    assert once.amount_cohort == pytest.approx(40250.0)


def test_attribution_override_applies_to_cases_without_toerekening() -> None:
    cases = [replace(c, attribution=None) for c in demo_cases()]
    default = by_line(compute_lines(cases, N, MkbaParameters()), "A")
    assert default["avoided_benefit_costs"].amount_cohort == pytest.approx(115000.0)
    changed = by_line(compute_lines(cases, N, MkbaParameters(attribution=1.0)), "A")
    assert changed["avoided_benefit_costs"].amount_cohort == pytest.approx(230000.0)


def test_discount_rate_lowers_two_year_lines(base_lines: list[BenefitLine]) -> None:
    lines = compute_lines(demo_cases(), N, MkbaParameters(discount_rate=0.0225))
    factor = (1 + 1 / 1.0225) / 2
    for variant, line in [
        ("A", "avoided_offence_damage"),
        ("B", "avoided_police_effort"),
        ("B", "avoided_detention_days"),
    ]:
        base = by_line(base_lines, variant)[line]
        new = by_line(lines, variant)[line]
        assert new.amount_per_year_sample == pytest.approx(base.amount_per_year_sample)
        assert new.amount_cohort == pytest.approx(base.amount_cohort * factor)
    # One year of work and the one-off lines are not discounted (year 1 is undiscounted).
    for line in ("avoided_benefit_costs", "avoided_benefit_costs_once", "coordinator_salary"):
        assert by_line(lines, "B")[line].amount_cohort == pytest.approx(
            by_line(base_lines, "B")[line].amount_cohort
        )


def test_horizon_one_halves_recurring_crime_lines(base_lines: list[BenefitLine]) -> None:
    lines = compute_lines(demo_cases(), N, MkbaParameters(horizon_years=1))
    for variant, line in [
        ("A", "avoided_offence_damage"),
        ("B", "avoided_police_effort"),
        ("B", "avoided_detention_days"),
    ]:
        assert by_line(lines, variant)[line].amount_cohort == pytest.approx(
            by_line(base_lines, variant)[line].amount_cohort / 2
        )
    assert by_line(lines, "A")["avoided_benefit_costs"].amount_cohort == pytest.approx(115000.0)


def test_work_years_capped_by_horizon() -> None:
    rows = by_line(compute_lines(demo_cases(), N, MkbaParameters(work_years_counted=5)), "A")
    assert rows["avoided_benefit_costs"].amount_cohort == pytest.approx(2 * 115000.0)


# -------------------------------------------------------------------------- sensitivity


@pytest.fixture
def sens_rows():
    return sensitivity(demo_cases(), N, MkbaParameters())


def test_sensitivity_contains_default_points(sens_rows) -> None:
    params = MkbaParameters()
    # The published totals (kpi-method.md), not the code's own point estimate.
    base = {"A": 158125 / 122000, "B": 278745 / 122000}
    for parameter in SENSITIVITY_GRIDS:
        default = params.attribution if parameter == "attribution" else getattr(params, parameter)
        for variant in "AB":
            hits = [
                r
                for r in sens_rows
                if r.kind == "sensitivity"
                and r.variant == variant
                and r.parameter == parameter
                and r.value == pytest.approx(default)
            ]
            assert len(hits) == 1, (parameter, variant)
            # The demo cases give 0.5 or nothing, so the attribution override 0.5 is the base.
            assert hits[0].benefit_cost_ratio == pytest.approx(base[variant])


def test_sensitivity_discount_rows(sens_rows) -> None:
    for variant in "AB":
        values = {
            r.value
            for r in sens_rows
            if r.kind == "sensitivity" and r.variant == variant and r.parameter == "discount_rate"
        }
        assert {0.0, 0.0225, 0.04} <= values
    row = next(
        r
        for r in sens_rows
        if r.variant == "B" and r.parameter == "discount_rate" and r.value == 0.0225
    )
    assert row.benefit_cost_ratio == pytest.approx(ratio(MkbaParameters(discount_rate=0.0225), "B"))
    assert row.benefit_cost_ratio < ratio(MkbaParameters(), "B")


def test_sensitivity_ranges(sens_rows) -> None:
    def values(parameter: str) -> list[float]:
        return [
            r.value
            for r in sens_rows
            if r.variant == "A" and r.parameter == parameter and r.kind == "sensitivity"
        ]

    assert min(values("haircut")) == 0.25 and max(values("haircut")) == 1.0
    assert min(values("attribution")) == 0.25 and max(values("attribution")) == 1.0
    assert max(values("detention_days_per_year")) == 69.0
    assert values("horizon_years") == [1, 2, 3, 4, 5]


def test_no_break_even_where_ratio_stays_above_one(sens_rows) -> None:
    breaks = {(r.variant, r.parameter) for r in sens_rows if r.kind == "break_even"}
    # Variant A: the work lines alone (132 250) exceed the costs (122 000).
    assert ("A", "cost_per_offence") not in breaks
    assert ("A", "haircut") not in breaks
    # Variant B: police plus work already exceed the costs without any detention day.
    assert ("B", "detention_days_per_year") not in breaks
    assert not any(p in INTEGER_PARAMETERS for _, p in breaks)


def test_break_even_at_an_attribution_jump(sens_rows) -> None:
    # Each case's work amount is rounded to 1 000, so the A ratio jumps across 1 where
    # 12 × 1 640 × a reaches 7 500, at a = 0.3811.
    row = next(r for r in sens_rows if r.kind == "break_even" and r.variant == "A")
    assert (row.parameter, row.value) == ("attribution", 0.382)
    assert row.benefit_cost_ratio >= 1.0
    assert ratio(MkbaParameters(attribution_override=row.value), "A") >= 1.0
    assert ratio(MkbaParameters(attribution_override=row.value - 0.001), "A") < 1.0


def test_break_even_on_continuous_parameters() -> None:
    # Without lasting work the ratios fall, and both crime lines must pay for the costs.
    params = MkbaParameters(work_years_counted=0)
    rows = [r for r in sensitivity(demo_cases(), N, params) if r.kind == "break_even"]
    found = {(r.variant, r.parameter): r for r in rows}
    cost = found[("A", "cost_per_offence")]
    # 25.875 × c + 17 250 = 122 000
    assert cost.value == pytest.approx(104750 / 25.875, abs=0.001)
    days = found[("B", "detention_days_per_year")]
    # 2 875 × d + 47 495 + 17 250 = 122 000
    assert days.value == pytest.approx(57255 / 2875, abs=0.001)
    for row in (cost, days):
        recomputed = ratio(replace(params, **{row.parameter: row.value}), row.variant)
        assert recomputed == pytest.approx(1.0, abs=0.01)
        assert row.benefit_cost_ratio == pytest.approx(recomputed)
        assert round(row.value, 3) == row.value


# ---------------------------------------------------------------------------- bootstrap


def test_bootstrap() -> None:
    params = MkbaParameters()
    first = bootstrap(demo_cases(), N, params, draws=10_000, seed=20201231)
    again = bootstrap(demo_cases(), N, params, draws=10_000, seed=20201231)
    other = bootstrap(demo_cases(), N, params, draws=10_000, seed=1)
    assert first == again
    assert first != other
    for interval in first:
        point = ratio(params, interval.variant)
        assert interval.draws == 10_000 and interval.seed == 20201231
        assert interval.ratio_p05 <= interval.ratio_p50 <= interval.ratio_p95
        assert abs(interval.ratio_p50 - point) <= 0.25 * point
        assert interval.ratio_p05 < point < interval.ratio_p95


def test_bootstrap_of_identical_cases_has_no_spread() -> None:
    cases = [demo_cases()[1]] * 12
    lines = compute_lines(cases, N, MkbaParameters())
    for interval in bootstrap(cases, N, MkbaParameters(), draws=500):
        point = summary(lines, interval.variant).benefit_cost_ratio
        assert interval.ratio_p05 == pytest.approx(point)
        assert interval.ratio_p95 == pytest.approx(point)


# ------------------------------------------------------------------------------ rounding


@pytest.mark.parametrize(
    ("x", "unit", "expected"),
    [
        (16.5, 1.0, 17.0),
        (16.2, 1.0, 16.0),
        (12 * 0.5 * 2.7, 1.0, 16.0),
        (9840.0, 1000.0, 10000.0),
        (3280.0, 1000.0, 3000.0),
        (2500.0, 1000.0, 3000.0),
        (-2.5, 1.0, -3.0),
        (0.0, 1.0, 0.0),
    ],
)
def test_round_half_away_from_zero(x: float, unit: float, expected: float) -> None:
    assert round_half_away_from_zero(x, unit) == expected


def test_round_half_away_from_zero_arrays() -> None:
    out = round_half_away_from_zero(np.array([0.5, 1.5, 2.5, -0.5]))
    assert out.tolist() == [1.0, 2.0, 3.0, -1.0]


# ------------------------------------------- batched evaluation == one value at a time

# The sensitivity, the break-even search and the bootstrap evaluate many parameter values
# or resamples in one call of the core. These tests pin that to the plain computation,
# one value (one resample) at a time through compute_lines and summarise, to the bit.


def varied_cases() -> list[InterviewedCase]:
    """The demo cases plus fractions (incidents, euros with cents) and a case without
    ``Toerekening``: whole and non-whole terms take different ways through a sum."""
    cases = demo_cases()
    cases[0] = replace(cases[0], police_incidents_per_year=2.5, one_off_costs=249.99)
    cases[6] = replace(cases[6], police_incidents_per_year=5.3)
    cases.append(InterviewedCase(offences=1, benefit_months_per_year=6.0, one_off_costs=120.5))
    return cases


def one_ratio(cases: list[InterviewedCase], params: MkbaParameters, variant: str) -> float:
    lines = compute_lines(cases, N, params)
    return next(
        s for s in summarise(lines, N, len(cases)) if s.variant == variant
    ).benefit_cost_ratio


def with_value(params: MkbaParameters, parameter: str, value: float) -> MkbaParameters:
    """One sensitivity point: ``attribution`` overrides every case, whole years round."""
    if parameter == "attribution":
        return replace(params, attribution_override=float(value))
    if parameter in INTEGER_PARAMETERS:
        return replace(params, **{parameter: int(round(value))})
    return replace(params, **{parameter: float(value)})


def break_even_one_at_a_time(curve, ratio_at) -> list[float]:
    """The break-even search, one ratio at a time: 60 halvings between the grid points
    where the ratio crosses 1, then the 0.001 grid on the side that breaks even."""
    unit = 0.001
    low_end, high_end = curve[0][0], curve[-1][0]
    found = []
    for (x0, r0), (x1, r1) in zip(curve, curve[1:], strict=False):
        even0, even1 = r0 >= 1.0, r1 >= 1.0
        if even0 == even1 or np.isnan(r0) or np.isnan(r1):
            continue
        lo, hi = x0, x1
        for _ in range(60):
            mid = (lo + hi) / 2.0
            if (ratio_at(mid) >= 1.0) == even0:
                lo = mid
            else:
                hi = mid
        if even1:
            value = math.ceil(round(hi / unit, 6)) * unit
            while ratio_at(value) < 1.0 and value < high_end:
                value += unit
        else:
            value = math.floor(round(lo / unit, 6)) * unit
            while ratio_at(value) < 1.0 and value > low_end:
                value -= unit
        found.append(round(min(max(value, low_end), high_end), 3))
    return found


@pytest.mark.parametrize(
    "params",
    [
        MkbaParameters(),
        MkbaParameters(work_years_counted=0),
        MkbaParameters(work_years_counted=0, discount_rate=0.0225, attribution_override=0.75),
    ],
    ids=["defaults", "no-lasting-work", "discounted-override"],
)
def test_batched_sensitivity_equals_one_value_at_a_time(params: MkbaParameters) -> None:
    cases = varied_cases()
    rows = sensitivity(cases, N, params)
    points = [r for r in rows if r.kind == "sensitivity"]
    for r in points:
        expected = one_ratio(cases, with_value(params, r.parameter, r.value), r.variant)
        assert r.benefit_cost_ratio == expected, r  # exact, not approx

    expected_breaks = []
    for variant in "AB":
        for parameter in SENSITIVITY_GRIDS:
            if parameter in INTEGER_PARAMETERS:
                continue
            curve = [
                (r.value, r.benefit_cost_ratio)
                for r in points
                if r.variant == variant and r.parameter == parameter
            ]

            def ratio_at(x: float, p: str = parameter, v: str = variant) -> float:
                return one_ratio(cases, with_value(params, p, x), v)

            expected_breaks += [
                (variant, parameter, value, ratio_at(value))
                for value in break_even_one_at_a_time(curve, ratio_at)
            ]
    breaks = [
        (r.variant, r.parameter, r.value, r.benefit_cost_ratio)
        for r in rows
        if r.kind == "break_even"
    ]
    assert breaks == expected_breaks
    assert breaks  # every parameter set crosses 1 somewhere, so the search is pinned


def test_bootstrap_equals_one_resample_at_a_time() -> None:
    cases, params, draws, seed = varied_cases(), MkbaParameters(), 400, 7
    # Incidents whose sum depends on the order of the additions.
    cases = [
        replace(c, police_incidents_per_year=x)
        for c, x in zip(
            cases, [0.1, 0.2, 0.7, 2.3, 5.3, 0.3, 1.1, 3.7, 0.9, 4.1, 2.2, 0.6, 7.7], strict=True
        )
    ]
    rng = np.random.Generator(np.random.PCG64(seed))
    index = rng.integers(0, len(cases), size=(draws, len(cases)))
    one_by_one = {
        v: np.array([one_ratio([cases[i] for i in draw], params, v) for draw in index])
        for v in "AB"
    }
    # Every draw's ratio, to the bit (the percentiles below look at a few draws only).
    batched = _variant_ratios(
        _CaseArrays.from_cases(cases), N, params, _resample(seed, draws, len(cases))
    )
    for v in "AB":
        assert batched[v].tolist() == one_by_one[v].tolist()
    for interval in bootstrap(cases, N, params, draws=draws, seed=seed):
        p05, p50, p95 = np.nanpercentile(one_by_one[interval.variant], [5.0, 50.0, 95.0])
        assert (interval.ratio_p05, interval.ratio_p50, interval.ratio_p95) == (p05, p50, p95)


def test_sensitivity_checks_grid_values_like_the_parameters() -> None:
    with pytest.raises(ValueError, match="observation_years"):
        sensitivity(demo_cases(), N, MkbaParameters(), grids={"observation_years": (0.0, 2.0)})
    with pytest.raises(ValueError, match="discount_rate"):
        sensitivity(demo_cases(), N, MkbaParameters(), grids={"discount_rate": (-1.0, 0.0)})


# ------------------------------------- the calculation rounds half away from zero

# 12 × 0.5 × 2.75 = 16.5 exactly in binary: half away from zero gives 17, the banker's
# rounding of Python's and numpy's round() gives 16. Only the calculation itself can show
# which one it uses (the helper is tested above).
HALF = MkbaParameters(offences_per_recidivist=2.75)
# (17 − 7 observed) / 2 observation years × 1 000 × haircut 0.5; with 16: 2 250.
HALF_OFFENCE_PER_YEAR = 2500.0


def test_expected_offences_at_exactly_half_round_away_from_zero() -> None:
    rows = by_line(compute_lines(demo_cases(), N, HALF), "A")
    offence = rows["avoided_offence_damage"]
    assert offence.amount_per_year_sample == HALF_OFFENCE_PER_YEAR
    assert offence.amount_sample_period == 2 * HALF_OFFENCE_PER_YEAR
    assert offence.amount_cohort == pytest.approx(28750.0)  # × 69 / 12
    # 12 × 0.75 × 2.5 = 22.5 → 23 (banker's rounding: 22): (23 − 7) / 2 × 500 = 4 000.
    other = MkbaParameters(reference_prevalence=0.75, offences_per_recidivist=2.5)
    line = by_line(compute_lines(demo_cases(), N, other), "A")["avoided_offence_damage"]
    assert line.amount_per_year_sample == 4000.0


def test_sensitivity_at_exactly_half_rounds_away_from_zero() -> None:
    # The same point through the batched core: A's benefits 28 750 + 115 000 + 17 250.
    rows = sensitivity(
        demo_cases(), N, MkbaParameters(), grids={"offences_per_recidivist": (2.75,)}
    )
    (point,) = [
        r
        for r in rows
        if r.kind == "sensitivity"
        and r.variant == "A"
        and r.parameter == "offences_per_recidivist"
        and r.value == 2.75
    ]
    assert point.benefit_cost_ratio == pytest.approx(161000 / 122000)
    assert summary(compute_lines(demo_cases(), N, HALF), "A").total_benefits == pytest.approx(
        161000.0
    )


# ---------------------------------------------------- the discount, applied once


def test_discount_over_three_years_by_hand() -> None:
    # period(a, 3) at 10 %: a × (1 + 1/1.1 + 1/1.21); year 1 undiscounted, each later
    # year once more (a discount applied twice would give 1 + 1/1.21 + 1/1.4641).
    params = MkbaParameters(discount_rate=0.1, horizon_years=3, work_years_counted=3)
    rows = by_line(compute_lines(demo_cases(), N, params), "B")
    factor = 1 + 1 / 1.1 + 1 / 1.1**2
    assert rows["avoided_police_effort"].amount_sample_period == pytest.approx(4130 * factor)
    assert rows["avoided_detention_days"].amount_cohort == pytest.approx(99000 / 2 * factor)
    assert rows["avoided_benefit_costs"].amount_sample_period == pytest.approx(20000 * factor)
    # The one-off lines are not discounted at all.
    assert rows["avoided_benefit_costs_once"].amount_sample_period == 3000.0
    assert rows["case_investments"].amount_sample_period == 4000.0


# ------------------------------------------------------ grids, defaults and guards


def test_sensitivity_grids_by_hand() -> None:
    assert _steps(0.25, 1.0, 0.05)[:4] == (0.25, 0.3, 0.35, 0.4)
    assert len(_steps(0.25, 1.0, 0.05)) == 16 and _steps(0.25, 1.0, 0.05)[-1] == 1.0
    assert _steps(1.0, 8.0, 0.5) == tuple(1.0 + i / 2 for i in range(15))
    assert _steps(0.0, 65.0, 5.0) == tuple(float(5 * i) for i in range(14))
    assert _steps(1.0, 5.0, 0.1)[1:3] == (1.1, 1.2) and len(_steps(1.0, 5.0, 0.1)) == 41


def test_bootstrap_defaults_and_draws_guard() -> None:
    (a, b) = bootstrap(demo_cases(), N, MkbaParameters())
    assert (a.variant, b.variant) == ("A", "B")
    assert (a.draws, a.seed) == (10_000, 20201231)
    (one, _) = bootstrap(demo_cases(), N, MkbaParameters(), draws=1)
    assert one.draws == 1 and one.ratio_p05 == one.ratio_p95
    with pytest.raises(ValueError, match=r"^draws must be >= 1$"):
        bootstrap(demo_cases(), N, MkbaParameters(), draws=0)


def test_break_even_values_exactly() -> None:
    # 25.875 × c + 17 250 = 122 000 at c = 4 048.309…: the smallest value on the 0.001
    # grid where A breaks even. 2 875 × d + 64 745 = 122 000 at d = 19.914…: likewise.
    params = MkbaParameters(work_years_counted=0)
    found = {
        (r.variant, r.parameter): r.value
        for r in sensitivity(demo_cases(), N, params)
        if r.kind == "break_even"
    }
    assert found[("A", "cost_per_offence")] == 4048.31
    assert found[("B", "detention_days_per_year")] == 19.915


def test_sensitivity_adds_the_configured_values_to_the_grid() -> None:
    rows = sensitivity(
        demo_cases(),
        N,
        MkbaParameters(attribution=0.52, cost_per_offence=1234.0),
        grids={"attribution": (0.5, 1.0), "cost_per_offence": (1000.0,)},
    )
    values = {(r.parameter, r.value) for r in rows if r.kind == "sensitivity"}
    assert values == {
        ("attribution", 0.5),
        ("attribution", 0.52),
        ("attribution", 1.0),
        ("cost_per_offence", 1000.0),
        ("cost_per_offence", 1234.0),
    }
    overridden = sensitivity(
        demo_cases(), N, MkbaParameters(attribution_override=0.77), grids={"attribution": (0.5,)}
    )
    assert {r.value for r in overridden} == {0.5, 0.77}


def test_break_even_after_a_whole_year_parameter_in_the_grid() -> None:
    rows = sensitivity(
        demo_cases(),
        N,
        MkbaParameters(work_years_counted=0),
        grids={"horizon_years": (1, 2), "cost_per_offence": (1000.0, 5000.0)},
    )
    breaks = [(r.variant, r.parameter, r.value) for r in rows if r.kind == "break_even"]
    assert breaks == [("A", "cost_per_offence", 4048.31)]


def test_a_batch_checks_its_values() -> None:
    with pytest.raises(ValueError, match=r"^horizon_years must be a whole number of years$"):
        _ParameterBatch(MkbaParameters(), {"horizon_years": [1.0, math.nan]})
    with pytest.raises(ValueError, match=r"^attribution_override is not set: it cannot vary"):
        _ParameterBatch(MkbaParameters(), {"attribution": [0.5], "haircut": [0.5]})
    batch = _ParameterBatch(MkbaParameters(), {"horizon_years": [1.4, 2.6], "haircut": [0.3]})
    assert batch.horizon_years.tolist() == [1, 3, 2] and batch.horizon_years.dtype == np.int64
    assert batch.haircut.tolist() == [0.5, 0.5, 0.3] and batch.shape == (3,)


def test_parameter_ranges_and_their_messages() -> None:
    MkbaParameters(observation_years=1, horizon_years=0, work_years_counted=0)  # allowed
    MkbaParameters(discount_rate=-0.99)
    with pytest.raises(ValueError, match=r"^observation_years must be positive$"):
        MkbaParameters(observation_years=0)
    for wrong in ({"horizon_years": -1}, {"work_years_counted": -1}):
        with pytest.raises(
            ValueError, match=r"^horizon_years and work_years_counted must be >= 0$"
        ):
            MkbaParameters(**wrong)
    with pytest.raises(ValueError, match=r"^discount_rate must be > -1$"):
        MkbaParameters(discount_rate=-1.0)


def test_cases_are_taken_one_by_one() -> None:
    with pytest.raises(ValueError, match=r"^an MKBA needs at least one interviewed case$"):
        compute_lines([], N, MkbaParameters())
    # one case, with its own Toerekening 1: 12 × 1 640 = 19 680 → 20 000 a year
    (case,) = [InterviewedCase(offences=1, benefit_months_per_year=12.0, attribution=1.0)]
    rows = by_line(compute_lines([case], 6, MkbaParameters()), "A")
    assert rows["avoided_benefit_costs"].amount_per_year_sample == 20000.0
    assert rows["avoided_benefit_costs"].amount_cohort == 120000.0
    # expected round(1 × 0.5 × 2.7) = 1, observed 1: no offence damage avoided
    assert rows["avoided_offence_damage"].amount_per_year_sample == 0.0


def test_summarise_counts_a_missing_line_as_zero_and_each_variant_alone() -> None:
    lines = compute_lines(demo_cases(), N, MkbaParameters())
    without_once = [r for r in lines if r.line != "avoided_benefit_costs_once"]
    (a, b) = summarise(without_once, N, 12)
    assert a.total_benefits == pytest.approx(158125 - 17250)
    assert b.total_benefits == pytest.approx(278745 - 17250)
    (only_b,) = summarise([r for r in lines if r.variant == "B"], N, 12)
    assert only_b.variant == "B" and only_b.net_benefit == pytest.approx(156745)


def test_ratio_and_annuity_factor_on_arrays() -> None:
    assert _ratio(np.array([3.0, 1.0]), np.array([1.0, 0.0]))[0] == 3.0
    assert math.isnan(_ratio(np.array([3.0, 1.0]), np.array([1.0, 0.0]))[1])
    factors = _annuity_factor(np.array([1, 2, 3]), 0.1)
    assert factors.tolist() == pytest.approx([1.0, 1 + 1 / 1.1, 1 + 1 / 1.1 + 1 / 1.21])
    assert _annuity_factor(2, np.array([0.0, 0.1])).tolist() == pytest.approx([2.0, 1 + 1 / 1.1])
    grid = _annuity_factor(np.array([[1], [2]]), np.array([[0.0, 0.1]]))
    assert grid.shape == (2, 2) and grid[1, 1] == pytest.approx(1 + 1 / 1.1)


def test_break_even_where_the_ratio_falls_through_one() -> None:
    # Without lasting work and with 20.127 detention days a year, B's ratio is just above
    # 1 undiscounted; discounting its two crime years lowers it: (47 495 + 2 875 × 20.127)
    # × (1 + 1/(1+r)) / 2 + 17 250 = 122 000 at r = 0.01172. The largest value on the 0.001
    # grid that still breaks even is 0.011.
    params = MkbaParameters(work_years_counted=0, detention_days_per_year=20.127)
    rows = sensitivity(demo_cases(), N, params, grids={"discount_rate": (0.0, 0.02)})
    breaks = [(r.variant, r.parameter, r.value) for r in rows if r.kind == "break_even"]
    assert breaks == [("B", "discount_rate", 0.011)]
    assert ratio(replace(params, discount_rate=0.011), "B") >= 1.0
    assert ratio(replace(params, discount_rate=0.012), "B") < 1.0


def test_the_salary_line_by_hand() -> None:
    rows = by_line(compute_lines(demo_cases(), N, MkbaParameters(salary=115000.0)), "B")
    salary = rows["coordinator_salary"]
    assert (salary.kind, salary.amount_cohort) == ("cost", 115000.0)
    # 115 000 / (69 / 12) = 20 000 for the sample, counted once
    assert salary.amount_per_year_sample == pytest.approx(20000.0)
    assert salary.amount_sample_period == pytest.approx(20000.0)
