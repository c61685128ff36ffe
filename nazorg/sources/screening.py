"""Screening forms (Informatieblad / D&R-plan extract) → ``staging.screenings``.

One row per form, filled in with or by the detainee early in detention: consent to
share information and a support wish per life domain. Each form is linked to the
detention episode it belongs to (``staging.detentions``):

1. ``same_date``: an episode of the same person whose admission date equals the form's
   ``Datum insluiting``;
2. ``nearest_admission_14d``: failing that, the person's admission that lies closest
   before ``Datum formulier``, at most 14 days before it (0–14 days, both ends
   included; an admission after the form date never qualifies). The typed
   ``Datum insluiting`` plays no part in this fallback: it is exactly the date that
   was typed wrong.
3. otherwise no link (``episode_id`` NULL): the form still loads, is listed as a row
   warning and is counted in ``quality.unlinked_screenings``; it is not a rejected row.

A wish is ``True`` (Ja), ``False`` (Nee) or NULL (Onbekend or empty): NULL is not an
answer, so "answered" means "not NULL". How many domains were explicitly ``Onbekend``
is kept per form (``unknown_domains``) so the two kinds of NULL stay distinguishable.
"""

from __future__ import annotations

import polars as pl

from nazorg.ingest import (
    QUALITY_SCHEMA,
    UNKNOWN,
    Column,
    Parsed,
    RawTable,
    SourceSpec,
    apply_columns,
)

# The six life domains ("leefgebieden") in the order of the form and of the KPI tables.
LIFE_DOMAINS = ("id", "housing", "work_income", "debts", "care", "social_network")
WISH_FIELDS = tuple(f"wish_{d}" for d in LIFE_DOMAINS)
WISH_HEADERS = (
    "Ondersteuningswens identiteitsbewijs",
    "Ondersteuningswens huisvesting",
    "Ondersteuningswens werk en inkomen",
    "Ondersteuningswens schulden",
    "Ondersteuningswens zorg",
    "Ondersteuningswens sociaal netwerk",
)

# Fallback window: an admission at most this many days before the form date.
LINK_WINDOW_DAYS = 14
SAME_DATE = "same_date"
NEAREST_ADMISSION = "nearest_admission_14d"

SCREENING = SourceSpec(
    name="screening",
    folder="screening",
    columns=(
        Column("BSN", "bsn", kind="bsn", required=True, sensitive=True),
        Column("Inrichting", "institution", required=True),
        Column("Datum insluiting", "admission_date", kind="date", required=True, event=True),
        Column("Datum formulier", "form_date", kind="date", required=True, event=True),
        # Required, so an empty cell rejects the row instead of meaning "Nee".
        Column("Toestemming gegevensuitwisseling", "consent", kind="yes_no", required=True),
        *(
            Column(header, field, kind="yes_no_unknown")
            for header, field in zip(WISH_HEADERS, WISH_FIELDS, strict=True)
        ),
    ),
)

FORM_COLUMNS = [
    "person_key",
    "institution",
    "admission_date",
    "form_date",
    "consent",
    *WISH_FIELDS,
    "answered_domains",
    "unknown_domains",
]

SCREENING_SCHEMA = {
    "screening_id": pl.Utf8,
    "person_key": pl.Utf8,
    "institution": pl.Utf8,
    "admission_date": pl.Date,
    "form_date": pl.Date,
    "consent": pl.Boolean,
    **{f: pl.Boolean for f in WISH_FIELDS},
    "answered_domains": pl.Int64,
    "unknown_domains": pl.Int64,
    "episode_id": pl.Utf8,
    "link_method": pl.Utf8,
    "linked_admission_date": pl.Date,
    "source_file": pl.Utf8,
    "source_row": pl.Int64,
}


