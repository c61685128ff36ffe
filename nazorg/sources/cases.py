"""The veiligheidshuis case registration (``raw/caseload/<region>/*.xlsx``) → ``staging.cases``.

The region's own, hand-kept Excel register: one or more workbooks, a sheet per year,
title rows above the header, ``Totaal`` rows, ``x``/``X``/``Ja`` marks, dates typed as
text next to real date cells, BSNs stored as numbers. The framework reads it
(:mod:`nazorg.ingest`); this module adds what is particular to the register:

* the region is the first folder below ``raw/caseload`` (set by the framework);
* ``Casusnummer`` twice in one file: the second row is rejected (:func:`parse_cases`);
* the same ``Casusnummer`` in several files (cumulative re-exports of the living
  register): the row of the file whose path sorts last wins; the older rows counted
  as loaded and are listed as ``superseded`` warnings (:func:`supersede`);
* ``Gemeente`` empty, ``Overig``, unknown (with a warning) or outside the region is
  ``OVERIG`` (:func:`place_municipality`, :func:`assign_overig`).

``Naam`` and ``Opmerkingen`` are never read (the framework drops them at the header).
"""

from __future__ import annotations

import re

import polars as pl

from nazorg.ingest import (
    FILE,
    PROBLEM_SCHEMA,
    QUALITY_SCHEMA,
    Column,
    Parsed,
    RawTable,
    SourceSpec,
    apply_columns,
    empty_problems,
    region_slug,
)
from nazorg.municipalities import OVERIG, load_reference, resolve
from nazorg.redaction import redact_expr

OVERIG_NAME = "Overig"

ENRICHMENT = ("Nee", "Bilateraal", "Netwerkronde")
CONFERENCES = ("Geen", "Veelplegeroverleg", "Scenario-overleg huiselijk geweld", "Casus op Maat")
NAZORG_PLUS = ("Nee", "Aangemeld", "Gestart")
INTENSITIES = ("Intensief", "Regulier", "Weinig verbinding")

SUPPORT_FIELDS = {
    "support_id": "id",
    "support_housing": "housing",
    "support_work_income": "work_income",
    "support_debts": "debts",
    "support_care": "care",
}

CASES = SourceSpec(
    name="caseload",
    folder="caseload",
    region_from_folder=True,
    columns=(
        Column("Casusnummer", "case_number", required=True, verbatim=True),
        Column("BSN", "bsn", kind="bsn", required=True, sensitive=True),
        Column("Gemeente", "municipality_raw"),
        Column("Datum aanmelding", "registration_date", kind="date", required=True, event=True),
        Column("Datum uitstroom", "outflow_date", kind="date"),
        Column("Bron", "source_channel"),
        Column("Profiel", "has_profile", kind="yes_no"),
        Column("Verrijking", "enrichment", kind="choice", choices=ENRICHMENT),
        Column("Inzet ID", "support_id", kind="yes_no"),
        Column("Inzet huisvesting", "support_housing", kind="yes_no"),
        Column("Inzet werk/inkomen", "support_work_income", kind="yes_no"),
        Column("Inzet schulden", "support_debts", kind="yes_no"),
        Column("Inzet zorg", "support_care", kind="yes_no"),
        Column("Casusoverleg", "case_conference", kind="choice", choices=CONFERENCES),
        Column("Nazorg-plus", "nazorg_plus", kind="choice", choices=NAZORG_PLUS),
        Column("Startdatum traject", "trajectory_start_date", kind="date", event=True),
        Column("Einddatum traject", "trajectory_end_date", kind="date", event=True),
        Column("Intensiteit", "intensity", kind="choice", choices=INTENSITIES),
    ),
)

