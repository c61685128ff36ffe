"""The MKBA of every cohort in the follow-up: from staging rows to the kpi tables.

The arithmetic is :mod:`nazorg.mkba`; this module only turns ``staging.cohort_sample``
rows and the reach funnel into its inputs and its results into table frames, per
(region, cohort year) present in the sample. The cohort size N is the funnel's
``trajectory_started``, the sample size n the number of interviewed cases (never the
number sampled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

import polars as pl

from nazorg.mkba import (
    InterviewedCase,
    MkbaParameters,
    bootstrap,
    compute_lines,
    recidivism,
    sensitivity,
    summarise,
)
from nazorg.sources.cohort import INTERVIEWED

BENEFIT_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "variant": pl.Utf8,
    "line": pl.Utf8,
    "kind": pl.Utf8,
    "amount_per_year_sample": pl.Float64,
    "amount_sample_period": pl.Float64,
    "amount_cohort": pl.Float64,
}
SUMMARY_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "variant": pl.Utf8,
    "cohort_size": pl.Int64,
    "sample_size": pl.Int64,
    "extrapolation_factor": pl.Float64,
    "total_costs": pl.Float64,
    "total_benefits": pl.Float64,
    "net_benefit": pl.Float64,
    "benefit_cost_ratio": pl.Float64,
    "benefits_excl_transfers": pl.Float64,
    "ratio_excl_transfers": pl.Float64,
}
PARAMETER_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "parameter": pl.Utf8,
    "value": pl.Float64,
    "unit": pl.Utf8,
}
SENSITIVITY_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "variant": pl.Utf8,
    "kind": pl.Utf8,
    "parameter": pl.Utf8,
    "value": pl.Float64,
    "benefit_cost_ratio": pl.Float64,
}
RECIDIVISM_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "interviewed": pl.Int64,
    "reference_prevalence": pl.Float64,
    "expected_recidivists": pl.Float64,
    "offences_per_recidivist": pl.Float64,
    "expected_offences": pl.Float64,
    "observed_recidivists": pl.Int64,
    "observed_offences": pl.Int64,
    "avoided_offences": pl.Float64,
    "observation_years": pl.Int64,
    "avoided_offences_per_year": pl.Float64,
}
FUNNEL_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "stage": pl.Utf8,
    "stage_order": pl.Int64,
    "persons": pl.Int64,
    "share_of_released": pl.Float64,
    "share_of_previous": pl.Float64,
}
UNCERTAINTY_SCHEMA = {
    "region": pl.Utf8,
    "cohort_year": pl.Int64,
    "variant": pl.Utf8,
    "draws": pl.Int64,
    "seed": pl.Int64,
    "ratio_p05": pl.Float64,
    "ratio_p50": pl.Float64,
    "ratio_p95": pl.Float64,
    "benefit_cost_ratio": pl.Float64,
}


def empty_funnel() -> pl.DataFrame:
    """``kpi.reach_funnel`` without rows (no case registration loaded)."""
    return pl.DataFrame(schema=FUNNEL_SCHEMA)


def _case(r: dict) -> InterviewedCase:
    return InterviewedCase(
        offences=int(r["offences"] or 0),
        police_incidents_per_year=r["police_incidents_per_year"],
        benefit_months_per_year=r["benefit_months_per_year"],
        benefit_months_once=r["benefit_months_once"],
        attribution=r["attribution"],
        one_off_costs=r["one_off_costs_eur"],
        recidivism=r["recidivism"],
    )


def interviewed_cases(sample: pl.DataFrame) -> list[InterviewedCase]:
    """The ``Geïnterviewd`` rows of one cohort as MKBA cases (empty cells stay None)."""
    rows = sample.filter(pl.col("status") == INTERVIEWED).sort("case_number", "source_row")
    return [_case(r) for r in rows.iter_rows(named=True)]


def _interviewed_by_cohort(sample: pl.DataFrame) -> dict[tuple[str, int], list[InterviewedCase]]:
    """:func:`interviewed_cases` of every (region, cohort year), in one pass."""
    rows = sample.filter(pl.col("status") == INTERVIEWED).sort(
        "region", "cohort_year", "case_number", "source_row", maintain_order=True
    )
    out: dict[tuple[str, int], list[InterviewedCase]] = {}
    for r in rows.iter_rows(named=True):
        out.setdefault((r["region"], int(r["cohort_year"])), []).append(_case(r))
    return out


# The unit of every row of kpi.cohort_parameters, in the words of the Limburg report: a
# value without its unit (34.43, 0.5) is a riddle to whoever reads the table.
PARAMETER_UNITS = {
    "salary": "euro per cohortjaar",
    "horizon_years": "jaar",
    "observation_years": "jaar",
    "haircut": "fractie",
    "reference_prevalence": "fractie",
    "offences_per_recidivist": "delicten per recidivist",
    "cost_per_offence": "euro per delict",
    "police_cost_per_hour": "euro per uur",
    "police_hours_per_incident": "uren per incident",
    "detention_cost_per_day": "euro per dag",
    "detention_days_per_year": "dagen per jaar",
    "benefit_cost_per_month": "euro per maand",
    "attribution": "fractie",
    "attribution_override": "fractie",
    "work_years_counted": "jaar",
    "discount_rate": "fractie per jaar",
    "bootstrap_draws": "trekkingen",
    "bootstrap_seed": "geen (startgetal van de toevalsgenerator)",
}


def parameter_rows(params: MkbaParameters, draws: int, seed: int) -> list[tuple[str, float]]:
    """Every value a figure depends on: the MKBA parameters and the bootstrap's."""
    return [
        *params.as_rows(),
        ("bootstrap_draws", float(draws)),
        ("bootstrap_seed", float(seed)),
    ]