def parse_screening(raw: RawTable, key: str) -> Parsed:
    """Type the columns of the files; count the explicit ``Onbekend`` answers per form."""
    present = [f for f in WISH_FIELDS if f in raw.frame.columns]
    frame = raw.frame.with_columns(
        unknown_domains=pl.sum_horizontal(
            [
                pl.col(f).str.strip_chars().str.to_lowercase().is_in(UNKNOWN).fill_null(False)
                for f in present
            ]
            or [pl.lit(0)]
        ).cast(pl.Int64)
    )
    good, rejected = apply_columns(frame, SCREENING, key=key, keep=["unknown_domains"])
    good = good.with_columns(
        answered_domains=pl.sum_horizontal([pl.col(f).is_not_null() for f in WISH_FIELDS]).cast(
            pl.Int64
        )
    )
    return Parsed(good, rejected, rejected.clear())


def link_forms(forms: pl.DataFrame, episodes: pl.DataFrame) -> pl.DataFrame:
    """Add ``episode_id``, ``link_method`` and ``linked_admission_date`` to each form.

    ``forms`` needs ``person_key``, ``admission_date`` (as typed on the form) and
    ``form_date``; ``episodes`` needs ``episode_id``, ``person_key`` and
    ``admission_date`` (one row per person and admission date, as in
    ``staging.detentions``). Row order and every other column of ``forms`` are kept.
    """
    eps = episodes.select(
        "episode_id", "person_key", pl.col("admission_date").alias("linked_admission_date")
    )
    # Nearly every form links on the same date: one left join does those in place
    # (a join key is never NULL on a match, so a set linked_admission_date is a match).
    same = (
        forms.drop("episode_id", "link_method", "linked_admission_date", strict=False)
        .join(
            eps.with_columns(admission_date=pl.col("linked_admission_date")),
            on=["person_key", "admission_date"],
            how="left",
            maintain_order="left",
        )
        .with_columns(
            link_method=pl.when(pl.col("linked_admission_date").is_not_null()).then(
                pl.lit(SAME_DATE)
            )
        )
        .with_row_index("_form")
    )
    # The fallback only looks at the few forms left over.
    rest = same.filter(pl.col("linked_admission_date").is_null())
    if rest.height == 0:
        return same.drop("_form")
    nearest = (
        rest.select("_form", "person_key", "form_date")
        .join(eps, on="person_key", how="inner")
        .with_columns(_gap=(pl.col("form_date") - pl.col("linked_admission_date")).dt.total_days())
        .filter(pl.col("_gap").is_between(0, LINK_WINDOW_DAYS))
        .sort("_form", "_gap")
        .unique("_form", keep="first", maintain_order=True)
        .select(
            "_form",
            pl.col("episode_id").alias("_episode_id"),
            pl.col("linked_admission_date").alias("_linked_admission_date"),
        )
    )
    if nearest.height == 0:
        return same.drop("_form")
    return (
        same.join(nearest, on="_form", how="left", maintain_order="left")
        .with_columns(
            episode_id=pl.coalesce("episode_id", "_episode_id"),
            linked_admission_date=pl.coalesce("linked_admission_date", "_linked_admission_date"),
            link_method=pl.when(pl.col("_linked_admission_date").is_not_null())
            .then(pl.lit(NEAREST_ADMISSION))
            .otherwise("link_method"),
        )
        .drop("_form", "_episode_id", "_linked_admission_date")
    )


