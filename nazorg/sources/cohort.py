"""Cohort follow-up: the sampled nazorg-plus trajectories of a cohort year (sources.md §5).

One workbook per region under ``raw/cohort/<region>/``, sheet ``Steekproef``, one row
per sampled case. The file holds no BSN: a row is tied to a person through its
``Casusnummer``, which must exist in that region's case registration
(``staging.cases``). That rule needs the registration, which a file parser does not
see, so it is applied after parsing (:func:`link_to_cases`): a row whose case is
unknown becomes a rejected row, and the ledger of its file is corrected so that
``rows_read = rows_loaded + rows_rejected`` still holds.

Interpretations (the contract leaves these open):

* ``Recidive`` and ``Aantal delicten`` are required for ``Geïnterviewd`` rows only, and
  must agree (``Ja`` exactly when there is at least one offence); a row where they
  contradict each other is rejected, since the MKBA uses the count and the outcome
  table the flag.
* The same ``Casusnummer`` twice in one file: the second is rejected. In several files
  of one region (re-exports): the row from the file whose path sorts last wins; the
  older rows count as loaded and are listed as superseded in the warnings (the case
  registration's convention).
* ``Eenmalige kosten`` is a euro amount: ``2.500`` there is two thousand five hundred
  (a Dutch thousands separator), not 2.5.
* A sampled case that the registration does not show as a ``Gestart`` trajectory with
  ``Datum aanmelding`` in the cohort year still loads, with a warning.
"""

from __future__ import annotations

import polars as pl

from nazorg.ingest import (
    FILE,
    QUALITY_SCHEMA,
    Column,
    Parsed,
    RawTable,
    Rule,
    SourceResult,
    SourceSpec,
    apply_columns,
    quality_rows,
)
from nazorg.redaction import redact_expr

INTERVIEWED = "Geïnterviewd"
STATUSES = (INTERVIEWED, "Onbereikbaar", "Weigering", "Afgezegd")
INTENSITIES = ("Intensief", "Regulier", "Weinig verbinding")
OUTCOMES = ("Positief", "Neutraal tot positief", "Neutraal", "Negatief", "Onbekend")

COHORT = SourceSpec(
    name="cohort",
    folder="cohort",
    sheet="Steekproef",
    region_from_folder=True,
    columns=(
        Column("Casusnummer", "case_number", required=True, verbatim=True),
        Column("Cohort", "cohort_year", kind="int", required=True, minimum=1990, maximum=2100),
        Column("Status", "status", kind="choice", required=True, choices=STATUSES),
        Column("Recidive", "recidivism", kind="yes_no_unknown"),
        Column("Aantal delicten", "offences", kind="int", minimum=0),
        Column(
            "Vermeden politie-incidenten per jaar",
            "police_incidents_per_year",
            kind="number",
            minimum=0,
        ),
        Column(
            "Vermeden uitkeringsmaanden per jaar",
            "benefit_months_per_year",
            kind="number",
            minimum=0,
            maximum=12,
        ),
        Column(
            "Eenmalig vermeden uitkeringsmaanden", "benefit_months_once", kind="number", minimum=0
        ),
        Column("Toerekening", "attribution", kind="number", minimum=0, maximum=1),
        Column("Eenmalige kosten", "one_off_costs_eur", kind="number", minimum=0),
        Column("Intensiteit", "intensity", kind="choice", choices=INTENSITIES),
        Column("Wonen", "outcome_housing", kind="choice", choices=OUTCOMES),
        Column("Werk", "outcome_work", kind="choice", choices=OUTCOMES),
        Column("Schulden", "outcome_debts", kind="choice", choices=OUTCOMES),
        Column("Zorg", "outcome_care", kind="choice", choices=OUTCOMES),
    ),
)


def _interviewed() -> pl.Expr:
    return pl.col("status") == INTERVIEWED


def _case_key(name: str = "case_number") -> pl.Expr:
    return pl.col(name).str.strip_chars().str.to_uppercase()


COHORT_RULES = (
    Rule(
        "Casusnummer",
        "duplicate_case_number",
        "dit Casusnummer staat eerder in dit bestand; de rij is niet geladen",
        # In one file: the batch holds many files, told apart by _file.
        lambda: pl.int_range(pl.len()).over(pl.col(FILE), _case_key()) > 0,
    ),
    Rule(
        "Recidive",
        "required_for_interviewed",
        "verplicht voor een geïnterviewde casus: vul Ja of Nee in",
        lambda: _interviewed() & pl.col("recidivism").is_null(),
    ),
    Rule(
        "Aantal delicten",
        "required_for_interviewed",
        "verplicht voor een geïnterviewde casus: vul het aantal bewezen delicten in (0 als er geen zijn)",
        lambda: _interviewed() & pl.col("offences").is_null(),
    ),
    Rule(
        "Aantal delicten",
        "recidivism_contradicts_offences",
        "Recidive en Aantal delicten spreken elkaar tegen (Recidive = Ja hoort bij minstens "
        "één delict, Nee bij 0)",
        lambda: pl.col("recidivism") != (pl.col("offences") > 0),
    ),
)

