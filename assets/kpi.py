"""KPI tables: joins and aggregates over staging, one SQL file per table.

:data:`KPI_TABLES` lists every table with its Pandera model, its SQL
(``warehouse/sql/kpi_<table>.sql``) and its business checks. They are built by one
multi-asset step, in list order (a table comes after the tables it reads): each table
is an asset of its own, selectable on its own, with its checks; one step instead of
fourteen saves Dagster's per-step bookkeeping. The tables a query reads (its asset
deps, and what its fingerprint covers) are read from the SQL itself.

The cost-benefit analysis (MKBA) of the nazorg-plus cohorts is a second step: its
assumptions are run configuration (:class:`MkbaConfig`).

Why one module of over 500 lines: most of it is declaration, not logic: the list
:data:`KPI_TABLES` with the SQL of each table's business checks, and the MKBA
assumptions of :class:`MkbaConfig` with their Dutch descriptions. Each reads best as
one list next to the step that runs it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

import dagster as dg
import duckdb
from pydantic import Field

from assets.common import SqlCheck, Step, asset_key, check_specs, run_ahead, validate_and_write
from assets.plausibility import OUTFLOW_COMPLETE_YEARS_STABLE, REDETENTION_PREVALENCE_NOT_ZERO
from assets.resources import NazorgWarehouse
from assets.sql import sql
from nazorg import builds
from nazorg import cohort as cohort_mkba_tables
from nazorg.mkba import MkbaParameters
from nazorg.timing import stage
from nazorg.warehouse import replace_table_from_sql, table_exists
from schemas.base import TableModel
from schemas.caseload import (
    CaseConferences,
    Caseload,
    Coordination,
    LifeDomainSupport,
    OutflowCaseloadReconciliation,
)
from schemas.cohort import (
    CohortBenefit,
    CohortBenefitSummary,
    CohortOutcomes,
    CohortParameters,
    CohortSensitivity,
    CohortUncertainty,
    ReachFunnel,
)
from schemas.kpi import Outflow
from schemas.process import CohortRecidivism, IntakeTimeliness, LengthOfStay, TargetGroups
from schemas.redetention import Redetention
from schemas.screening import NeedsAtIntake, ScreeningCoverage

_TABLE_REFERENCE = re.compile(r"\b(?:FROM|JOIN)\s+((?:staging|kpi|quality)\.\w+)", re.IGNORECASE)


def tables_read(query: str) -> list[str]:
    """The warehouse tables a query reads (``FROM``/``JOIN schema.table``)."""
    return sorted({m.lower() for m in _TABLE_REFERENCE.findall(query)})


# Stands in for staging.cases while that table does not exist (a partial run on a new
# warehouse): no case, so nobody is nazorg_plus and the funnel has no intake.
_NO_CASES = (
    "(SELECT NULL::VARCHAR AS region, NULL::VARCHAR AS case_number, NULL::VARCHAR AS person_key, "
    "NULL::DATE AS registration_date, NULL::DATE AS outflow_date, "
    "NULL::DATE AS trajectory_start_date, NULL::DATE AS trajectory_end_date, "
    "NULL::VARCHAR AS nazorg_plus WHERE false)"
)


def _without_missing_cases(con: duckdb.DuckDBPyConnection, query: str) -> str:
    if table_exists(con, "staging.cases") or "FROM staging.cases" not in query:
        return query
    return query.replace("FROM staging.cases", f"FROM {_NO_CASES}")


@dataclass(frozen=True)
class KpiTable:
    """One KPI table: its model, its SQL file and its business expectations."""

    model: type[TableModel]
    sql_name: str
    checks: tuple[SqlCheck, ...] = ()
    # Rewrites the query for the warehouse at hand (a missing optional table).
    adapt: Callable[[duckdb.DuckDBPyConnection, str], str] = lambda con, query: query

    @property
    def table(self) -> str:
        return self.model.table()

    def query(self, con: duckdb.DuckDBPyConnection) -> str:
        return self.adapt(con, sql(self.sql_name))

    def reads(self) -> list[str]:
        queries = [sql(self.sql_name), *(c.query for c in self.checks)]
        return sorted({t for q in queries for t in tables_read(q)} - {self.table})

    def spec(self) -> dg.AssetSpec:
        return dg.AssetSpec(
            asset_key(self.table),
            deps=[asset_key(t) for t in self.reads()],
            description=self.model.Config.description,
        )


def _check(table: str, name: str, description: str, query: str) -> SqlCheck:
    return SqlCheck(table, name, description, query, blocking=True)


KPI_TABLES: tuple[KpiTable, ...] = (
    KpiTable(
        Outflow,
        "kpi_outflow",
        (
            _check(
                "kpi.outflow",
                "municipality_in_region",
                "Elke gemeente in de uitstroom hoort bij de regio waarin ze staat.",
                """SELECT o.region, o.year, o.municipality_code FROM kpi.outflow o
                   LEFT JOIN staging.municipalities m ON m.code = o.municipality_code
                   WHERE m.region IS DISTINCT FROM o.region""",
            ),
            OUTFLOW_COMPLETE_YEARS_STABLE,
        ),
    ),
    KpiTable(
        Caseload,
        "kpi_caseload",
        (
            _check(
                "kpi.caseload",
                "municipality_in_region",
                "Elke gemeente in de caseload hoort bij de regio waarin ze staat (of is OVERIG).",
                """SELECT c.region, c.year, c.municipality_code FROM kpi.caseload c
                   LEFT JOIN staging.municipalities m ON m.code = c.municipality_code
                   WHERE c.municipality_code <> 'OVERIG' AND m.region IS DISTINCT FROM c.region""",
            ),
            _check(
                "kpi.caseload",
                "counts_every_case",
                "De caseload telt per regio en jaar precies de casussen van staging.cases.",
                """SELECT s.region, s.year, s.n, k.n AS in_kpi
                   FROM (SELECT region, year(registration_date) AS year, count(*) AS n
                         FROM staging.cases GROUP BY ALL) s
                   FULL JOIN (SELECT region, year, sum(cases) AS n FROM kpi.caseload GROUP BY ALL) k
                     USING (region, year)
                   WHERE s.n IS DISTINCT FROM k.n""",
            ),
        ),
    ),
    KpiTable(
        Coordination,
        "kpi_coordination",
        (
            _check(
                "kpi.coordination",
                "numerator_within_caseload",
                "Geen coördinatiemaat telt meer casussen dan de caseload van de regio in dat jaar.",
                """SELECT region, year, measure, numerator, caseload FROM kpi.coordination
                   WHERE numerator > caseload""",
            ),
            _check(
                "kpi.coordination",
                "denominators_match_outflow_and_caseload",
                "De noemers outflow en caseload zijn per regio en jaar de totalen van kpi.outflow "
                "en kpi.caseload.",
                """WITH o AS (SELECT region, year, sum(persons) AS total FROM kpi.outflow GROUP BY ALL),
                        c AS (SELECT region, year, sum(cases) AS total FROM kpi.caseload GROUP BY ALL)
                   SELECT k.region, k.year, k.measure, k.outflow, o.total AS outflow_total,
                          k.caseload, c.total AS caseload_total
                   FROM kpi.coordination k
                   LEFT JOIN o USING (region, year) LEFT JOIN c USING (region, year)
                   WHERE coalesce(k.outflow, 0) <> coalesce(o.total, 0)
                      OR coalesce(k.caseload, 0) <> coalesce(c.total, 0)""",
            ),
        ),
    ),
    KpiTable(
        LifeDomainSupport,
        "kpi_life_domain_support",
        (
            _check(
                "kpi.life_domain_support",
                "within_supported_cases",
                "Per leefgebied nooit meer casussen dan er casussen met inzet op leefgebieden "
                "zijn, en samen minstens zoveel.",
                """WITH supported AS (
                       SELECT region, year(registration_date) AS year,
                              count(*) FILTER (WHERE has_life_domain_support) AS supported
                       FROM staging.cases GROUP BY ALL
                   )
                   SELECT l.region, l.year, max(l.cases) AS max_domain, sum(l.cases) AS all_marks,
                          any_value(s.supported) AS supported
                   FROM kpi.life_domain_support l
                   JOIN supported s ON s.region = l.region AND s.year = l.year
                   GROUP BY l.region, l.year
                   HAVING max(l.cases) > any_value(s.supported)
                       OR sum(l.cases) < any_value(s.supported)""",
            ),
        ),
    ),
    KpiTable(CaseConferences, "kpi_case_conferences"),
    KpiTable(
        OutflowCaseloadReconciliation,
        "kpi_outflow_caseload_reconciliation",
        (
            _check(
                "kpi.outflow_caseload_reconciliation",
                "matches_outflow_and_caseload",
                "De aansluiting telt per regio en jaar dezelfde uitstroom en caseload als "
                "kpi.outflow en kpi.caseload.",
                """SELECT r.region, r.year, r.outflow, o.outflow AS in_outflow,
                          r.caseload, c.caseload AS in_caseload
                   FROM (SELECT region, year, sum(outflow_persons) AS outflow,
                                sum(caseload_cases) AS caseload
                         FROM kpi.outflow_caseload_reconciliation GROUP BY ALL) r
                   LEFT JOIN (SELECT region, year, sum(persons) AS outflow
                              FROM kpi.outflow GROUP BY ALL) o USING (region, year)
                   LEFT JOIN (SELECT region, year, sum(cases) AS caseload
                              FROM kpi.caseload GROUP BY ALL) c USING (region, year)
                   WHERE r.outflow IS DISTINCT FROM o.outflow
                      OR r.caseload IS DISTINCT FROM c.caseload""",
            ),
        ),
    ),
    KpiTable(ScreeningCoverage, "kpi_screening_coverage"),
    KpiTable(NeedsAtIntake, "kpi_needs_at_intake"),
    KpiTable(
        LengthOfStay,
        "kpi_length_of_stay",
        (
            _check(
                "kpi.length_of_stay",
                "bands_sum_to_released_episodes",
                "De verblijfsduurklassen tellen per regio en jaar van ontslag op tot de ontslagen "
                "detentieperioden van kpi.screening_coverage.",
                """SELECT coalesce(l.region, s.region) AS region,
                          coalesce(l.release_year, s.year) AS release_year,
                          l.episodes, s.released_detentions
                   FROM (SELECT region, release_year, sum(released_episodes) AS episodes
                         FROM kpi.length_of_stay GROUP BY ALL) l
                   FULL JOIN kpi.screening_coverage s
                     ON s.region = l.region AND s.year = l.release_year
                   WHERE l.episodes IS DISTINCT FROM s.released_detentions""",
            ),
        ),
    ),
    KpiTable(
        IntakeTimeliness,
        "kpi_intake_timeliness",
        (
            _check(
                "kpi.intake_timeliness",
                "admissions_match_episodes",
                "De insluitingen zijn per regio en jaar precies de detentieperioden van "
                "staging.detentions, en de perioden met een formulier precies die met een "
                "gekoppeld formulier.",
                """WITH s AS (
                       SELECT d.region, year(d.admission_date) AS admission_year,
                              count(*) AS admissions,
                              count(*) FILTER (WHERE d.episode_id IN (
                                  SELECT episode_id FROM staging.screenings)) AS with_form
                       FROM staging.detentions d WHERE d.region IS NOT NULL GROUP BY ALL)
                   SELECT coalesce(k.region, s.region) AS region,
                          coalesce(k.admission_year, s.admission_year) AS admission_year,
                          k.admissions, s.admissions AS in_staging,
                          k.with_form, s.with_form AS with_form_in_staging
                   FROM kpi.intake_timeliness k
                   FULL JOIN s ON s.region = k.region AND s.admission_year = k.admission_year
                   WHERE k.admissions IS DISTINCT FROM s.admissions
                      OR k.with_form IS DISTINCT FROM s.with_form""",
            ),
        ),
    ),
    KpiTable(
        TargetGroups,
        "kpi_target_groups",
        (
            _check(
                "kpi.target_groups",
                "group_within_all",
                "Geen doelgroep telt meer personen, of meer personen met een casus, dan 'all' "
                "van dezelfde regio en hetzelfde jaar.",
                """SELECT g.region, g.release_year, g.target_group,
                          g.released_persons, a.released_persons AS all_persons,
                          g.with_case, a.with_case AS all_with_case
                   FROM kpi.target_groups g
                   LEFT JOIN kpi.target_groups a
                     ON a.region = g.region AND a.release_year = g.release_year
                    AND a.target_group = 'all'
                   WHERE a.region IS NULL
                      OR g.released_persons > a.released_persons
                      OR g.with_case > a.with_case""",
            ),
            _check(
                "kpi.target_groups",
                "all_matches_outflow",
                "De groep 'all' is per regio en jaar de uitstroom van kpi.outflow (personen, "
                "geplaatst bij hun laatste ontslag).",
                """WITH o AS (SELECT region, year, sum(persons) AS total FROM kpi.outflow GROUP BY ALL)
                   SELECT coalesce(g.region, o.region) AS region,
                          coalesce(g.release_year, o.year) AS release_year,
                          g.released_persons, o.total AS outflow_total
                   FROM (SELECT * FROM kpi.target_groups WHERE target_group = 'all') g
                   FULL JOIN o ON o.region = g.region AND o.year = g.release_year
                   WHERE g.released_persons IS DISTINCT FROM o.total""",
            ),
        ),
        adapt=_without_missing_cases,
    ),
    KpiTable(
        ReachFunnel,
        "kpi_reach_funnel",
        (
            _check(
                "kpi.reach_funnel",
                "stages_nested",
                "Waar de fasen genest zijn, groeit een fase nooit: bruto instroom ≥ traject "
                "gestart ≥ geïnterviewd en steekproef ≥ benaderd ≥ geïnterviewd.",
                """WITH f AS (
                       SELECT region, cohort_year,
                           max(persons) FILTER (WHERE stage = 'gross_intake') AS gross_intake,
                           max(persons) FILTER (WHERE stage = 'trajectory_started') AS trajectory_started,
                           max(persons) FILTER (WHERE stage = 'sampled') AS sampled,
                           max(persons) FILTER (WHERE stage = 'approached') AS approached,
                           max(persons) FILTER (WHERE stage = 'interviewed') AS interviewed
                       FROM kpi.reach_funnel GROUP BY region, cohort_year)
                   SELECT * FROM f
                   WHERE trajectory_started > gross_intake OR approached > sampled
                      OR interviewed > approached OR interviewed > trajectory_started""",
            ),
            _check(
                "kpi.reach_funnel",
                "released_matches_outflow",
                "De fase released is de uitstroom (kpi.outflow) van de regio in het cohortjaar.",
                """WITH o AS (SELECT region, year, sum(persons) AS total FROM kpi.outflow GROUP BY ALL)
                   SELECT f.region, f.cohort_year, f.persons, o.total AS outflow_total
                   FROM kpi.reach_funnel f
                   LEFT JOIN o ON o.region = f.region AND o.year = f.cohort_year
                   WHERE f.stage = 'released' AND f.persons <> coalesce(o.total, 0)""",
            ),
        ),
        adapt=_without_missing_cases,
    ),
    KpiTable(CohortOutcomes, "kpi_cohort_outcomes"),
    KpiTable(
        Redetention,
        "kpi_redetention",
        (
            _check(
                "kpi.redetention",
                "groups_add_up",
                "Per regio en uitstroomjaar is 'all' de som van nazorg_plus en regular (personen, "
                "heropgenomen, nieuwe detenties) en hebben alle groepen hetzelfde vensteroordeel.",
                """SELECT region, release_year,
                          sum(released_persons) FILTER (WHERE aftercare_group <> 'all') AS released_groups,
                          sum(released_persons) FILTER (WHERE aftercare_group = 'all') AS released_all
                   FROM kpi.redetention
                   GROUP BY region, release_year
                   HAVING count(*) FILTER (WHERE aftercare_group = 'all') <> 1
                       OR released_groups IS DISTINCT FROM released_all
                       OR sum(redetained_2y) FILTER (WHERE aftercare_group <> 'all')
                          IS DISTINCT FROM sum(redetained_2y) FILTER (WHERE aftercare_group = 'all')
                       OR sum(new_detentions_2y) FILTER (WHERE aftercare_group <> 'all')
                          IS DISTINCT FROM sum(new_detentions_2y) FILTER (WHERE aftercare_group = 'all')
                       OR count(DISTINCT window_complete) <> 1""",
            ),
            REDETENTION_PREVALENCE_NOT_ZERO,
        ),
        adapt=_without_missing_cases,
    ),
)


def _kpi_check_specs() -> list[dg.AssetCheckSpec]:
    return check_specs([t.model for t in KPI_TABLES], [c for t in KPI_TABLES for c in t.checks])


@dg.multi_asset(
    name="kpi_tables",
    group_name="kpi",
    specs=[t.spec() for t in KPI_TABLES],
    check_specs=_kpi_check_specs(),
    can_subset=True,
)
def kpi_tables(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """Every KPI table of :data:`KPI_TABLES` (grain per table in its model's description).

    A table whose query and input tables are unchanged since the published build is
    kept; a check selected without its table runs on the table as it stands.
    """
    yield from run_ahead(_kpi_tables(context, nazorg))


def _kpi_tables(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, nazorg.key(context.log), published=nazorg.settings().warehouse)
        for kpi in KPI_TABLES:
            if not step.selected(kpi.model):
                # Checks selected without their table run on the table as it stands.
                yield from step.schema_check(kpi.model)
                yield from step.sql_checks(kpi.checks)
                continue
            query = kpi.query(con)
            inputs = step.inputs(tables_read(query), extra=query)
            if previous := step.previous(kpi.model, inputs):
                yield from step.kept_table(kpi.model, previous, kpi.checks)
                continue
            replace_table_from_sql(con, kpi.model, query)
            yield from step.built_table(kpi.model, inputs, None, kpi.checks)
        step.log_summary("kpi")


# --------------------------------------------------------------------------- the MKBA

_DEFAULTS = MkbaParameters()


class MkbaConfig(dg.Config):
    """The assumptions of the MKBA (kpi-method.md part B), the report's values as
    defaults (price level 2020). Every run writes the values it used to
    ``kpi.cohort_parameters``. Override per run, e.g. in the launchpad:
    ``ops: {cohort_mkba: {config: {cost_per_offence: 2000}}}``."""

    salary: float = Field(
        default=_DEFAULTS.salary,
        description="Salaris van de coördinator per cohortjaar (kosten, één keer geteld).",
    )
    horizon_years: int = Field(
        default=_DEFAULTS.horizon_years, description="Jaren terugkerende baten die meetellen."
    )
    observation_years: int = Field(
        default=_DEFAULTS.observation_years,
        description="Lengte van de vervolgperiode waarin delicten zijn geteld (jaren).",
    )
    haircut: float = Field(
        default=_DEFAULTS.haircut,
        description="Correctie voor de kleine steekproef op de delict- en politieposten.",
    )
    reference_prevalence: float = Field(
        default=_DEFAULTS.reference_prevalence,
        description="Tweejaarsrecidive van de referentiegroep (WODC groep 2).",
    )
    offences_per_recidivist: float = Field(
        default=_DEFAULTS.offences_per_recidivist,
        description="Delicten per recidivist in de observatieperiode (referentiegroep).",
    )
    cost_per_offence: float = Field(
        default=_DEFAULTS.cost_per_offence, description="Materiële kosten per delict (euro)."
    )
    police_cost_per_hour: float = Field(
        default=_DEFAULTS.police_cost_per_hour, description="Kosten van een uur politie-inzet."
    )
    police_hours_per_incident: float = Field(
        default=_DEFAULTS.police_hours_per_incident, description="Politie-uren per incident."
    )
    detention_cost_per_day: float = Field(
        default=_DEFAULTS.detention_cost_per_day, description="Kosten van een detentiedag."
    )
    detention_days_per_year: float = Field(
        default=_DEFAULTS.detention_days_per_year,
        description="Vermeden detentiedagen per jaar in de steekproef.",
    )
    benefit_cost_per_month: float = Field(
        default=_DEFAULTS.benefit_cost_per_month,
        description="Uitkeringskosten per maand, direct en indirect (euro).",
    )
    attribution: float = Field(
        default=_DEFAULTS.attribution,
        description="Toerekening van werkeffecten waar een casus geen Toerekening geeft.",
    )
    attribution_override: float | None = Field(
        default=_DEFAULTS.attribution_override,
        description="Als gezet: vervangt de Toerekening van elke casus.",
    )
    work_years_counted: int = Field(
        default=_DEFAULTS.work_years_counted,
        description="Jaren blijvend werk die meetellen (ten hoogste de horizon).",
    )
    discount_rate: float = Field(
        default=_DEFAULTS.discount_rate,
        description="Reële discontovoet per jaar; jaar 1 onverdisconteerd (standaard sinds 2021: 0,0225).",
    )
    bootstrap_draws: int = Field(
        default=10_000, description="Aantal bootstrap-trekkingen voor kpi.cohort_uncertainty."
    )
    bootstrap_seed: int = Field(
        default=20201231, description="Seed van de bootstrap: dezelfde seed, dezelfde uitkomst."
    )

    def to_parameters(self) -> MkbaParameters:
        return MkbaParameters(
            **{f.name: getattr(self, f.name) for f in dataclass_fields(MkbaParameters)}
        )


MKBA_MODELS = (
    CohortBenefit,
    CohortBenefitSummary,
    CohortParameters,
    CohortSensitivity,
    CohortUncertainty,
    # After the lines and parameters: its check compares with them.
    CohortRecidivism,
)

SIZES_MATCH_FUNNEL = _check(
    "kpi.cohort_benefit_summary",
    "sizes_match_funnel",
    "De MKBA extrapoleert naar de gestarte trajecten (N) vanuit de geïnterviewden (n) van "
    "kpi.reach_funnel, nooit vanuit de getrokken steekproef.",
    """SELECT s.region, s.cohort_year, s.variant, s.cohort_size, s.sample_size,
           n.persons AS trajectory_started, i.persons AS interviewed
       FROM kpi.cohort_benefit_summary s
       LEFT JOIN kpi.reach_funnel n ON n.region = s.region AND n.cohort_year = s.cohort_year
           AND n.stage = 'trajectory_started'
       LEFT JOIN kpi.reach_funnel i ON i.region = s.region AND i.cohort_year = s.cohort_year
           AND i.stage = 'interviewed'
       WHERE s.cohort_size IS DISTINCT FROM n.persons
          OR s.sample_size IS DISTINCT FROM i.persons""",
)
RECIDIVISM_FEEDS_OFFENCE_LINE = _check(
    "kpi.cohort_recidivism",
    "feeds_offence_damage_line",
    "Verwacht − waargenomen = vermeden delicten, en vermeden delicten per jaar × kosten per "
    "delict × correctie kleine steekproef is het jaarbedrag van de post vermeden delictschade "
    "(variant A) in kpi.cohort_benefit.",
    """WITH p AS (
           SELECT region, cohort_year,
                  max(value) FILTER (WHERE parameter = 'cost_per_offence') AS cost_per_offence,
                  max(value) FILTER (WHERE parameter = 'haircut') AS haircut
           FROM kpi.cohort_parameters GROUP BY ALL)
       SELECT r.region, r.cohort_year, r.expected_offences, r.observed_offences,
              r.avoided_offences, r.avoided_offences_per_year,
              b.amount_per_year_sample AS offence_line_per_year
       FROM kpi.cohort_recidivism r
       LEFT JOIN p USING (region, cohort_year)
       LEFT JOIN kpi.cohort_benefit b
         ON b.region = r.region AND b.cohort_year = r.cohort_year
        AND b.variant = 'A' AND b.line = 'avoided_offence_damage'
       WHERE r.expected_offences - r.observed_offences <> r.avoided_offences
          OR (b.region IS NOT NULL AND abs(r.avoided_offences_per_year * p.cost_per_offence
                                           * p.haircut - b.amount_per_year_sample) > 1e-6)""",
)
MKBA_CHECKS: dict[type[TableModel], list[SqlCheck]] = {
    CohortBenefitSummary: [SIZES_MATCH_FUNNEL],
    CohortRecidivism: [RECIDIVISM_FEEDS_OFFENCE_LINE],
}
# What the MKBA takes from the funnel: the cohort sizes N, nothing else. A new day of
# releases changes the funnel's first stage, never these rows: the MKBA (and its
# bootstrap) is then not computed again.
COHORT_SIZES = (
    "SELECT region, cohort_year, persons FROM kpi.reach_funnel "
    "WHERE stage = 'trajectory_started' ORDER BY region, cohort_year"
)


@dg.multi_asset(
    name="cohort_mkba",
    group_name="kpi",
    specs=[
        dg.AssetSpec(
            asset_key(model.table()),
            deps=[asset_key("staging.cohort_sample"), asset_key("kpi.reach_funnel")],
            description=model.Config.description,
        )
        for model in MKBA_MODELS
    ],
    check_specs=check_specs(MKBA_MODELS, [c for cs in MKBA_CHECKS.values() for c in cs]),
)
def cohort_mkba(context: dg.AssetExecutionContext, config: MkbaConfig, nazorg: NazorgWarehouse):
    """The MKBA of every (region, cohort year) in ``staging.cohort_sample``: lines,
    balance, parameters used, sensitivity and bootstrap (grain per table in its model)."""
    yield from run_ahead(_cohort_mkba(context, config, nazorg))


def _cohort_mkba(context: dg.AssetExecutionContext, config: MkbaConfig, nazorg: NazorgWarehouse):
    params = config.to_parameters()
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, nazorg.key(context.log))
        sizes = (
            con.execute(COHORT_SIZES).fetchall() if table_exists(con, "kpi.reach_funnel") else []
        )
        inputs = step.inputs(
            ["staging.cohort_sample"], extra=f"{builds.config_text(config)}\n{sizes}"
        )
        previous = [step.previous(model, inputs) for model in MKBA_MODELS]
        if all(previous):
            for model, run_id in zip(MKBA_MODELS, previous, strict=True):
                yield from step.kept_table(model, run_id, MKBA_CHECKS.get(model, []))
            step.log_summary("mkba")
            return
        with stage("read"):
            sample = con.sql("SELECT * FROM staging.cohort_sample").pl()
            funnel = con.sql("SELECT * FROM kpi.reach_funnel").pl()
        with stage("transform"):
            tables = cohort_mkba_tables.compute_mkba(
                sample, funnel, params, config.bootstrap_draws, config.bootstrap_seed
            )
        for reason in tables.skipped:
            context.log.warning(reason)
        frames = {
            CohortBenefit: tables.benefit,
            CohortBenefitSummary: tables.summary,
            CohortParameters: tables.parameters,
            CohortSensitivity: tables.sensitivity,
            CohortUncertainty: tables.uncertainty,
            CohortRecidivism: tables.recidivism,
        }
        used = dict(
            cohort_mkba_tables.parameter_rows(params, config.bootstrap_draws, config.bootstrap_seed)
        )
        for model, frame in frames.items():
            result = validate_and_write(con, model, frame, context.log)
            yield from step.built_table(
                model, inputs, result, MKBA_CHECKS.get(model, []), metadata={"parameters": used}
            )