def _in_file_order(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows sorted on file and row; they mostly come that way, and then the (wide)
    frame is not reordered at all."""
    order = rows.select(pl.arg_sort_by("source_file", "source_row")).to_series()
    if order.equals(pl.int_range(rows.height, dtype=order.dtype, eager=True)):
        return rows
    return rows[order]


def _screening_ids(forms: pl.DataFrame) -> pl.DataFrame:
    """Drop copies of a form (every field in ``FORM_COLUMNS`` equal: the first stays) and
    add ``screening_id``: the pseudonym (shortened) and the form date, with a suffix
    ``-2``, ``-3`` … for a person's later forms of that day."""
    # strftime once per distinct form date (a few thousand), not once per form.
    dates = forms.get_column("form_date").unique()
    day = pl.col("form_date").replace_strict(
        dates, dates.dt.strftime("%Y%m%d"), return_dtype=pl.Utf8
    )
    forms = forms.with_columns(
        _id=pl.concat_str(pl.col("person_key").str.slice(0, 16), day, separator="-")
    ).with_row_index("_row")
    # Only forms that share their id (same person and form date) can be copies of one
    # another or need a suffix; deduplicating and numbering just those few is the same
    # as doing it over all forms, and far cheaper than grouping 400 000 ids. Equal ids
    # have equal hashes, so comparing hashes finds them all (a rare collision only adds
    # a form to the few that are handled exactly).
    forms = forms.with_columns(_shared=pl.col("_id").hash().is_duplicated())
    shared = forms.filter(pl.col("_shared"))
    n = pl.int_range(pl.len()).over("_id")
    numbered = shared.unique(FORM_COLUMNS, keep="first", maintain_order=True).select(
        "_row",
        _kept=pl.lit(True),
        _sid=pl.when(n == 0).then(pl.col("_id")).otherwise(pl.format("{}-{}", "_id", n + 1)),
    )
    return (
        forms.join(numbered, on="_row", how="left", maintain_order="left")
        .filter(~pl.col("_shared") | pl.col("_kept").is_not_null())
        .with_columns(screening_id=pl.when("_shared").then("_sid").otherwise("_id"))
        .drop("_id", "_row", "_shared", "_kept", "_sid")
    )


def build_screenings(rows: pl.DataFrame, episodes: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``staging.screenings`` from the loaded forms of every file.

    The same form in overlapping exports (every field equal) is one form: the copy from
    the file whose path sorts first is kept. ``screening_id`` is the pseudonym
    (shortened) and the form date, with a suffix when one person has more forms that day.
    """
    if rows.height == 0:
        return pl.DataFrame(schema=SCREENING_SCHEMA)
    forms = _screening_ids(_in_file_order(rows))
    linked = link_forms(forms, episodes)
    return linked.select(list(SCREENING_SCHEMA)).cast(SCREENING_SCHEMA)


def unlinked_warnings(screenings: pl.DataFrame) -> pl.DataFrame:
    """One row warning per form that links to no detention (QUALITY_SCHEMA)."""
    unlinked = screenings.filter(pl.col("episode_id").is_null())
    return unlinked.select(
        pl.lit("screening").alias("source"),
        pl.col("source_file").alias("file"),
        pl.lit(None, pl.Utf8).alias("sheet"),
        pl.col("source_row").alias("row_number"),
        pl.lit("Datum insluiting").alias("column_name"),
        pl.lit("screening_unlinked").alias("rule"),
        pl.format(
            "{}, rij {}, kolom 'Datum insluiting': geen detentie van deze persoon met deze "
            "datum insluiting, en ook geen insluiting in de {} dagen vóór Datum formulier; "
            "het formulier is geladen maar telt in geen regio mee",
            "source_file",
            "source_row",
            pl.lit(LINK_WINDOW_DAYS),
        ).alias("message"),
    ).cast(QUALITY_SCHEMA)


def link_summary(screenings: pl.DataFrame) -> pl.DataFrame:
    """``quality.unlinked_screenings``: per year of the form date, how the forms linked."""
    method = pl.col("link_method")
    return (
        screenings.group_by(year=pl.col("form_date").dt.year().cast(pl.Int64))
        .agg(
            forms=pl.len().cast(pl.Int64),
            linked_same_date=(method == SAME_DATE).sum().cast(pl.Int64),
            linked_nearest_admission=(method == NEAREST_ADMISSION).sum().cast(pl.Int64),
            unlinked=method.is_null().sum().cast(pl.Int64),
        )
        .with_columns(share_unlinked=pl.col("unlinked") / pl.col("forms"))
        .sort("year")
    )