# A euro amount written with Dutch thousands separators only: 2.500, 12.500, 1.250.000.
_THOUSANDS_ONLY = r"^\s*(€\s*)?\d{1,3}(\.\d{3})+\s*$"


def _normalise_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Spellings people type that mean a contract value.

    ``Geinterviewd`` without the diaeresis, or with a decomposed one (e + U+0308 from
    some exports), is ``Geïnterviewd``; ``2.500`` in the euro column is 2500.
    """
    out = frame
    if "status" in out.columns:
        status = pl.col("status").str.normalize("NFC")
        out = out.with_columns(
            pl.when(status.str.to_lowercase().str.contains(r"^\s*ge[iï]nterviewd\s*$"))
            .then(pl.lit(INTERVIEWED))
            .otherwise(status)
            .alias("status")
        )
    if "one_off_costs_eur" in out.columns:
        out = out.with_columns(
            pl.when(pl.col("one_off_costs_eur").str.contains(_THOUSANDS_ONLY))
            .then(pl.col("one_off_costs_eur").str.replace_all(r"\.", ""))
            .otherwise(pl.col("one_off_costs_eur"))
            .alias("one_off_costs_eur")
        )
    return out


def parse_cohort(raw: RawTable, key: str) -> Parsed:  # noqa: ARG001 - no BSN in this source
    """Type and check one follow-up workbook; the link to the registration comes later."""
    good, rejected = apply_columns(_normalise_text(raw.frame), COHORT, COHORT_RULES)
    return Parsed(good, rejected, rejected.clear())


# ------------------------------------------------------------------ after parsing

#: The columns of the registration this source needs.
CASE_COLUMNS = {
    "region": pl.Utf8,
    "case_number": pl.Utf8,
    "person_key": pl.Utf8,
    "registration_date": pl.Date,
    "nazorg_plus": pl.Utf8,
}


def empty_cases() -> pl.DataFrame:
    return pl.DataFrame(schema=CASE_COLUMNS)


def _problems_per_file(rows: pl.DataFrame, column: str, rule: str, problem: pl.Expr):
    """``(file, quality rows)`` for the given loaded rows, one problem each."""
    for (file,), part in rows.group_by("source_file", maintain_order=True):
        problems = part.select(
            pl.col("source_row").cast(pl.Int64),
            pl.col("sheet").cast(pl.Utf8),
            pl.lit(column).alias("column"),
            pl.lit(rule).alias("rule"),
            problem.cast(pl.Utf8).alias("problem"),
        )
        yield file, quality_rows(problems, COHORT.name, file)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    return (
        pl.concat(frames, how="diagonal_relaxed").cast(QUALITY_SCHEMA)
        if frames
        else (pl.DataFrame(schema=QUALITY_SCHEMA))
    )


def link_to_cases(result: SourceResult, cases: pl.DataFrame) -> SourceResult:
    """Tie every loaded row to its case in the region's registration.

    Returns the result with ``person_key`` on every row; rows whose ``Casusnummer`` is
    not in that region's registration moved to the rejected rows (and the ledger of
    their file corrected); rows superseded by a later file, and cases that are not a
    started trajectory of the cohort year, listed as warnings.
    """
    rows = result.rows
    if rows.height == 0:
        return result
    rows = rows.with_columns(_key=_case_key())
    registered = (
        cases.select(list(CASE_COLUMNS))
        .cast(CASE_COLUMNS)
        .filter(pl.col("case_number").is_not_null())
        .with_columns(_key=_case_key())
    )
    registered_regions = set(registered.get_column("region").unique().to_list())
    # A sample is a few hundred cases of a registration of a quarter million: only the
    # sampled numbers are worth deduplicating and joining.
    registry = (
        registered.filter(pl.col("_key").is_in(rows.get_column("_key").unique().implode()))
        .unique(["region", "_key"], keep="last", maintain_order=True)
        .select(
            "region",
            "_key",
            pl.col("person_key"),
            pl.col("registration_date").alias("_registered"),
            pl.col("nazorg_plus").alias("_nazorg_plus"),
        )
    )
    joined = rows.join(registry, on=["region", "_key"], how="left", maintain_order="left")
    unknown = joined.filter(pl.col("person_key").is_null())
    known = joined.filter(pl.col("person_key").is_not_null())

    rejected = [result.rejected]
    ledger = result.ledger
    log = list(result.log_lines)
    for file, quality in _problems_per_file(
        unknown,
        "Casusnummer",
        "unknown_case_number",
        pl.when(pl.col("region").is_in(list(registered_regions)))
        .then(
            pl.format(
                "Casusnummer '{}' bestaat niet in de casusregistratie van {}; de rij is niet geladen",
                redact_expr(pl.col("case_number")),
                pl.col("region"),
            )
        )
        .otherwise(
            pl.format(
                "Casusnummer '{}' is niet te controleren: er is geen casusregistratie van {} "
                "ingelezen (raw/caseload/); de rij is niet geladen",
                redact_expr(pl.col("case_number")),
                pl.col("region"),
            )
        ),
    ):
        n = quality.height
        rejected.append(quality)
        ledger = ledger.with_columns(
            pl.when(pl.col("file") == file)
            .then(pl.col("rows_loaded") - n)
            .otherwise(pl.col("rows_loaded"))
            .alias("rows_loaded"),
            pl.when(pl.col("file") == file)
            .then(pl.col("rows_rejected") + n)
            .otherwise(pl.col("rows_rejected"))
            .alias("rows_rejected"),
        )
        log.append(
            f"{COHORT.name}: {file}: {n} rij(en) afgewezen, Casusnummer niet in de casusregistratie"
        )

    # Re-exports: per region and case the row of the file whose path sorts last wins.
    known = known.with_columns(
        _winner=pl.col("source_file").max().over("region", "_key"),
    )
    superseded = known.filter(pl.col("source_file") != pl.col("_winner"))
    kept = known.filter(pl.col("source_file") == pl.col("_winner"))
    warnings = [result.warnings]
    for _, quality in _problems_per_file(
        superseded,
        "Casusnummer",
        "superseded",
        pl.format("vervangen door dezelfde casus in {}", pl.col("_winner")),
    ):
        warnings.append(quality)

    outside = kept.filter(
        (pl.col("_nazorg_plus") != "Gestart").fill_null(True)
        | (pl.col("_registered").dt.year() != pl.col("cohort_year")).fill_null(True)
    )
    for _, quality in _problems_per_file(
        outside,
        "Casusnummer",
        "not_in_cohort",
        pl.format(
            "casus '{}' is in de casusregistratie geen gestart nazorg-plus-traject met Datum "
            "aanmelding in {}; de rij is wel geladen",
            redact_expr(pl.col("case_number")),
            pl.col("cohort_year"),
        ),
    ):
        warnings.append(quality)

    return SourceResult(
        rows=kept.drop("_key", "_registered", "_nazorg_plus", "_winner"),
        ledger=ledger,
        rejected=_concat(rejected),
        warnings=_concat(warnings),
        log_lines=log,
    )


#: Column order of ``staging.cohort_sample`` (the model in ``schemas.cohort`` agrees).
STAGING_COLUMNS = (
    "region",
    "cohort_year",
    "case_number",
    "person_key",
    "status",
    "recidivism",
    "offences",
    "police_incidents_per_year",
    "benefit_months_per_year",
    "benefit_months_once",
    "attribution",
    "one_off_costs_eur",
    "intensity",
    "outcome_housing",
    "outcome_work",
    "outcome_debts",
    "outcome_care",
    "source_file",
    "sheet",
    "source_row",
)


def staging_frame(result: SourceResult) -> pl.DataFrame:
    """The linked rows in the shape of ``staging.cohort_sample``, in a stable order."""
    schema = {
        "region": pl.Utf8,
        "cohort_year": pl.Int64,
        "case_number": pl.Utf8,
        "person_key": pl.Utf8,
        "status": pl.Utf8,
        "recidivism": pl.Boolean,
        "offences": pl.Int64,
        "police_incidents_per_year": pl.Float64,
        "benefit_months_per_year": pl.Float64,
        "benefit_months_once": pl.Float64,
        "attribution": pl.Float64,
        "one_off_costs_eur": pl.Float64,
        "intensity": pl.Utf8,
        "outcome_housing": pl.Utf8,
        "outcome_work": pl.Utf8,
        "outcome_debts": pl.Utf8,
        "outcome_care": pl.Utf8,
        "source_file": pl.Utf8,
        "sheet": pl.Utf8,
        "source_row": pl.Int64,
    }
    rows = result.rows
    if rows.height == 0 or "person_key" not in rows.columns:
        return pl.DataFrame(schema=schema)
    return (
        rows.select(list(STAGING_COLUMNS))
        .cast(schema)
        .sort("region", "cohort_year", "case_number", "source_file", "source_row")
    )
