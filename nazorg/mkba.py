"""Social cost-benefit analysis (MKBA) of one nazorg-plus cohort.

The method is the one of the Midden-Limburg report (``kpi-method.md`` part B): every
line is a yearly amount for the interviewed sample, counted for a number of years
(discounted when a rate is set) and multiplied by the extrapolation factor
``f = N / n``. Two variants value the reduction in crime differently: variant A by the
avoided offence damage, variant B by the avoided police effort plus avoided detention
days. The coordinator's salary, the spending on the cases and the two work lines
appear in both.

Everything here is pure arithmetic so that the published figures can be tested
directly. One vectorised core (:func:`_line_amounts`) computes all lines from arrays
over the cases; its results take a batch axis, either of bootstrap resamples (10 000
in one call) or of parameter values (a whole sensitivity grid, or every midpoint the
next few halvings of the break-even search can reach, in one call). The point
estimate, the sensitivity table, the break-even search and the bootstrap all go
through that core, so there is one place where the method lives.

Conventions:

* Costs are stored as positive amounts with ``kind='cost'``; the net benefit is
  benefits minus costs.
* Nothing is rounded except where the method prescribes it (expected offences to a
  whole number, each case's work amount to the nearest 1 000, both half away from
  zero). Callers round for presentation.
* A ratio whose costs are zero is NaN (cannot happen with a positive salary).

Why one module of over 500 lines: the method is one piece. The point estimate, the
sensitivity table, the break-even search and the bootstrap share the vectorised core
and the conventions below; split, a reader would follow one method across files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from typing import Literal, overload

import numpy as np

Variant = Literal["A", "B"]
LineKind = Literal["cost", "benefit"]

VARIANTS: tuple[Variant, ...] = ("A", "B")

#: Line code -> kind, in presentation order.
LINE_KINDS: dict[str, LineKind] = {
    "coordinator_salary": "cost",
    "case_investments": "cost",
    "avoided_offence_damage": "benefit",
    "avoided_police_effort": "benefit",
    "avoided_detention_days": "benefit",
    "avoided_benefit_costs": "benefit",
    "avoided_benefit_costs_once": "benefit",
}

#: Which lines make up each variant.
VARIANT_LINES: dict[Variant, tuple[str, ...]] = {
    "A": (
        "coordinator_salary",
        "case_investments",
        "avoided_offence_damage",
        "avoided_benefit_costs",
        "avoided_benefit_costs_once",
    ),
    "B": (
        "coordinator_salary",
        "case_investments",
        "avoided_police_effort",
        "avoided_detention_days",
        "avoided_benefit_costs",
        "avoided_benefit_costs_once",
    ),
}

#: Benefit payments are a transfer in the strict welfare view; the summary also shows
#: the balance without them.
TRANSFER_LINES: frozenset[str] = frozenset({"avoided_benefit_costs", "avoided_benefit_costs_once"})

#: Guard against binary noise (16.2000000001, 13.4999999999) before rounding half away
#: from zero: amounts are money or counts, nine decimals is far below any meaning.
_ROUNDING_GUARD_DECIMALS = 9


# --------------------------------------------------------------------------- helpers


@overload
def round_half_away_from_zero(x: float, unit: float = 1.0) -> float: ...
@overload
def round_half_away_from_zero(x: np.ndarray, unit: float = 1.0) -> np.ndarray: ...
def round_half_away_from_zero(x: float | np.ndarray, unit: float = 1.0) -> float | np.ndarray:
    """Round to a multiple of ``unit``, halves away from zero (the report's rounding).

    Python's and numpy's ``round`` round halves to even (16.5 -> 16), which is not what
    the report does, hence this helper.
    """
    q = np.round(np.asarray(x, dtype=float) / unit, _ROUNDING_GUARD_DECIMALS)
    out = np.sign(q) * np.floor(np.abs(q) + 0.5) * unit
    if np.ndim(out) == 0:
        return float(out)
    return out


@lru_cache(maxsize=4096)
def _annuity_factor_of(years: int, rate: float) -> float:
    return float(sum((1.0 + rate) ** -(t - 1) for t in range(1, int(years) + 1)))


def _annuity_factor(years: int | np.ndarray, rate: float | np.ndarray) -> float | np.ndarray:
    """``period(a, Y) / a`` = Σ_{t=1..Y} 1/(1+r)^(t−1): year 1 is undiscounted.

    For arrays (a batch of parameter values) every element is computed the same way as
    a single one, in Python floats, so a batch gives the very same factors.
    """
    if np.ndim(years) == 0 and np.ndim(rate) == 0:
        return _annuity_factor_of(int(years), float(rate))
    y, r = np.broadcast_arrays(np.asarray(years, dtype=np.int64), np.asarray(rate, dtype=float))
    pairs = zip(y.ravel().tolist(), r.ravel().tolist(), strict=True)
    return np.array([_annuity_factor_of(a, b) for a, b in pairs], dtype=float).reshape(y.shape)


def _per_case(value: float | np.ndarray) -> np.ndarray:
    """A parameter (or a batch of its values) aligned against the case axis."""
    return np.asarray(value, dtype=float)[..., None]


# ------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class MkbaParameters:
    """Every assumption of the MKBA, with the report's values (price level 2020).

    The field names become rows of ``kpi.cohort_parameters`` and fields of the Dagster
    config, so they are part of the contract.
    """

    salary: float = 99000.0
    horizon_years: int = 2
    observation_years: int = 2
    haircut: float = 0.5
    reference_prevalence: float = 0.5
    offences_per_recidivist: float = 2.7
    cost_per_offence: float = 1000.0
    police_cost_per_hour: float = 59.0
    police_hours_per_incident: float = 4.0
    detention_cost_per_day: float = 250.0
    detention_days_per_year: float = 34.434783
    benefit_cost_per_month: float = 1640.0
    #: Used for a case that gives no ``Toerekening``.
    attribution: float = 0.5
    #: When set, replaces every case's ``Toerekening`` (used by the sensitivity).
    attribution_override: float | None = None
    work_years_counted: int = 1
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        _check_ranges(self)

    def as_rows(self) -> list[tuple[str, float]]:
        """``(parameter, value)`` pairs for ``kpi.cohort_parameters``.

        ``attribution_override`` is only recorded when it is set: an absent row means
        the cases' own ``Toerekening`` were used (a NULL value would look like a
        missing figure in a table of numbers).
        """
        return [
            (f.name, float(getattr(self, f.name)))
            for f in fields(self)
            if getattr(self, f.name) is not None
        ]


def _check_ranges(params: MkbaParameters | _ParameterBatch) -> None:
    """The checks of :class:`MkbaParameters`, also on every value of a batch."""

    def anywhere(condition: np.ndarray | bool) -> bool:
        return bool(np.any(condition))

    if anywhere(np.asarray(params.observation_years) <= 0):
        raise ValueError("observation_years must be positive")
    if anywhere(np.asarray(params.horizon_years) < 0) or anywhere(
        np.asarray(params.work_years_counted) < 0
    ):
        raise ValueError("horizon_years and work_years_counted must be >= 0")
    if anywhere(np.asarray(params.discount_rate) <= -1.0):
        raise ValueError("discount_rate must be > -1")


class _ParameterBatch:
    """Many variations of ``params``, one per element of a batch axis.

    ``grid`` maps parameters to values; the batch holds its blocks one after the other,
    element j being ``params`` with one parameter set to one value. It reads like
    :class:`MkbaParameters` (the same attributes); a varied field holds an array over
    the batch. As in the sensitivity, ``attribution`` sets the override of every case's
    ``Toerekening`` and the whole-year parameters are rounded (half to even, as Python's
    ``round``). A field that is ``None`` in ``params`` (the override) cannot be set in
    only part of a batch.
    """

    def __init__(self, params: MkbaParameters, grid: Mapping[str, Sequence[float]]) -> None:
        self.__dict__.update(vars(params))
        size = sum(len(values) for values in grid.values())
        start = 0
        for parameter, values in grid.items():
            array = np.asarray(values, dtype=float)
            if parameter in INTEGER_PARAMETERS:
                if not np.isfinite(array).all():
                    raise ValueError(f"{parameter} must be a whole number of years")
                array = np.rint(array).astype(np.int64)
            name = "attribution_override" if parameter == "attribution" else parameter
            column = getattr(self, name)
            if not isinstance(column, np.ndarray):
                if column is None and array.size < size:
                    raise ValueError(f"{name} is not set: it cannot vary in part of a batch")
                column = np.full(size, np.nan if column is None else column, dtype=array.dtype)
                setattr(self, name, column)
            column[start : start + array.size] = array
            start += array.size
        self.shape: tuple[int, ...] = (size,)
        _check_ranges(self)


def _batch_shape(params: MkbaParameters | _ParameterBatch) -> tuple[int, ...]:
    return params.shape if isinstance(params, _ParameterBatch) else ()


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class InterviewedCase:
    """One interviewed case of the follow-up (``Status = Geïnterviewd``).

    ``None`` means the column was left empty: zero for the amounts, the default
    attribution for ``attribution``.
    """

    offences: int
    police_incidents_per_year: float | None = None
    benefit_months_per_year: float | None = None
    benefit_months_once: float | None = None
    attribution: float | None = None
    one_off_costs: float | None = None
    #: ``Recidive``: at least one new proven offence in the follow-up (None: not filled in).
    recidivism: bool | None = None


@dataclass(frozen=True)
class _CaseArrays:
    """The cases as float arrays ``(n,)``.

    ``attribution`` is NaN where the case gave none, so that the default (or the
    override) is applied by the core, not when the arrays are built.
    """

    offences: np.ndarray
    police_incidents: np.ndarray
    months_per_year: np.ndarray
    months_once: np.ndarray
    attribution: np.ndarray
    one_off_costs: np.ndarray

    @classmethod
    def from_cases(cls, cases: Sequence[InterviewedCase]) -> _CaseArrays:
        if len(cases) == 0:
            raise ValueError("an MKBA needs at least one interviewed case")

        def column(get: Callable[[InterviewedCase], float | None], empty: float) -> np.ndarray:
            return np.array([empty if get(c) is None else get(c) for c in cases], dtype=float)

        return cls(
            offences=column(lambda c: c.offences, 0.0),
            police_incidents=column(lambda c: c.police_incidents_per_year, 0.0),
            months_per_year=column(lambda c: c.benefit_months_per_year, 0.0),
            months_once=column(lambda c: c.benefit_months_once, 0.0),
            attribution=column(lambda c: c.attribution, math.nan),
            one_off_costs=column(lambda c: c.one_off_costs, 0.0),
        )

    @property
    def sample_size(self) -> int:
        return int(self.offences.shape[-1])


# ------------------------------------------------------------------------------ core


def expected_offences(
    sample_size: int, params: MkbaParameters | _ParameterBatch
) -> float | np.ndarray:
    """Offences the interviewed sample would have committed at the reference group's rate:
    ``round(n × reference_prevalence × offences_per_recidivist)``, half away from zero (the
    report's "circa 16 (6 x 2.7)", §5.1). The offence-damage line and
    ``kpi.cohort_recidivism`` both take it from here."""
    return round_half_away_from_zero(
        sample_size * params.reference_prevalence * params.offences_per_recidivist
    )


@dataclass(frozen=True)
class _Amounts:
    per_year_sample: np.ndarray | None
    sample_period: np.ndarray
    cohort: np.ndarray


def _line_amounts(
    cases: _CaseArrays,
    cohort_size: int,
    params: MkbaParameters | _ParameterBatch,
    resample: _Resample | None = None,
) -> dict[str, _Amounts]:
    """All seven lines, as arrays over a batch axis (shape ``()`` without one).

    The batch is either the values of a :class:`_ParameterBatch` or the bootstrap draws
    of ``resample``: each draw sums the per-case terms of the cases it drew (the terms
    of a case are the same in every draw, so they are computed once, over the n cases).

    This is the only place where the method of ``kpi-method.md`` is written down.
    """
    n = cases.sample_size
    f = cohort_size / n
    batch = np.broadcast_shapes(_batch_shape(params), () if resample is None else resample.shape)
    rate = params.discount_rate
    horizon = _annuity_factor(params.horizon_years, rate)
    work_years = _annuity_factor(np.minimum(params.work_years_counted, params.horizon_years), rate)

    if params.attribution_override is not None:
        attribution = _per_case(params.attribution_override)
    else:
        attribution = np.where(
            np.isnan(cases.attribution), _per_case(params.attribution), cases.attribution
        )

    def over_cases(per_case: np.ndarray) -> np.ndarray:
        return per_case.sum(axis=-1) if resample is None else resample.sum(per_case)

    def constant(value: float | np.ndarray) -> np.ndarray:
        return np.full(batch, value, dtype=float)

    def batched(x: np.ndarray) -> np.ndarray:
        return x if np.shape(x) == batch else np.full(batch, x)

    def recurring(per_year: np.ndarray, factor: float | np.ndarray) -> _Amounts:
        sample = batched(per_year * factor)
        return _Amounts(batched(per_year), sample, sample * f)

    def once(sample: np.ndarray) -> _Amounts:
        return _Amounts(None, batched(sample), batched(sample * f))

    # Crime, variant A: offences expected from the reference group minus observed ones.
    expected = expected_offences(n, params)
    observed = over_cases(cases.offences)
    offence_per_year = (
        (expected - observed) / params.observation_years * params.cost_per_offence * params.haircut
    )

    # Crime, variant B: police call-outs and detention days avoided.
    police_per_year = (
        over_cases(cases.police_incidents)
        * params.police_hours_per_incident
        * params.police_cost_per_hour
        * params.haircut
    )
    detention_per_year = constant(params.detention_days_per_year * params.detention_cost_per_day)

    # Work: each case's amount is rounded to 1 000 before summing, as in the report.
    monthly = _per_case(params.benefit_cost_per_month) * attribution
    work_per_year = over_cases(round_half_away_from_zero(cases.months_per_year * monthly, 1000.0))
    work_once = over_cases(round_half_away_from_zero(cases.months_once * monthly, 1000.0))

    salary_sample = constant(params.salary / f)
    return {
        # The salary of one cohort year is counted once; the cohort figure is the salary
        # itself (not salary / f * f, which could drift by a cent).
        "coordinator_salary": _Amounts(salary_sample, salary_sample, constant(params.salary)),
        "case_investments": once(over_cases(cases.one_off_costs)),
        "avoided_offence_damage": recurring(offence_per_year, horizon),
        "avoided_police_effort": recurring(police_per_year, horizon),
        "avoided_detention_days": recurring(detention_per_year, horizon),
        "avoided_benefit_costs": recurring(work_per_year, work_years),
        "avoided_benefit_costs_once": once(work_once),
    }


class _Resample:
    """The draws of a bootstrap: ``index`` ``(draws, n)`` holds the cases drawn.

    They depend on the seed, the number of draws and n only, so cohorts of the same size
    share them (:func:`_resample`); ``counts`` is computed once for all of those.
    """

    def __init__(self, index: np.ndarray) -> None:
        index.flags.writeable = False
        self.index = index
        self.shape: tuple[int, ...] = index.shape[:-1]

    @cached_property
    def counts(self) -> np.ndarray:
        """How often each case is in each draw, ``(draws, n)``."""
        draws, n = self.index.shape
        flat = (self.index + n * np.arange(draws)[:, None]).ravel()
        counts = np.bincount(flat, minlength=draws * n).reshape(draws, n).astype(float)
        counts.flags.writeable = False
        return counts

    def sum(self, per_case: np.ndarray) -> np.ndarray:
        """Σ of the terms ``per_case`` (shape ``(n,)``) over the cases of each draw.

        Whole numbers (the offences, the work amounts rounded to 1 000, and in practice
        the incidents and the euros) add up exactly in any order, so their sums are the
        counts times the terms, one matrix product. Other terms are summed over the drawn
        cases draw by draw, in the order drawn (numpy's pairwise sum of each row, as
        always, hence the same bits).
        """
        n = per_case.shape[-1]
        finite = np.isfinite(per_case).all()
        if finite and (per_case == np.trunc(per_case)).all() and np.abs(per_case).max() * n < 2**53:
            return self.counts @ per_case
        return per_case[self.index].sum(axis=-1)


@lru_cache(maxsize=8)
def _resample(seed: int, draws: int, n: int) -> _Resample:
    """The draws for a seed; the last eight are kept (some 2 MB each at 10 000 draws)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return _Resample(rng.integers(0, n, size=(draws, n)))


@dataclass(frozen=True)
class _Totals:
    costs: np.ndarray
    benefits: np.ndarray
    benefits_excl_transfers: np.ndarray


def _totals(cohort_amounts: Mapping[str, np.ndarray | float], variant: Variant) -> _Totals:
    """Sum a variant's cohort amounts into costs, benefits and benefits w/o transfers."""
    costs: np.ndarray | float = 0.0
    benefits: np.ndarray | float = 0.0
    excl: np.ndarray | float = 0.0
    for line in VARIANT_LINES[variant]:
        amount = cohort_amounts[line]
        if LINE_KINDS[line] == "cost":
            costs = costs + amount
        else:
            benefits = benefits + amount
            if line not in TRANSFER_LINES:
                excl = excl + amount
    return _Totals(np.asarray(costs), np.asarray(benefits), np.asarray(excl))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Benefit-cost ratio; NaN where there are no costs."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / denominator, np.nan)


def _variant_ratios(
    cases: _CaseArrays,
    cohort_size: int,
    params: MkbaParameters | _ParameterBatch,
    resample: _Resample | None = None,
) -> dict[Variant, np.ndarray]:
    """The ratio of both variants, over the batch axis of :func:`_line_amounts`."""
    amounts = _line_amounts(cases, cohort_size, params, resample)
    cohort = {line: a.cohort for line, a in amounts.items()}
    out: dict[Variant, np.ndarray] = {}
    for variant in VARIANTS:
        t = _totals(cohort, variant)
        out[variant] = _ratio(t.benefits, t.costs)
    return out


# ------------------------------------------------------------------------ point value


@dataclass(frozen=True)
class BenefitLine:
    """One row of ``kpi.cohort_benefit`` (without region and cohort year)."""

    variant: Variant
    line: str
    kind: LineKind
    amount_per_year_sample: float | None
    amount_sample_period: float
    amount_cohort: float


@dataclass(frozen=True)
class Summary:
    """One row of ``kpi.cohort_benefit_summary`` (without region and cohort year)."""

    variant: Variant
    cohort_size: int
    sample_size: int
    extrapolation_factor: float
    total_costs: float
    total_benefits: float
    net_benefit: float
    benefit_cost_ratio: float
    benefits_excl_transfers: float
    ratio_excl_transfers: float


def compute_lines(
    cases: Sequence[InterviewedCase], cohort_size: int, params: MkbaParameters
) -> list[BenefitLine]:
    """The cost and benefit lines of both variants (shared lines repeated per variant).

    ``cohort_size`` is N, the trajectories started in the cohort year; the cases are
    the n interviewed ones.
    """
    amounts = _line_amounts(_CaseArrays.from_cases(cases), cohort_size, params)
    rows: list[BenefitLine] = []
    for variant in VARIANTS:
        for line in VARIANT_LINES[variant]:
            a = amounts[line]
            rows.append(
                BenefitLine(
                    variant=variant,
                    line=line,
                    kind=LINE_KINDS[line],
                    amount_per_year_sample=(
                        None if a.per_year_sample is None else float(a.per_year_sample)
                    ),
                    amount_sample_period=float(a.sample_period),
                    amount_cohort=float(a.cohort),
                )
            )
    return rows


@dataclass(frozen=True)
class Recidivism:
    """One row of ``kpi.cohort_recidivism`` (without region and cohort year): the
    intermediate figures of the offence-damage line (§5.1), which the report computes but
    does not table."""

    interviewed: int
    reference_prevalence: float
    expected_recidivists: float
    offences_per_recidivist: float
    expected_offences: float
    observed_recidivists: int
    observed_offences: int
    avoided_offences: float
    observation_years: int
    avoided_offences_per_year: float


def recidivism(cases: Sequence[InterviewedCase], params: MkbaParameters) -> Recidivism:
    """Expected and observed offences of the interviewed cases, with the parameters and
    rounding of :func:`_line_amounts` (:func:`expected_offences`); the offence-damage line
    per year is ``avoided_offences_per_year × cost_per_offence × haircut``."""
    arrays = _CaseArrays.from_cases(cases)
    n = arrays.sample_size
    expected = float(expected_offences(n, params))
    observed = int(arrays.offences.sum())
    avoided = expected - observed
    return Recidivism(
        interviewed=n,
        reference_prevalence=params.reference_prevalence,
        expected_recidivists=n * params.reference_prevalence,
        offences_per_recidivist=params.offences_per_recidivist,
        expected_offences=expected,
        observed_recidivists=sum(1 for c in cases if c.recidivism),
        observed_offences=observed,
        avoided_offences=avoided,
        observation_years=params.observation_years,
        avoided_offences_per_year=avoided / params.observation_years,
    )


def summarise(lines: Sequence[BenefitLine], cohort_size: int, sample_size: int) -> list[Summary]:
    """Totals, net benefit and ratios per variant, on the cohort amounts."""
    out: list[Summary] = []
    for variant in VARIANTS:
        cohort = {row.line: row.amount_cohort for row in lines if row.variant == variant}
        if not cohort:
            continue
        for line in VARIANT_LINES[variant]:
            cohort.setdefault(line, 0.0)
        t = _totals(cohort, variant)
        out.append(
            Summary(
                variant=variant,
                cohort_size=cohort_size,
                sample_size=sample_size,
                extrapolation_factor=cohort_size / sample_size,
                total_costs=float(t.costs),
                total_benefits=float(t.benefits),
                net_benefit=float(t.benefits - t.costs),
                benefit_cost_ratio=float(_ratio(t.benefits, t.costs)),
                benefits_excl_transfers=float(t.benefits_excl_transfers),
                ratio_excl_transfers=float(_ratio(t.benefits_excl_transfers, t.costs)),
            )
        )
    return out


# ----------------------------------------------------------------------- sensitivity


def _steps(start: float, stop: float, step: float) -> tuple[float, ...]:
    count = int(round((stop - start) / step))
    return tuple(round(start + i * step, 10) for i in range(count + 1))


#: The values searched per parameter. The parameter's own value (the default, or what
#: the caller configured) is always added. The range of the break-even search is the
#: span of the grid.
SENSITIVITY_GRIDS: dict[str, tuple[float, ...]] = {
    "haircut": _steps(0.25, 1.0, 0.05),
    "attribution": _steps(0.25, 1.0, 0.05),
    "cost_per_offence": (
        250.0,
        500.0,
        750.0,
        1000.0,
        1500.0,
        2000.0,
        2500.0,
        3000.0,
        4000.0,
        5000.0,
    ),
    "reference_prevalence": _steps(0.2, 0.8, 0.05),
    "offences_per_recidivist": _steps(1.0, 5.0, 0.1),
    "police_hours_per_incident": _steps(1.0, 8.0, 0.5),
    "detention_days_per_year": (*_steps(0.0, 65.0, 5.0), 69.0),
    "horizon_years": (1, 2, 3, 4, 5),
    "work_years_counted": (0, 1, 2, 3, 4, 5),
    "discount_rate": (0.0, 0.01, 0.02, 0.0225, 0.03, 0.04),
}

#: Whole years: a ratio of exactly 1 generally falls between two of them, so no
#: break-even value is reported for these (the sensitivity rows show the step).
INTEGER_PARAMETERS: frozenset[str] = frozenset({"horizon_years", "work_years_counted"})

_BREAK_EVEN_DECIMALS = 3
_BISECTION_STEPS = 60
#: Halvings per call of the core: each call evaluates the 2**depth − 1 midpoints the next
#: ``depth`` halvings can reach.
_BISECTION_DEPTH = 6


@dataclass(frozen=True)
class SensitivityRow:
    """One row of ``kpi.cohort_sensitivity`` (without region and cohort year)."""

    variant: Variant
    kind: Literal["sensitivity", "break_even"]
    parameter: str
    value: float
    benefit_cost_ratio: float


def _current_value(params: MkbaParameters, parameter: str) -> float:
    if parameter == "attribution":
        override = params.attribution_override
        return params.attribution if override is None else override
    return float(getattr(params, parameter))


def sensitivity(
    cases: Sequence[InterviewedCase],
    cohort_size: int,
    params: MkbaParameters,
    grids: Mapping[str, Sequence[float]] | None = None,
) -> list[SensitivityRow]:
    """One-at-a-time sensitivity of the ratio, and break-even values.

    ``kind='sensitivity'`` rows give the ratio of each variant at every grid value of
    every parameter (both variants get every parameter, so a flat line shows that a
    variant does not depend on it). ``attribution`` is applied as an override of every
    case's ``Toerekening``.

    ``kind='break_even'`` rows: where the ratio crosses 1 between the ends of a
    continuous parameter's grid, the value on a 0.001 grid closest to the crossing on
    the side where the cohort breaks even (ratio ≥ 1), with the ratio at that value.
    For a continuous line that ratio is 1 up to the slope × 0.001. Some parameters act
    through the report's rounding (``attribution`` via the per-case rounding to 1 000,
    ``reference_prevalence`` and ``offences_per_recidivist`` via the whole number of
    expected offences), so the ratio may jump across 1; the row then gives the
    threshold of the jump and the ratio just past it (above 1). No row where the ratio
    stays on one side of 1, and none for the whole-year parameters.
    """
    arrays = _CaseArrays.from_cases(cases)
    grids = SENSITIVITY_GRIDS if grids is None else grids

    def ratios(grid: Mapping[str, Sequence[float]]) -> dict[Variant, list[float]]:
        """Both variants' ratios at every value of ``grid``, in one call of the core."""
        r = _variant_ratios(arrays, cohort_size, _ParameterBatch(params, grid))
        return {v: r[v].tolist() for v in VARIANTS}

    values = {
        parameter: sorted({float(x) for x in grid} | {_current_value(params, parameter)})
        for parameter, grid in grids.items()
    }
    # Two calls of the core: attribution has a batch of its own, because without a
    # configured override the cases' own Toerekening cannot be replaced in part of one.
    curves: dict[str, dict[Variant, list[float]]] = {}
    for batch in (
        {p: xs for p, xs in values.items() if p != "attribution"},
        {p: xs for p, xs in values.items() if p == "attribution"},
    ):
        if not batch:
            continue
        batch_ratios = ratios(batch)
        start = 0
        for parameter, xs in batch.items():
            curves[parameter] = {v: batch_ratios[v][start : start + len(xs)] for v in VARIANTS}
            start += len(xs)

    rows = [
        SensitivityRow(variant, "sensitivity", parameter, x, r)
        for variant in VARIANTS
        for parameter, xs in values.items()
        for x, r in zip(xs, curves[parameter][variant], strict=True)
    ]
    for variant in VARIANTS:
        for parameter, xs in values.items():
            if parameter in INTEGER_PARAMETERS:
                continue

            def ratios_at(at: Sequence[float], p: str = parameter, v: Variant = variant):
                return ratios({p: at})[v]

            curve = list(zip(xs, curves[parameter][variant], strict=True))
            found = _break_even_values(curve, ratios_at)
            if found:
                rows += [
                    SensitivityRow(variant, "break_even", parameter, value, r)
                    for value, r in zip(found, ratios_at(found), strict=True)
                ]
    return rows


def _break_even_values(
    curve: Sequence[tuple[float, float]], ratios_at: Callable[[Sequence[float]], Sequence[float]]
) -> list[float]:
    """Values where the ratio crosses 1 between consecutive grid points (see
    :func:`sensitivity` for the definition); at most one for a monotone ratio.
    ``ratios_at`` gives the ratio at each of a batch of values."""
    unit = 10.0**-_BREAK_EVEN_DECIMALS
    low_end, high_end = curve[0][0], curve[-1][0]

    def ratio_at(x: float) -> float:
        return ratios_at([x])[0]

    found: list[float] = []
    for (x0, r0), (x1, r1) in zip(curve, curve[1:], strict=False):
        even0, even1 = r0 >= 1.0, r1 >= 1.0
        if even0 == even1 or math.isnan(r0) or math.isnan(r1):
            continue
        lo, hi = _bisect(x0, x1, even0, ratios_at)
        # Snap to the 0.001 grid on the breaking-even side, nudging past binary noise.
        if even1:  # ratio rises through 1: smallest value with ratio >= 1
            value = math.ceil(round(hi / unit, 6)) * unit
            while ratio_at(value) < 1.0 and value < high_end:
                value += unit
        else:  # ratio falls through 1: largest value with ratio >= 1
            value = math.floor(round(lo / unit, 6)) * unit
            while ratio_at(value) < 1.0 and value > low_end:
                value -= unit
        found.append(round(min(max(value, low_end), high_end), _BREAK_EVEN_DECIMALS))
    return found


def _bisect(
    lo: float,
    hi: float,
    even_at_lo: bool,
    ratios_at: Callable[[Sequence[float]], Sequence[float]],
) -> tuple[float, float]:
    """``lo, hi`` after ``_BISECTION_STEPS`` halvings of ``[lo, hi]``, keeping
    ``(ratio >= 1) == even_at_lo`` at ``lo`` and the opposite at ``hi``.

    Rather than one call of the core per halving, each call evaluates every midpoint
    the next ``_BISECTION_DEPTH`` halvings can reach (a binary tree of them, computed
    with the same ``(lo + hi) / 2``), and the halvings then walk down the tree: the
    same midpoints and comparisons, hence the same ``lo, hi``, as halving one by one.
    """
    remaining = _BISECTION_STEPS
    while remaining > 0:
        depth = min(_BISECTION_DEPTH, remaining)
        levels: list[np.ndarray] = []  # level l: the midpoints of the 2**l intervals
        bounds = np.array([lo, hi])
        for _ in range(depth):
            mids = (bounds[:-1] + bounds[1:]) / 2.0
            levels.append(mids)
            merged = np.empty(bounds.size + mids.size)
            merged[0::2], merged[1::2] = bounds, mids
            bounds = merged
        ratios = ratios_at(np.concatenate(levels))
        start, i = 0, 0  # i: the interval of the current level that [lo, hi] is
        for mids in levels:
            mid = float(mids[i])
            if (ratios[start + i] >= 1.0) == even_at_lo:
                lo, i = mid, 2 * i + 1
            else:
                hi, i = mid, 2 * i
            start += mids.size
        remaining -= depth
    return lo, hi


# ------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class RatioInterval:
    """One row of ``kpi.cohort_uncertainty`` (without region and cohort year)."""

    variant: Variant
    draws: int
    seed: int
    ratio_p05: float
    ratio_p50: float
    ratio_p95: float


def bootstrap(
    cases: Sequence[InterviewedCase],
    cohort_size: int,
    params: MkbaParameters,
    draws: int = 10_000,
    seed: int = 20201231,
) -> list[RatioInterval]:
    """Percentile bootstrap of the benefit-cost ratio per variant.

    The interviewed cases are resampled with replacement (same n) and every line that
    depends on them is recomputed (offences, police incidents, work, case spending);
    the salary, the detention days (a parameter) and ``f = N / n`` stay fixed. All
    draws go through the core at once as a ``draws × n`` index matrix. Deterministic
    for a seed (and the same draws for every cohort of the same n).
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    arrays = _CaseArrays.from_cases(cases)
    resample = _resample(seed, draws, arrays.sample_size)
    ratios = _variant_ratios(arrays, cohort_size, params, resample)
    out: list[RatioInterval] = []
    for variant in VARIANTS:
        p05, p50, p95 = np.nanpercentile(ratios[variant], [5.0, 50.0, 95.0])
        out.append(RatioInterval(variant, draws, seed, float(p05), float(p50), float(p95)))
    return out
