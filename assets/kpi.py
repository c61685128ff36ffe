"""KPI tables: joins and aggregates over staging, grain stated per asset."""

import dagster as dg

from assets.checks import sql_check
from assets.common import table_metadata
from assets.sql import sql
from nazorg.warehouse import replace_table_from_sql
from pipelines.resources import NazorgWarehouse
from schemas.kpi import Outflow


@dg.asset(
    key_prefix="kpi",
    group_name="kpi",
    deps=[dg.AssetKey(["staging", "detentions"]), dg.AssetKey(["staging", "municipalities"])],
)
def outflow(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per region, release year and municipality: persons released."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, Outflow, sql("kpi_outflow"))
        return dg.MaterializeResult(metadata=table_metadata(con, Outflow))


outflow_municipality_in_region = sql_check(
    "kpi.outflow",
    "municipality_in_region",
    "Elke gemeente in de uitstroom hoort bij de regio waarin ze staat.",
    """SELECT o.region, o.year, o.municipality_code FROM kpi.outflow o
       LEFT JOIN staging.municipalities m ON m.code = o.municipality_code
       WHERE m.region IS DISTINCT FROM o.region""",
    blocking=True,
)


# --- Nazorg-plus cohort: reach funnel and MKBA (issue 5) -------------------------------
from dataclasses import fields as dataclass_fields  # noqa: E402

from pydantic import Field  # noqa: E402

from nazorg import cohort as cohort_mkba_tables  # noqa: E402
from nazorg.mkba import MkbaParameters  # noqa: E402
from nazorg.warehouse import replace_table, table_exists  # noqa: E402
from schemas.cohort import (  # noqa: E402
    CohortBenefit,
    CohortBenefitSummary,
    CohortOutcomes,
    CohortParameters,
    CohortSensitivity,
    CohortUncertainty,
    ReachFunnel,
)

_DEFAULTS = MkbaParameters()


@dg.asset(
    key_prefix="kpi",
    group_name="kpi",
    deps=[
        dg.AssetKey(["staging", "cases"]),
        dg.AssetKey(["staging", "cohort_sample"]),
        dg.AssetKey(["kpi", "outflow"]),
    ],
)
def reach_funnel(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, cohort year and stage (released → interviewed): persons."""
    with nazorg.connect(context.run.run_id) as con:
        if table_exists(con, "staging.cases"):
            replace_table_from_sql(con, ReachFunnel, sql("kpi_reach_funnel"))
        else:
            context.log.warning("staging.cases ontbreekt: kpi.reach_funnel blijft leeg.")
            replace_table(con, ReachFunnel, cohort_mkba_tables.empty_funnel())
        return dg.MaterializeResult(metadata=table_metadata(con, ReachFunnel))


reach_funnel_nested = sql_check(
    "kpi.reach_funnel",
    "stages_nested",
    "Waar de fasen genest zijn, groeit een fase nooit: bruto instroom ≥ traject gestart ≥ "
    "geïnterviewd en steekproef ≥ benaderd ≥ geïnterviewd.",
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
    blocking=True,
)


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
)


@dg.multi_asset(
    name="cohort_mkba",
    group_name="kpi",
    specs=[
        dg.AssetSpec(
            dg.AssetKey(model.table().split(".")),
            deps=[dg.AssetKey(["staging", "cohort_sample"]), dg.AssetKey(["kpi", "reach_funnel"])],
            description=model.Config.description,
        )
        for model in MKBA_MODELS
    ],
)
def cohort_mkba(context: dg.AssetExecutionContext, config: MkbaConfig, nazorg: NazorgWarehouse):
    """The MKBA of every (region, cohort year) in ``staging.cohort_sample``: lines,
    balance, parameters used, sensitivity and bootstrap (grain per table in its model)."""
    params = config.to_parameters()
    with nazorg.connect(context.run.run_id) as con:
        sample = con.sql("SELECT * FROM staging.cohort_sample").pl()
        funnel = con.sql("SELECT * FROM kpi.reach_funnel").pl()
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
        }
        used = {
            name: value
            for name, value in cohort_mkba_tables.parameter_rows(
                params, config.bootstrap_draws, config.bootstrap_seed
            )
        }
        for model, frame in frames.items():
            replace_table(con, model, frame)
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(model.table().split(".")),
                metadata={**table_metadata(con, model), "parameters": used},
            )


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[dg.AssetKey(["staging", "cohort_sample"])])
def cohort_outcomes(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, cohort year, life domain and outcome: interviewed cases."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, CohortOutcomes, sql("kpi_cohort_outcomes"))
        return dg.MaterializeResult(metadata=table_metadata(con, CohortOutcomes))


cohort_benefit_summary_matches_funnel = sql_check(
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
    blocking=True,
)


# --- Screening: coverage, consent and needs at intake (issue 4) ----------------------

from schemas.screening import NeedsAtIntake, ScreeningCoverage  # noqa: E402

_SCREENING_DEPS = [dg.AssetKey(["staging", "detentions"]), dg.AssetKey(["staging", "screenings"])]


@dg.asset(key_prefix="kpi", group_name="kpi", deps=_SCREENING_DEPS)
def screening_coverage(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region and release year: released detention episodes, how many were
    screened (linked form, or a filled DPAN screening) and how many refused consent."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, ScreeningCoverage, sql("kpi_screening_coverage"))
        return dg.MaterializeResult(metadata=table_metadata(con, ScreeningCoverage))


@dg.asset(key_prefix="kpi", group_name="kpi", deps=_SCREENING_DEPS)
def needs_at_intake(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, admission year and life domain: screenings, answers (Ja/Nee)
    and support wishes (Ja)."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, NeedsAtIntake, sql("kpi_needs_at_intake"))
        return dg.MaterializeResult(metadata=table_metadata(con, NeedsAtIntake))


# --- kpi.redetention (issue 9) ------------------------------------------------------
# Reads staging.detentions and, for the nazorg_plus group, staging.cases. The dep on
# staging/cases is declared only when that asset is defined (it is being built in
# issue 3); without the asset or its table nobody is nazorg_plus and the groups are
# 'regular' and 'all' only. The work file starts as a copy of the published
# warehouse, so the dep matters: without it a stale staging.cases could be read.


def _redetention_deps() -> list[dg.AssetKey]:
    from assets import staging as staging_assets

    cases = dg.AssetKey(["staging", "cases"])
    defined = {k for a in dg.load_assets_from_modules([staging_assets]) for k in a.keys}
    return [dg.AssetKey(["staging", "detentions"]), *([cases] if cases in defined else [])]


# Stands in for staging.cases while that table does not exist: no case, no nazorg_plus.
_NO_CASES = (
    "(SELECT NULL::VARCHAR AS region, NULL::VARCHAR AS person_key, "
    "NULL::DATE AS registration_date, NULL::VARCHAR AS nazorg_plus WHERE false)"
)


def build_redetention(con) -> tuple[int, bool]:
    """Rebuild kpi.redetention; return (rows, whether staging.cases was read)."""
    from nazorg.warehouse import table_exists
    from schemas.redetention import Redetention

    query = sql("kpi_redetention")
    has_cases = table_exists(con, "staging.cases")
    if not has_cases:
        if query.count("FROM staging.cases") != 1:
            raise ValueError("kpi_redetention.sql leest staging.cases niet precies één keer")
        query = query.replace("FROM staging.cases", f"FROM {_NO_CASES}")
    return replace_table_from_sql(con, Redetention, query), has_cases


@dg.asset(key_prefix="kpi", group_name="kpi", deps=_redetention_deps())
def redetention(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per region, release year and group (nazorg_plus, regular, all): persons
    released (first release of the year) and re-detained within 730 days."""
    from schemas.redetention import Redetention

    with nazorg.connect(context.run.run_id) as con:
        _, has_cases = build_redetention(con)
        if not has_cases:
            context.log.warning(
                "staging.cases ontbreekt: herdetentie zonder groep nazorg_plus (iedereen regular)."
            )
        metadata = table_metadata(con, Redetention)
        return dg.MaterializeResult(metadata={**metadata, "cases_read": has_cases})


redetention_groups_add_up = sql_check(
    "kpi.redetention",
    "groups_add_up",
    "Per regio en uitstroomjaar is 'all' de som van nazorg_plus en regular (personen, "
    "heropgenomen, nieuwe detenties) en hebben alle groepen hetzelfde vensteroordeel.",
    """SELECT region, release_year,
              sum(released_persons) FILTER (WHERE "group" <> 'all') AS released_groups,
              sum(released_persons) FILTER (WHERE "group" = 'all') AS released_all
       FROM kpi.redetention
       GROUP BY region, release_year
       HAVING count(*) FILTER (WHERE "group" = 'all') <> 1
           OR released_groups IS DISTINCT FROM released_all
           OR sum(redetained_2y) FILTER (WHERE "group" <> 'all')
              IS DISTINCT FROM sum(redetained_2y) FILTER (WHERE "group" = 'all')
           OR sum(new_detentions_2y) FILTER (WHERE "group" <> 'all')
              IS DISTINCT FROM sum(new_detentions_2y) FILTER (WHERE "group" = 'all')
           OR count(DISTINCT window_complete) <> 1""",
    blocking=True,
)


# --- Case registration: caseload, coordination, reconciliation (issue 3) --------------
from schemas.caseload import (  # noqa: E402
    CaseConferences,
    Caseload,
    Coordination,
    LifeDomainSupport,
    OutflowCaseloadReconciliation,
)

_CASES_KEY = dg.AssetKey(["staging", "cases"])


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[_CASES_KEY])
def caseload(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per region, year of Datum aanmelding and municipality (or OVERIG): cases,
    distinct persons and the share of the region-year's cases."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, Caseload, sql("kpi_caseload"))
        return dg.MaterializeResult(metadata=table_metadata(con, Caseload))


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[_CASES_KEY, caseload, outflow])
def coordination(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, year of Datum aanmelding and measure of the coordination
    output, with its rate of the outflow and of the caseload."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, Coordination, sql("kpi_coordination"))
        return dg.MaterializeResult(metadata=table_metadata(con, Coordination))


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[_CASES_KEY])
def life_domain_support(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, year of Datum aanmelding and life domain: cases with a mark."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, LifeDomainSupport, sql("kpi_life_domain_support"))
        return dg.MaterializeResult(metadata=table_metadata(con, LifeDomainSupport))


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[_CASES_KEY])
def case_conferences(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, year of Datum aanmelding and type of case conference."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, CaseConferences, sql("kpi_case_conferences"))
        return dg.MaterializeResult(metadata=table_metadata(con, CaseConferences))


@dg.asset(key_prefix="kpi", group_name="kpi", deps=[caseload, outflow])
def outflow_caseload_reconciliation(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per region, year and municipality where outflow and caseload both have
    data: released persons and cases side by side, and their difference."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(
            con, OutflowCaseloadReconciliation, sql("kpi_outflow_caseload_reconciliation")
        )
        return dg.MaterializeResult(metadata=table_metadata(con, OutflowCaseloadReconciliation))


caseload_municipality_in_region = sql_check(
    "kpi.caseload",
    "municipality_in_region",
    "Elke gemeente in de caseload hoort bij de regio waarin ze staat (of is OVERIG).",
    """SELECT c.region, c.year, c.municipality_code FROM kpi.caseload c
       LEFT JOIN staging.municipalities m ON m.code = c.municipality_code
       WHERE c.municipality_code <> 'OVERIG' AND m.region IS DISTINCT FROM c.region""",
    blocking=True,
)

caseload_counts_every_case = sql_check(
    "kpi.caseload",
    "counts_every_case",
    "De caseload telt per regio en jaar precies de casussen van staging.cases.",
    """SELECT s.region, s.year, s.n, k.n AS in_kpi
       FROM (SELECT region, year(registration_date) AS year, count(*) AS n
             FROM staging.cases GROUP BY ALL) s
       FULL JOIN (SELECT region, year, sum(cases) AS n FROM kpi.caseload GROUP BY ALL) k
         USING (region, year)
       WHERE s.n IS DISTINCT FROM k.n""",
    blocking=True,
)

coordination_numerator_within_caseload = sql_check(
    "kpi.coordination",
    "numerator_within_caseload",
    "Geen coördinatiemaat telt meer casussen dan de caseload van de regio in dat jaar.",
    """SELECT region, year, measure, numerator, caseload FROM kpi.coordination
       WHERE numerator > caseload""",
    blocking=True,
)

life_domain_support_within_supported_cases = sql_check(
    "kpi.life_domain_support",
    "within_supported_cases",
    "Per leefgebied nooit meer casussen dan er casussen met inzet op leefgebieden zijn, "
    "en samen minstens zoveel.",
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
       HAVING max(l.cases) > any_value(s.supported) OR sum(l.cases) < any_value(s.supported)""",
    blocking=True,
)

reconciliation_matches_outflow_and_caseload = sql_check(
    "kpi.outflow_caseload_reconciliation",
    "matches_outflow_and_caseload",
    "De aansluiting telt per regio en jaar dezelfde uitstroom en caseload als kpi.outflow en kpi.caseload.",
    """SELECT r.region, r.year, r.outflow, o.outflow AS in_outflow, r.caseload, c.caseload AS in_caseload
       FROM (SELECT region, year, sum(outflow_persons) AS outflow, sum(caseload_cases) AS caseload
             FROM kpi.outflow_caseload_reconciliation GROUP BY ALL) r
       LEFT JOIN (SELECT region, year, sum(persons) AS outflow FROM kpi.outflow GROUP BY ALL) o
         USING (region, year)
       LEFT JOIN (SELECT region, year, sum(cases) AS caseload FROM kpi.caseload GROUP BY ALL) c
         USING (region, year)
       WHERE r.outflow IS DISTINCT FROM o.outflow OR r.caseload IS DISTINCT FROM c.caseload""",
    blocking=True,
)
