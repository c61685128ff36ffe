"""Staging: validated, normalised, pseudonymised rows, one table per entity."""

import dagster as dg
import polars as pl

from assets.common import record_sources, table_metadata
from nazorg.ingest import QUALITY_SCHEMA, ingest_source
from nazorg.municipalities import load_reference
from nazorg.sources import detentions as det
from nazorg.warehouse import replace_table
from pipelines.resources import NazorgWarehouse
from schemas.staging import Detentions, Municipalities


@dg.asset(key_prefix="staging", group_name="staging")
def municipalities(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per municipality (CBS code) of the reference list, with mergers."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table(con, Municipalities, load_reference())
        return dg.MaterializeResult(metadata=table_metadata(con, Municipalities))


@dg.asset(key_prefix="staging", group_name="staging", deps=[municipalities])
def detentions(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per detention episode, JustID and DPAN together.

    Reads every file under ``raw/justid`` and ``raw/dpan``; notifications are paired
    into episodes and placed in the municipality at release.
    """
    settings = nazorg.settings()
    key = nazorg.key(context.log)
    cache = nazorg.cache_dir()
    justid = ingest_source(settings.raw_dir, det.JUSTID, det.parse_justid, key, cache_dir=cache)
    dpan = ingest_source(settings.raw_dir, det.DPAN, det.parse_dpan, key, cache_dir=cache)
    episodes = det.build_episodes(justid.rows, dpan.rows)
    placed, warnings = det.place_episodes(episodes)
    warning_rows = warnings.select(
        pl.when(pl.col("file").str.starts_with("dpan/"))
        .then(pl.lit("dpan"))
        .otherwise(pl.lit("justid"))
        .alias("source"),
        "file",
        "sheet",
        pl.col("source_row").alias("row_number"),
        "column",
        "rule",
        pl.format("{}, rij {}, kolom '{}': {}", "file", "source_row", "column", "problem").alias(
            "message"
        ),
    ).cast(QUALITY_SCHEMA)
    with nazorg.connect(context.run.run_id) as con:
        replace_table(con, Detentions, placed)
        record_sources(con, context.log, {"justid": justid, "dpan": dpan}, warning_rows)
        return dg.MaterializeResult(metadata=table_metadata(con, Detentions))


# --- Nazorg-plus cohort follow-up (issue 5) --------------------------------------------
from nazorg.ingest import region_slug  # noqa: E402
from nazorg.sources import cohort as cohort_source  # noqa: E402
from nazorg.warehouse import table_exists  # noqa: E402
from schemas.cohort import CohortSample  # noqa: E402
from schemas.kpi import REGIONS  # noqa: E402


@dg.asset(key_prefix="staging", group_name="staging", deps=[dg.AssetKey(["staging", "cases"])])
def cohort_sample(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per sampled case of a cohort follow-up (``raw/cohort/<region>/``, sheet
    ``Steekproef``), tied to the person through the region's case registration.

    A ``Casusnummer`` that is not in that registration is a rejected row (the ledger of
    its file says so); see :mod:`nazorg.sources.cohort` for the other rules.
    """
    settings = nazorg.settings()
    result = ingest_source(
        settings.raw_dir,
        cohort_source.COHORT,
        cohort_source.parse_cohort,
        nazorg.key(context.log),
        regions={region_slug(name): name for name in REGIONS},
        cache_dir=nazorg.cache_dir(),
    )
    with nazorg.connect(context.run.run_id) as con:
        if table_exists(con, "staging.cases"):
            columns = ", ".join(cohort_source.CASE_COLUMNS)
            cases = con.sql(f"SELECT {columns} FROM staging.cases").pl()
        else:
            context.log.warning(
                "staging.cases ontbreekt: geen casusregistratie om de steekproef aan te "
                "koppelen; elke rij van de vervolgmeting wordt afgewezen."
            )
            cases = cohort_source.empty_cases()
        linked = cohort_source.link_to_cases(result, cases)
        replace_table(con, CohortSample, cohort_source.staging_frame(linked))
        record_sources(con, context.log, {"cohort": linked})
        return dg.MaterializeResult(metadata=table_metadata(con, CohortSample))


# --- Screening forms (issue 4) --------------------------------------------------------

from assets.checks import sql_check as _screening_sql_check  # noqa: E402
from nazorg.sources import screening as screening_source  # noqa: E402
from schemas.screening import Screenings  # noqa: E402


@dg.asset(key_prefix="staging", group_name="staging", deps=[detentions])
def screenings(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per screening form, linked to its detention episode.

    Reads every file under ``raw/screening``; a form links on person and admission date,
    else on the person's admission at most 14 days before the form date. A form that
    links to nothing loads all the same and is listed as a row warning.
    """
    settings = nazorg.settings()
    key = nazorg.key(context.log)
    result = ingest_source(
        settings.raw_dir,
        screening_source.SCREENING,
        screening_source.parse_screening,
        key,
        cache_dir=nazorg.cache_dir(),
    )
    with nazorg.connect(context.run.run_id) as con:
        episodes = con.sql(
            "SELECT episode_id, person_key, admission_date FROM staging.detentions"
        ).pl()
        forms = screening_source.build_screenings(result.rows, episodes)
        unlinked = screening_source.unlinked_warnings(forms)
        replace_table(con, Screenings, forms)
        record_sources(con, context.log, {"screening": result}, unlinked)
        if unlinked.height:
            context.log.warning(
                f"screening: {unlinked.height} van {forms.height} formulieren horen bij geen "
                "bekende detentie (zie quality.unlinked_screenings en quality.row_warnings)"
            )
        metadata = table_metadata(con, Screenings)
        return dg.MaterializeResult(metadata={**metadata, "unlinked_forms": unlinked.height})


screenings_link_to_known_episodes = _screening_sql_check(
    "staging.screenings",
    "links_to_known_episodes",
    "Elk gekoppeld screeningsformulier verwijst naar een bestaande detentieperiode van dezelfde persoon.",
    """SELECT s.screening_id, s.episode_id FROM staging.screenings s
       LEFT JOIN staging.detentions d ON d.episode_id = s.episode_id
       WHERE s.episode_id IS NOT NULL
         AND (d.episode_id IS NULL OR d.person_key <> s.person_key
              OR d.admission_date <> s.linked_admission_date)""",
    blocking=True,
)


# --- Case registration of the veiligheidshuis (issue 3) -------------------------------
from nazorg.sources import cases as cases_source  # noqa: E402
from schemas.caseload import Cases  # noqa: E402


@dg.asset(key_prefix="staging", group_name="staging", deps=[municipalities])
def cases(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per case of the region's own register (``raw/caseload/<region>/*.xlsx``).

    Every sheet with the header is read; a ``Casusnummer`` twice in one file rejects the
    second row; across cumulative re-exports the file whose path sorts last wins and
    the older rows are listed as ``superseded`` warnings. See :mod:`nazorg.sources.cases`.
    """
    settings = nazorg.settings()
    result = ingest_source(
        settings.raw_dir,
        cases_source.CASES,
        cases_source.parse_cases,
        nazorg.key(context.log),
        regions=cases_source.regions(),
        cache_dir=nazorg.cache_dir(),
    )
    frame, superseded = cases_source.build_cases(result.rows)
    with nazorg.connect(context.run.run_id) as con:
        replace_table(con, Cases, frame)
        record_sources(con, context.log, {"caseload": result}, superseded)
        if superseded.height:
            context.log.info(
                f"caseload: {superseded.height} rij(en) vervangen door een nieuwere export "
                "van de registratie (zie quality.row_warnings, regel superseded)"
            )
        metadata = table_metadata(con, Cases)
        return dg.MaterializeResult(metadata={**metadata, "superseded_rows": superseded.height})