@dataclass
class CohortTables:
    """The MKBA tables, and why a cohort of the sample was left out (Dutch)."""

    benefit: pl.DataFrame
    summary: pl.DataFrame
    parameters: pl.DataFrame
    sensitivity: pl.DataFrame
    uncertainty: pl.DataFrame
    #: Expected and observed offences; also for a cohort whose N is unknown (it needs
    #: only the interviewed cases).
    recidivism: pl.DataFrame
    skipped: list[str] = field(default_factory=list)


def _cohort_sizes(funnel: pl.DataFrame) -> dict[tuple[str, int], int | None]:
    started = funnel.filter(pl.col("stage") == "trajectory_started")
    return {
        (r["region"], int(r["cohort_year"])): r["persons"] for r in started.iter_rows(named=True)
    }


def cohorts(sample: pl.DataFrame) -> list[tuple[str, int]]:
    if sample.height == 0:
        return []
    keys = sample.select("region", "cohort_year").unique().sort("region", "cohort_year")
    return [(r, int(y)) for r, y in keys.iter_rows()]


def compute_mkba(
    sample: pl.DataFrame,
    funnel: pl.DataFrame,
    params: MkbaParameters,
    draws: int,
    seed: int,
    only: Iterable[tuple[str, int]] | None = None,
) -> CohortTables:
    """The MKBA of every (region, cohort year) in ``sample`` (``staging.cohort_sample``).

    ``funnel`` is ``kpi.reach_funnel``; its ``trajectory_started`` is N. A cohort without
    interviewed cases or without started trajectories cannot be extrapolated and is
    skipped, with the reason in ``skipped``.
    """
    sizes = _cohort_sizes(funnel)
    interviewed = _interviewed_by_cohort(sample)
    benefit: list[tuple] = []
    summary: list[tuple] = []
    parameters: list[tuple] = []
    sens: list[tuple] = []
    unc: list[tuple] = []
    recid: list[tuple] = []
    skipped: list[str] = []
    wanted = set(only) if only is not None else None
    for region, year in cohorts(sample):
        if wanted is not None and (region, year) not in wanted:
            continue
        cases = interviewed.get((region, year), [])
        cohort_size = sizes.get((region, year))
        if not cases:
            skipped.append(f"{region} {year}: geen geïnterviewde casussen, geen MKBA")
            continue
        recid += _rows((region, year), [recidivism(cases, params)], RECIDIVISM_SCHEMA)
        if not cohort_size:
            skipped.append(
                f"{region} {year}: geen gestarte nazorg-plus-trajecten in de casusregistratie "
                "(cohortgrootte N onbekend), geen MKBA"
            )
            continue
        key = (region, year)
        lines = compute_lines(cases, cohort_size, params)
        benefit += _rows(key, lines, BENEFIT_SCHEMA)
        totals = summarise(lines, cohort_size, len(cases))
        summary += _rows(key, totals, SUMMARY_SCHEMA)
        point = {s.variant: s.benefit_cost_ratio for s in totals}
        parameters += [
            (*key, name, value, PARAMETER_UNITS[name])
            for name, value in parameter_rows(params, draws, seed)
        ]
        sens += _rows(key, sensitivity(cases, cohort_size, params), SENSITIVITY_SCHEMA)
        intervals = bootstrap(cases, cohort_size, params, draws=draws, seed=seed)
        unc += [
            (*row, point[interval.variant])
            for interval, row in zip(
                intervals,
                _rows(key, intervals, UNCERTAINTY_SCHEMA, without=("benefit_cost_ratio",)),
                strict=True,
            )
        ]
    return CohortTables(
        benefit=_frame(benefit, BENEFIT_SCHEMA),
        summary=_frame(summary, SUMMARY_SCHEMA),
        parameters=_frame(parameters, PARAMETER_SCHEMA),
        sensitivity=_frame(sens, SENSITIVITY_SCHEMA),
        uncertainty=_frame(unc, UNCERTAINTY_SCHEMA),
        recidivism=_frame(recid, RECIDIVISM_SCHEMA),
        skipped=skipped,
    )


def _rows(
    key: tuple[str, int], records: Iterable[object], schema: dict, without: tuple[str, ...] = ()
) -> list[tuple]:
    """``key`` followed by the fields of each record, in the order of ``schema``."""
    fields = attrgetter(*(c for c in list(schema)[2:] if c not in without))
    return [(*key, *fields(r)) for r in records]


def _frame(rows: list[tuple], schema: dict) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, orient="row")
