"""Staging: validated, normalised, pseudonymised rows, one table per entity.

Each asset reads the exports of its sources (``raw/<source>/``), builds its table and
writes the sources' rows of the quality tables. A table whose exports, code, key and
upstream tables are unchanged since the published build is kept as it is (see
:mod:`assets.common`); the parse cache spares re-reading unchanged files when it is not.
"""

import dagster as dg
import polars as pl

from assets.common import (
    SqlCheck,
    Step,
    check_specs,
    record_sources,
    validate_and_write,
    validate_update,
)
from assets.plausibility import JUSTID_FRESHNESS
from assets.resources import NazorgWarehouse
from nazorg import builds
from nazorg.ingest import QUALITY_SCHEMA, date_bound_fingerprint, ingest_source, region_slug
from nazorg.municipalities import load_reference
from nazorg.sources import cases as cases_source
from nazorg.sources import cohort as cohort_source
from nazorg.sources import detentions as det
from nazorg.sources import screening as screening_source
from nazorg.timing import stage
from nazorg.warehouse import (
    changed_persons,
    note_changed_persons,
    replace_rows_of_persons,
    table_exists,
)
from schemas.base import REGIONS
from schemas.caseload import Cases
from schemas.cohort import CohortSample
from schemas.screening import Screenings
from schemas.staging import Detentions, Municipalities

MUNICIPALITIES_KEY = dg.AssetKey(["staging", "municipalities"])
DETENTIONS_KEY = dg.AssetKey(["staging", "detentions"])
CASES_KEY = dg.AssetKey(["staging", "cases"])