# Spellings people type for a value of a choice column, compared on letters only
# ("Veelpleger-overleg", "veelpleger overleg" and "Veelplegeroverleg" are one value).
CHOICE_ALIASES = {
    "case_conference": {
        "veelplegersoverleg": "Veelplegeroverleg",
        "scenariooverleghg": "Scenario-overleg huiselijk geweld",
        "scenariooverleg": "Scenario-overleg huiselijk geweld",
        "huiselijkgeweld": "Scenario-overleg huiselijk geweld",
    },
    "enrichment": {"netwerk": "Netwerkronde", "bilateraalafgestemd": "Bilateraal"},
}

# Gemeente texts that say "not one of ours" on purpose: Overig, without a warning.
OVERIG_TEXTS = frozenset({"", "overig", "overige", "onbekend", "nvt", "buitenregio"})


def regions() -> dict[str, str]:
    """Folder slug → region display name, from the municipalities reference."""
    names = load_reference().get_column("region").drop_nulls().unique().sort().to_list()
    return {region_slug(name): name for name in names}


def _letters(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.replace_all(r"[^a-zà-ÿ]", "")


def _letters_of(text: str) -> str:
    return re.sub(r"[^a-zà-ÿ]", "", text.lower())


def _per_value(values: pl.Series, expr: pl.Expr) -> pl.Expr:
    """``expr`` (over the column ``values`` came from) worked out once per distinct value
    and mapped back onto the column.

    A register column holds a handful of distinct texts in ten thousand rows; a regular
    expression over the few is much cheaper than over every cell, with the same result.
    """
    distinct = values.unique()
    if distinct.is_empty():
        return expr  # nothing to map (and an empty mapping would keep the text type)
    result = distinct.to_frame().select(expr).to_series()
    return pl.col(values.name).replace_strict(distinct, result, return_dtype=result.dtype)


def canonical_choices(frame: pl.DataFrame) -> pl.DataFrame:
    """Spell every value of a choice column the way the spec does, where it is one of
    them written differently (case, spaces, hyphens, a known alias); a cell with no
    letters at all (``-``) is empty. Anything else stays as written, so that typing
    rejects it with a message listing the allowed values."""
    exprs = []
    for column in CASES.columns:
        if column.kind != "choice" or column.field not in frame.columns:
            continue
        mapping = {_letters_of(c): c for c in column.choices} | CHOICE_ALIASES.get(column.field, {})
        raw = pl.col(column.field)
        key = _letters(raw)
        spelled = (
            pl.when(key == "")
            .then(None)
            .otherwise(key.replace_strict(mapping, default=raw, return_dtype=pl.Utf8))
        )
        values = frame.get_column(column.field)
        distinct = values.unique()
        canonical = distinct.to_frame().select(spelled).to_series()
        if canonical.equals(distinct):
            continue  # every value is already spelled as the spec does (the usual case)
        exprs.append(
            pl.col(column.field)
            .replace_strict(distinct, canonical, return_dtype=pl.Utf8)
            .alias(column.field)
        )
    return frame.with_columns(exprs) if exprs else frame


def normalise_case_number(expr: pl.Expr) -> pl.Expr:
    """A number cell read as text (``17.0``) is ``17``; spaces around are dropped."""
    text = expr.str.strip_chars()
    number = r"^(\d+)\.0+$"
    # Testing is cheaper than replacing, and few case numbers are number cells.
    return pl.when(text.str.contains(number)).then(text.str.replace(number, "${1}")).otherwise(text)


def case_key(expr: pl.Expr) -> pl.Expr:
    """What makes two case numbers the same case: case and spaces do not matter."""
    return expr.str.to_uppercase().str.replace_all(r"\s", "")


def _problems(frame: pl.DataFrame, column: str, rule: str, problem: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col(FILE).cast(pl.Int32),
        pl.col("source_row").cast(pl.Int64),
        pl.col("sheet").cast(pl.Utf8),
        pl.lit(column).alias("column"),
        pl.lit(rule).alias("rule"),
        problem.cast(pl.Utf8).alias("problem"),
    )


def reject_duplicates(good: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Within one file a ``Casusnummer`` is one case: the first row (in sheet and row
    order) loads, every later row with the same number is rejected with a message that
    names where the first one is. (``good`` may hold several files: ``_file`` keeps
    them apart.)"""
    keys = good.select(case_key(pl.col("case_number"))).to_series()
    per_file = pl.struct(pl.col(FILE), keys.alias("_key"))
    if not good.select(per_file.is_duplicated().any()).item():
        # The usual file: no number twice, nothing to group.
        return good, _problems(good.clear(), "Casusnummer", "duplicate_case_number", pl.lit(""))
    indexed = good.with_row_index("_i").with_columns(_key=keys)
    first = indexed.group_by(FILE, "_key").agg(
        pl.col("_i").min().alias("_first_i"),
        pl.col("sheet").sort_by("_i").first().alias("_first_sheet"),
        pl.col("source_row").sort_by("_i").first().alias("_first_row"),
    )
    joined = indexed.join(first, on=[FILE, "_key"], how="left", maintain_order="left")
    duplicate = pl.col("_i") > pl.col("_first_i")
    where_first = (
        pl.when(pl.col("_first_sheet").is_not_null())
        .then(pl.format("blad '{}', rij {}", pl.col("_first_sheet"), pl.col("_first_row")))
        .otherwise(pl.format("rij {}", pl.col("_first_row")))
    )
    rejected = _problems(
        joined.filter(duplicate),
        "Casusnummer",
        "duplicate_case_number",
        pl.format(
            "Casusnummer '{}' staat twee keer in dit bestand (eerst op {}); deze tweede rij is "
            "niet geladen. Geef de casus een eigen nummer of verwijder de dubbele rij",
            redact_expr(pl.col("case_number")),
            where_first,
        ),
    )
    kept = joined.filter(~duplicate).drop("_i", "_key", "_first_i", "_first_sheet", "_first_row")
    return kept, rejected


def place_municipality(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolve ``Gemeente`` at the registration date.

    Adds ``municipality_code``, ``municipality_name`` and ``municipality_region`` (the
    region of that municipality in the reference list). Empty or ``Overig`` is
    ``OVERIG`` without a warning; a name that matches nothing (or is ambiguous) is
    ``OVERIG`` with a warning row; whether a known municipality lies in the register's
    own region is decided once the region is known (:func:`assign_overig`).
    """
    raw = pl.col("municipality_raw")
    # letters and digits only: "n.v.t." is nvt, "-" is empty, "0402" stays a code
    key = raw.str.to_lowercase().str.replace_all(r"[^a-z0-9à-ÿ]", "")
    is_overig = raw.is_null() | key.is_in(list(OVERIG_TEXTS))
    frame = rows.with_columns(
        _overig_on_purpose=_per_value(rows.get_column("municipality_raw"), is_overig),
    ).with_columns(
        _place=pl.when("_overig_on_purpose").then(None).otherwise(raw.str.strip_chars()),
    )
    placed = resolve(frame, "_place", "registration_date").rename({"region": "municipality_region"})
    unknown = pl.col("municipality_warning").is_not_null()
    warnings = _problems(
        placed.filter(unknown),
        "Gemeente",
        "municipality_unknown",
        pl.col("municipality_warning") + pl.lit("; de casus is geladen en telt mee als Overig"),
    )
    overig = pl.col("_overig_on_purpose") | unknown | pl.col("municipality_code").is_null()
    placed = placed.with_columns(
        municipality_code=pl.when(overig).then(pl.lit(OVERIG)).otherwise("municipality_code"),
        municipality_name=pl.when(overig).then(pl.lit(OVERIG_NAME)).otherwise("municipality_name"),
        municipality_region=pl.when(overig).then(None).otherwise("municipality_region"),
    )
    return placed.drop("_place", "_overig_on_purpose", "municipality_warning"), warnings


def trajectory_warnings(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Trajectory dates that do not fit: an end date before the start date is set aside
    (the case loads); a ``Gestart`` case without a start date is listed."""
    end_before_start = (pl.col("trajectory_end_date") < pl.col("trajectory_start_date")).fill_null(
        False
    )
    no_start = (pl.col("nazorg_plus") == "Gestart").fill_null(False) & pl.col(
        "trajectory_start_date"
    ).is_null()
    warnings = pl.concat(
        [
            _problems(
                rows.filter(end_before_start),
                "Einddatum traject",
                "trajectory_end_before_start",
                pl.lit(
                    "Einddatum traject ligt vóór Startdatum traject; de casus is geladen zonder "
                    "einddatum"
                ),
            ),
            _problems(
                rows.filter(no_start),
                "Startdatum traject",
                "trajectory_start_missing",
                pl.lit("Nazorg-plus is 'Gestart' maar Startdatum traject is leeg"),
            ),
        ]
    )
    rows = rows.with_columns(
        trajectory_end_date=pl.when(end_before_start).then(None).otherwise("trajectory_end_date")
    )
    return rows, warnings


def sheet_year_warnings(rows: pl.DataFrame) -> pl.DataFrame:
    """A case on a year sheet (``2013``) whose Datum aanmelding lies in another year is
    counted in the year of the date, and listed: often a typo in the year."""
    sheet_year = pl.col("sheet").str.strip_chars().str.extract(r"^(\d{4})$", 1).cast(pl.Int32)
    sheet_year = _per_value(rows.get_column("sheet"), sheet_year)
    differs = (sheet_year != pl.col("registration_date").dt.year()).fill_null(False)
    return _problems(
        rows.filter(differs),
        "Datum aanmelding",
        "year_differs_from_sheet",
        pl.format(
            "Datum aanmelding ligt in {} maar de casus staat op tabblad '{}'; de casus telt mee "
            "in {}",
            pl.col("registration_date").dt.year(),
            pl.col("sheet"),
            pl.col("registration_date").dt.year(),
        ),
    )


def parse_cases(raw: RawTable, key: str) -> Parsed:
    """Files of the register: typed, de-duplicated per file, placed and pseudonymised rows."""
    frame = raw.frame
    if "case_number" in frame.columns:
        frame = frame.with_columns(case_number=normalise_case_number(pl.col("case_number")))
    good, rejected = apply_columns(canonical_choices(frame), CASES, key=key)
    good, duplicates = reject_duplicates(good)
    good, municipality_warnings = place_municipality(good)
    good, trajectory = trajectory_warnings(good)
    warnings = pl.concat(
        [municipality_warnings, trajectory, sheet_year_warnings(good)], how="vertical_relaxed"
    ).cast(PROBLEM_SCHEMA)
    rejected = (
        pl.concat([rejected, duplicates.cast(PROBLEM_SCHEMA)])
        .sort(FILE, "sheet", "source_row", nulls_last=False)
        .cast(PROBLEM_SCHEMA)
    )
    warnings = warnings.sort(FILE, "sheet", "source_row", nulls_last=False)
    return Parsed(good, rejected, warnings if warnings.height else empty_problems())


# --------------------------------------------------------------------------- all files

CASE_SCHEMA = {
    "region": pl.Utf8,
    "case_number": pl.Utf8,
    "person_key": pl.Utf8,
    "municipality_code": pl.Utf8,
    "municipality_name": pl.Utf8,
    "registration_date": pl.Date,
    "outflow_date": pl.Date,
    "source_channel": pl.Utf8,
    "has_profile": pl.Boolean,
    "enrichment": pl.Utf8,
    "support_id": pl.Boolean,
    "support_housing": pl.Boolean,
    "support_work_income": pl.Boolean,
    "support_debts": pl.Boolean,
    "support_care": pl.Boolean,
    "has_life_domain_support": pl.Boolean,
    "case_conference": pl.Utf8,
    "nazorg_plus": pl.Utf8,
    "trajectory_start_date": pl.Date,
    "trajectory_end_date": pl.Date,
    "intensity": pl.Utf8,
    "source_file": pl.Utf8,
    "sheet": pl.Utf8,
    "source_row": pl.Int64,
}


def empty_cases() -> pl.DataFrame:
    return pl.DataFrame(schema=CASE_SCHEMA)


def _where(file: pl.Expr, sheet: pl.Expr, row: pl.Expr) -> pl.Expr:
    return (
        pl.when(sheet.is_not_null())
        .then(pl.format("{}, blad '{}', rij {}", file, sheet, row))
        .otherwise(pl.format("{}, rij {}", file, row))
    )


def supersede(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per case of a region: the row from the file whose path sorts last.

    Registers are re-exported cumulatively (``registratie_2024-03.xlsx``); the older
    rows of a case were loaded (the ledger counts them) and are superseded: returned
    as warning rows (QUALITY_SCHEMA) that name the newer file.
    """
    keyed = rows.with_columns(_key=case_key(pl.col("case_number"))).with_row_index("_i")
    # Only a case in more than one row can be superseded: the winners are picked among
    # those rows alone (no sort or join of every case on text keys). A row without a
    # key takes the same path, where the join drops it.
    key = ["region", "_key"]
    shared = pl.struct(key).is_duplicated() | pl.any_horizontal(pl.col(key).is_null())
    keyed = keyed.with_columns(_shared=shared)
    candidates = keyed.filter(pl.col("_shared"))
    ordered = candidates.sort([*key, "source_file", "_i"])
    winner = ordered.group_by(key, maintain_order=True).agg(
        pl.col("_i").last().alias("_win_i"),
        pl.col("source_file").last().alias("_win_file"),
        pl.col("sheet").last().alias("_win_sheet"),
        pl.col("source_row").last().alias("_win_row"),
    )
    joined = candidates.join(winner, on=key, how="left", maintain_order="left")
    loser = pl.col("_i") != pl.col("_win_i")
    warnings = (
        joined.filter(loser)
        .select(
            pl.lit(CASES.name).alias("source"),
            pl.col("source_file").alias("file"),
            "sheet",
            pl.col("source_row").alias("row_number"),
            pl.lit("Casusnummer").alias("column_name"),
            pl.lit("superseded").alias("rule"),
            pl.format(
                "{}, kolom 'Casusnummer': casus '{}' staat ook in het nieuwere bestand {}; "
                "die rij telt, deze rij is vervangen",
                _where(pl.col("source_file"), pl.col("sheet"), pl.col("source_row")),
                redact_expr(pl.col("case_number")),
                _where(pl.col("_win_file"), pl.col("_win_sheet"), pl.col("_win_row")),
            ).alias("message"),
        )
        .cast(QUALITY_SCHEMA)
        .sort("file", "sheet", "row_number")
    )
    winners = joined.filter(~loser).get_column("_i")
    kept = keyed.filter(~pl.col("_shared") | pl.col("_i").is_in(winners.implode())).drop(
        "_i", "_key", "_shared"
    )
    return kept, warnings


def assign_overig(rows: pl.DataFrame) -> pl.DataFrame:
    """A municipality outside the register's own region counts as ``OVERIG``."""
    outside = pl.col("municipality_region").ne_missing(pl.col("region"))
    return rows.with_columns(
        municipality_code=pl.when(outside).then(pl.lit(OVERIG)).otherwise("municipality_code"),
        municipality_name=pl.when(outside).then(pl.lit(OVERIG_NAME)).otherwise("municipality_name"),
    )


def build_cases(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of ``staging.cases`` from the loaded rows of every file, and the
    ``superseded`` warnings (QUALITY_SCHEMA). ``rows`` may be empty (no files)."""
    if rows.height == 0:
        return empty_cases(), pl.DataFrame(schema=QUALITY_SCHEMA)
    kept, warnings = supersede(rows)
    placed = assign_overig(kept).with_columns(
        has_life_domain_support=pl.any_horizontal([pl.col(c) for c in SUPPORT_FIELDS])
    )
    cases = placed.select([pl.col(c).cast(t) for c, t in CASE_SCHEMA.items()]).sort(
        "region", "registration_date", "case_number"
    )
    return cases, warnings