def _model_frame(model, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(list(model.to_schema().columns))


def _ingest(nazorg: NazorgWarehouse, spec, parser, key: str, regions=None):
    """Every file of one source, through the parse cache next to the warehouse."""
    return ingest_source(
        nazorg.settings().raw_dir, spec, parser, key, regions=regions, cache_dir=nazorg.cache_dir()
    )


@dg.asset(
    key=MUNICIPALITIES_KEY,
    group_name="staging",
    check_specs=check_specs([Municipalities]),
    description=(
        "Eén rij per gemeente (CBS-code) van de referentielijst, met regio, geldigheid en "
        "opvolger na een herindeling."
    ),
)
def municipalities(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """One row per municipality (CBS code) of the reference list, with mergers."""
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, nazorg.key(context.log))
        inputs = step.inputs()
        if previous := step.previous(Municipalities, inputs):
            yield from step.kept_table(Municipalities, previous)
            return
        frame = _model_frame(Municipalities, load_reference())
        result = validate_and_write(con, Municipalities, frame, context.log)
        yield from step.built_table(Municipalities, inputs, result, content=inputs)
        step.log_summary("staging")


REGION_MATCHES_MUNICIPALITY = SqlCheck(
    "staging.detentions",
    "region_matches_municipality",
    "Elke geplaatste detentieperiode ligt in de regio van haar gemeente (referentielijst).",
    """SELECT d.episode_id, d.municipality_code, d.region, m.region AS reference_region,
              d.source_file
       FROM staging.detentions d
       JOIN staging.municipalities m ON m.code = d.municipality_code
       WHERE d.region IS DISTINCT FROM m.region""",
)


@dg.asset(
    key=DETENTIONS_KEY,
    group_name="staging",
    deps=[MUNICIPALITIES_KEY],
    check_specs=[
        *check_specs([Detentions], [REGION_MATCHES_MUNICIPALITY]),
        JUSTID_FRESHNESS.spec(),
    ],
    description=(
        "Eén rij per detentieperiode, JustID en DPAN samen, gepseudonimiseerd: meldingen uit "
        "raw/justid en raw/dpan gekoppeld tot perioden en geplaatst in de gemeente bij "
        "ontslag. Zijn er alleen exports bijgekomen, dan worden alleen de perioden van de "
        "personen in de nieuwe bestanden opnieuw opgebouwd."
    ),
)
def detentions(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """One row per detention episode, JustID and DPAN together.

    Reads every file under ``raw/justid`` and ``raw/dpan``; notifications are paired
    into episodes and placed in the municipality at release. When exports were only
    added since the published build (the nightly case: one new daily export), only the
    episodes of the persons in the new files are built again.
    """
    key = nazorg.key(context.log)
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, key)
        files = nazorg.files_fingerprint([det.JUSTID.folder, det.DPAN.folder])
        # A row rejected for a date past the bound may load once the bound has moved:
        # then the whole table is built again, not updated for the new exports only.
        dated = date_bound_fingerprint(con, ["justid", "dpan"])
        inputs = step.inputs(["staging.municipalities"], files + dated)
        if previous := step.previous(Detentions, inputs):
            context.log.info("justid, dpan: exports ongewijzigd; staging.detentions blijft staan")
            yield from step.kept_table(Detentions, previous, [REGION_MATCHES_MUNICIPALITY])
            yield from step.python_check(JUSTID_FRESHNESS, nazorg.settings().raw_dir)
            return
        fixed = step.inputs(["staging.municipalities"], dated)
        justid = _ingest(nazorg, det.JUSTID, det.parse_justid, key)
        dpan = _ingest(nazorg, det.DPAN, det.parse_dpan, key)
        with stage("transform"):
            persons = _persons_to_update(con, fixed, justid, dpan)
        with stage("transform"):
            if persons is None:
                justid_rows, dpan_rows = justid.rows, dpan.rows
            else:
                justid_rows, dpan_rows = justid.rows_of(persons), dpan.rows_of(persons)
            episodes = det.build_episodes(justid_rows, dpan_rows)
            placed, warnings = det.place_episodes(episodes)
            # Two exports that give one episode different release dates: listed, not silent.
            conflicts = det.release_conflicts(justid_rows, dpan_rows)
        frame = _model_frame(Detentions, placed)
        new_warnings = _placement_warnings(pl.concat([warnings, conflicts], how="vertical_relaxed"))
        if persons is None:
            result = validate_and_write(con, Detentions, frame, context.log)
            how = {"update": False}
        else:
            kept_warnings = _placement_warnings_of_others(con, justid, dpan, persons)
            replace_rows_of_persons(con, Detentions, persons, frame)
            new_warnings = pl.concat([kept_warnings, new_warnings])
            total = con.execute("SELECT count(*) FROM staging.detentions").fetchall()[0][0]
            result = validate_update(
                con, Detentions, frame, "episode_id", total - frame.height, context.log
            )
            note_changed_persons(con, "staging.detentions", persons)
            context.log.info(
                f"justid, dpan: alleen exports bijgekomen; de detentieperioden van "
                f"{persons.len()} persoon/personen opnieuw opgebouwd, de rest is ongewijzigd"
            )
            how = {"update": True, "persons_updated": persons.len()}
        record_sources(con, context.log, {"justid": justid, "dpan": dpan}, new_warnings)
        yield from step.built_table(
            Detentions,
            inputs,
            result,
            [REGION_MATCHES_MUNICIPALITY],
            content=inputs,
            fixed_inputs=fixed,
            metadata=how,
        )
        yield from step.python_check(JUSTID_FRESHNESS, nazorg.settings().raw_dir)
        step.log_summary("staging")


# An update rebuilds the episodes of the persons in the new exports; past this share of
# all episodes, building everything again is as quick and simpler to reason about.
MAX_UPDATE_SHARE = 0.25


def _persons_to_update(con, fixed: str, justid, dpan) -> pl.Series | None:
    """The persons to rebuild when only exports were added since the previous build
    (same code, key and reference data); None to rebuild the whole table."""
    if builds.previous_fixed_inputs(con, "staging.detentions") != fixed:
        return None
    previous = con.sql(
        "SELECT file, sha256, status FROM quality.file_ledger WHERE source IN ('justid', 'dpan')"
    ).pl()
    persons = det.persons_to_update(previous, justid, dpan)
    if persons is None:
        return None
    episodes = con.execute("SELECT count(*) FROM staging.detentions").fetchall()[0][0]
    return persons if persons.len() <= MAX_UPDATE_SHARE * episodes else None


def _placement_warnings_of_others(con, justid, dpan, persons: pl.Series) -> pl.DataFrame:
    """The placement warnings of the previous build that belong to persons not rebuilt
    now: a warning names the row that gave the episode its place, and every row of a
    rebuilt person is known, so the others' warnings are exactly the rest."""
    previous = con.sql(
        "SELECT * FROM quality.row_warnings WHERE source IN ('justid', 'dpan') "
        f"AND rule IN ('municipality_unknown', '{det.CONFLICTING_RELEASE}')"
    ).pl()
    rebuilt = pl.concat(
        [
            r.rows_of(persons).select(
                pl.col("source_file").alias("file"), pl.col("source_row").alias("row_number")
            )
            for r in (justid, dpan)
            if r.rows.height
        ]
        or [pl.DataFrame(schema={"file": pl.Utf8, "row_number": pl.Int64})]
    )
    return (
        previous.join(rebuilt, on=["file", "row_number"], how="anti")
        .select(list(QUALITY_SCHEMA))
        .cast(QUALITY_SCHEMA)
    )


def _placement_warnings(warnings: pl.DataFrame) -> pl.DataFrame:
    """Episodes whose municipality could not be placed, and rows whose release date lost
    to another one (:func:`nazorg.sources.detentions.release_conflicts`), as quality rows
    of their source."""
    return warnings.select(
        pl.when(pl.col("file").str.starts_with("dpan/"))
        .then(pl.lit("dpan"))
        .otherwise(pl.lit("justid"))
        .alias("source"),
        "file",
        "sheet",
        pl.col("source_row").alias("row_number"),
        pl.col("column").alias("column_name"),
        "rule",
        pl.format("{}, rij {}, kolom '{}': {}", "file", "source_row", "column", "problem").alias(
            "message"
        ),
    ).cast(QUALITY_SCHEMA)


@dg.asset(
    key=CASES_KEY,
    group_name="staging",
    deps=[MUNICIPALITIES_KEY],
    check_specs=check_specs([Cases]),
    description=(
        "Eén rij per casus van de eigen registratie van het veiligheidshuis "
        "(raw/caseload/<regio>/*.xlsx, elk tabblad met de kopregel). Bij cumulatieve "
        "herexports wint het bestand dat als laatste sorteert; oudere rijen staan als "
        "waarschuwing superseded in quality.row_warnings."
    ),
)
def cases(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """One row per case of the region's own register (``raw/caseload/<region>/*.xlsx``).

    Every sheet with the header is read; a ``Casusnummer`` twice in one file rejects the
    second row; across cumulative re-exports the file whose path sorts last wins and
    the older rows are listed as ``superseded`` warnings. See :mod:`nazorg.sources.cases`.
    """
    key = nazorg.key(context.log)
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, key)
        inputs = step.inputs(
            ["staging.municipalities"],
            nazorg.files_fingerprint([cases_source.CASES.folder])
            + date_bound_fingerprint(con, ["caseload"]),
        )
        if previous := step.previous(Cases, inputs):
            context.log.info("caseload: registraties ongewijzigd; staging.cases blijft staan")
            yield from step.kept_table(Cases, previous)
            return
        result = _ingest(
            nazorg, cases_source.CASES, cases_source.parse_cases, key, cases_source.regions()
        )
        with stage("transform"):
            frame, superseded = cases_source.build_cases(result.rows)
        frame = _model_frame(Cases, frame)
        check = validate_and_write(con, Cases, frame, context.log)
        record_sources(con, context.log, {"caseload": result}, superseded)
        if superseded.height:
            context.log.info(
                f"caseload: {superseded.height} rij(en) vervangen door een nieuwere export "
                "van de registratie (zie quality.row_warnings, regel superseded)"
            )
        yield from step.built_table(
            Cases, inputs, check, content=inputs, metadata={"superseded_rows": superseded.height}
        )
        step.log_summary("staging")


LINKS_TO_KNOWN_EPISODES = SqlCheck(
    "staging.screenings",
    "links_to_known_episodes",
    "Elk gekoppeld screeningsformulier verwijst naar een bestaande detentieperiode van dezelfde persoon.",
    """SELECT s.screening_id, s.episode_id, s.source_file, s.source_row
       FROM staging.screenings s
       LEFT JOIN staging.detentions d ON d.episode_id = s.episode_id
       WHERE s.episode_id IS NOT NULL
         AND (d.episode_id IS NULL OR d.person_key <> s.person_key
              OR d.admission_date <> s.linked_admission_date)""",
)


@dg.asset(
    key=["staging", "screenings"],
    group_name="staging",
    deps=[DETENTIONS_KEY],
    check_specs=check_specs([Screenings], [LINKS_TO_KNOWN_EPISODES]),
    description=(
        "Eén rij per screeningsformulier (raw/screening), gekoppeld aan de detentieperiode "
        "van dezelfde persoon: op datum van insluiting, anders de insluiting hoogstens 14 "
        "dagen vóór het formulier. Een formulier zonder koppeling laadt wel en staat als "
        "waarschuwing in quality.row_warnings."
    ),
)
def screenings(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """One row per screening form, linked to its detention episode.

    Reads every file under ``raw/screening``; a form links on person and admission date,
    else on the person's admission at most 14 days before the form date. A form that
    links to nothing loads all the same and is listed as a row warning. When only some
    persons' episodes changed in this run (and no form file), only their forms are
    linked again.
    """
    key = nazorg.key(context.log)
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, key)
        files = nazorg.files_fingerprint([screening_source.SCREENING.folder])
        files += date_bound_fingerprint(con, ["screening"])
        inputs = step.inputs(["staging.detentions"], files)
        if previous := step.previous(Screenings, inputs):
            context.log.info("screening: formulieren en detenties ongewijzigd")
            yield from step.kept_table(Screenings, previous, [LINKS_TO_KNOWN_EPISODES])
            return
        fixed = step.inputs(extra=files)
        persons = (
            changed_persons(con, "staging.detentions")
            if builds.previous_fixed_inputs(con, "staging.screenings") == fixed
            else None
        )
        result = _ingest(nazorg, screening_source.SCREENING, screening_source.parse_screening, key)
        with stage("read"):
            if persons is None:
                episodes = con.sql(
                    "SELECT episode_id, person_key, admission_date FROM staging.detentions"
                ).pl()
                rows = result.rows
            else:
                episodes = _episodes_of(con, persons)
                rows = result.rows_of(persons)
        with stage("transform"):
            forms = _model_frame(Screenings, screening_source.build_screenings(rows, episodes))
        if persons is None:
            check = validate_and_write(con, Screenings, forms, context.log)
            how = {"update": False}
        else:
            replace_rows_of_persons(con, Screenings, persons, forms)
            total = con.execute("SELECT count(*) FROM staging.screenings").fetchall()[0][0]
            check = validate_update(
                con, Screenings, forms, "screening_id", total - forms.height, context.log
            )
            how = {"update": True, "persons_updated": persons.len()}
        unlinked = screening_source.unlinked_warnings(
            con.sql(
                "SELECT source_file, source_row, episode_id FROM staging.screenings "
                "WHERE episode_id IS NULL"
            ).pl()
        )
        record_sources(con, context.log, {"screening": result}, unlinked)
        if unlinked.height:
            total = con.execute("SELECT count(*) FROM staging.screenings").fetchall()[0][0]
            context.log.warning(
                f"screening: {unlinked.height} van {total} formulieren horen bij geen "
                "bekende detentie (zie quality.unlinked_screenings en quality.row_warnings)"
            )
        yield from step.built_table(
            Screenings,
            inputs,
            check,
            [LINKS_TO_KNOWN_EPISODES],
            content=inputs,
            fixed_inputs=fixed,
            metadata={**how, "unlinked_forms": unlinked.height},
        )
        step.log_summary("staging")


def _episodes_of(con, persons: pl.Series) -> pl.DataFrame:
    wanted = persons.to_frame("person_key")  # noqa: F841 - DuckDB scans it
    return con.sql(
        "SELECT episode_id, person_key, admission_date FROM staging.detentions "
        "WHERE person_key IN (SELECT person_key FROM wanted)"
    ).pl()


@dg.asset(
    key=["staging", "cohort_sample"],
    group_name="staging",
    deps=[CASES_KEY],
    check_specs=check_specs([CohortSample]),
    description=(
        "Eén rij per casus in de steekproef van een cohortvervolgmeting "
        "(raw/cohort/<regio>/, tabblad Steekproef), via de casusregistratie aan de persoon "
        "gekoppeld; een casusnummer dat niet in die registratie staat is een afgewezen rij."
    ),
)
def cohort_sample(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """One row per sampled case of a cohort follow-up (``raw/cohort/<region>/``, sheet
    ``Steekproef``), tied to the person through the region's case registration.

    A ``Casusnummer`` that is not in that registration is a rejected row (the ledger of
    its file says so); see :mod:`nazorg.sources.cohort` for the other rules.
    """
    key = nazorg.key(context.log)
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, key)
        inputs = step.inputs(
            ["staging.cases"],
            nazorg.files_fingerprint([cohort_source.COHORT.folder]),
        )
        if previous := step.previous(CohortSample, inputs):
            context.log.info("cohort: vervolgmetingen en casusregistratie ongewijzigd")
            yield from step.kept_table(CohortSample, previous)
            return
        regions = {region_slug(name): name for name in REGIONS}
        result = _ingest(nazorg, cohort_source.COHORT, cohort_source.parse_cohort, key, regions)
        if table_exists(con, "staging.cases"):
            columns = ", ".join(cohort_source.CASE_COLUMNS)
            with stage("read"):
                cases = con.sql(f"SELECT {columns} FROM staging.cases").pl()
        else:
            context.log.warning(
                "staging.cases ontbreekt: geen casusregistratie om de steekproef aan te "
                "koppelen; elke rij van de vervolgmeting wordt afgewezen."
            )
            cases = cohort_source.empty_cases()
        with stage("transform"):
            linked = cohort_source.link_to_cases(result, cases)
            frame = _model_frame(CohortSample, cohort_source.staging_frame(linked))
        check = validate_and_write(con, CohortSample, frame, context.log)
        record_sources(con, context.log, {"cohort": linked})
        yield from step.built_table(CohortSample, inputs, check, content=inputs)
        step.log_summary("staging")
