"""Detention registrations: JustID notifications and legacy DPAN rows → episodes.

Both systems describe the same thing in two shapes; both end up as one normalised
table of detention episodes (``staging.detentions``). A KPI never needs to know
which system a release came from.

Why one module of over 500 lines: JustID and DPAN are typed here and merged here into
one set of detention episodes; the merge's rules (the same number in overlapping
exports, conflicting release dates, the persons an added export can change) read both
sources' columns, so they stay next to the specs that define them.
"""

from __future__ import annotations

import polars as pl

from nazorg.ingest import Column, Parsed, RawTable, Rule, SourceResult, SourceSpec, apply_columns
from nazorg.municipalities import resolve

# Soort melding, typed to the spelling of the spec → the event it records. Two
# vocabularies for the same events: older exports say Insluiting and Ontslag.
KIND_OF_CHOICE = {
    "Begin detentie": "admission",
    "Insluiting": "admission",
    "Einde detentie": "release",
    "Ontslag": "release",
    "Overplaatsing": "transfer",
    "Verlof": "leave",
}
RELEASE_KINDS = [choice for choice, kind in KIND_OF_CHOICE.items() if kind == "release"]

JUSTID = SourceSpec(
    name="justid",
    folder="justid",
    columns=(
        Column("Meldingnummer", "notification_id", required=True, keyed=True),
        Column(
            "Soort melding",
            "notification_kind",
            kind="choice",
            required=True,
            choices=(
                "Begin detentie",
                "Einde detentie",
                "Insluiting",
                "Ontslag",
                "Overplaatsing",
                "Verlof",
            ),
        ),
        Column("Datum melding", "notification_date", kind="date", required=True, event=True),
        Column("BSN", "bsn", kind="bsn", required=True, sensitive=True),
        Column("Geboortedatum", "birth_date", kind="date", required=True, sensitive=True),
        Column("Geslacht", "sex"),
        Column("Gemeentecode", "municipality_code_raw"),
        Column("Gemeente", "municipality_name_raw"),
        Column("Inrichting", "institution", required=True),
        Column("Datum insluiting", "admission_date", kind="date", required=True, event=True),
        Column("Verwachte datum ontslag", "expected_release_date", kind="date"),
        Column("Datum ontslag", "release_date", kind="date", event=True),
        Column("Titel", "detention_title"),
    ),
)


def _birth_date_impossible(admission: str) -> Rule:
    """A birth date before 1900 or after the admission is a typing error. Rejected here,
    with a message that does not repeat it, rather than failing the blocking schema check
    on ``staging.detentions`` (birth years 1900-2030) and with it the whole night's run."""
    return Rule(
        "Geboortedatum" if admission == "Datum insluiting" else "Geb. datum",
        "birth_date_impossible",
        f"geboortedatum is onmogelijk (vóór 1900 of na de {admission})",
        lambda: (
            (pl.col("birth_date") < pl.date(1900, 1, 1))
            | (pl.col("birth_date") > pl.col("admission_date"))
            | (pl.col("birth_date") > pl.date(2030, 12, 31))
        ),
    )


JUSTID_RULES = (
    Rule(
        "Datum ontslag",
        "release_date_required",
        "een melding 'Einde detentie' heeft een Datum ontslag nodig",
        lambda: pl.col("notification_kind").is_in(RELEASE_KINDS) & pl.col("release_date").is_null(),
    ),
    Rule(
        "Datum ontslag",
        "release_before_admission",
        "Datum ontslag ligt vóór Datum insluiting",
        lambda: pl.col("release_date") < pl.col("admission_date"),
    ),
    _birth_date_impossible("Datum insluiting"),
)

DPAN = SourceSpec(
    name="dpan",
    folder="dpan",
    columns=(
        Column("DPAN-nr", "dpan_id", required=True, keyed=True),
        Column("BSN", "bsn", kind="bsn", required=True, sensitive=True),
        Column("Geb. datum", "birth_date", kind="date", required=True, sensitive=True),
        Column("Gemeente", "municipality_name_raw"),
        Column("PI", "institution", required=True),
        Column("Datum binnenkomst", "admission_date", kind="date", required=True, event=True),
        Column("Datum vertrek", "departure_date", kind="date", event=True),
        Column(
            "Reden vertrek",
            "departure_reason",
            kind="choice",
            choices=("Ontslag", "Overplaatsing", "Schorsing", "Overlijden", "Overig"),
        ),
        Column("Hulpvraag ID", "need_id", kind="yes_no_unknown"),
        Column("Hulpvraag huisvesting", "need_housing", kind="yes_no_unknown"),
        Column("Hulpvraag werk/inkomen", "need_work_income", kind="yes_no_unknown"),
        Column("Hulpvraag schulden", "need_debts", kind="yes_no_unknown"),
        Column("Hulpvraag zorg", "need_care", kind="yes_no_unknown"),
        Column("Toestemming", "consent", kind="yes_no_unknown"),
    ),
)

DPAN_RULES = (
    Rule(
        "Reden vertrek",
        "departure_reason_required",
        "Datum vertrek is ingevuld maar Reden vertrek is leeg",
        lambda: pl.col("departure_date").is_not_null() & pl.col("departure_reason").is_null(),
    ),
    Rule(
        "Datum vertrek",
        "release_before_admission",
        "Datum vertrek ligt vóór Datum binnenkomst",
        lambda: pl.col("departure_date") < pl.col("admission_date"),
    ),
    _birth_date_impossible("Datum binnenkomst"),
)

NEED_FIELDS = ("need_id", "need_housing", "need_work_income", "need_debts", "need_care")


def _birth_year(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(birth_year=pl.col("birth_date").dt.year().cast(pl.Int32)).drop(
        "birth_date"
    )


def parse_justid(raw: RawTable, key: str) -> Parsed:
    good, rejected = apply_columns(raw.frame, JUSTID, JUSTID_RULES, key=key)
    good = good.with_columns(
        # The typed column holds the spelling of the spec (a choice column).
        notification_kind=pl.col("notification_kind").replace_strict(KIND_OF_CHOICE),
        municipality_raw=pl.coalesce("municipality_code_raw", "municipality_name_raw"),
    ).drop("municipality_code_raw", "municipality_name_raw")
    return Parsed(_birth_year(good), rejected, rejected.clear())


def parse_dpan(raw: RawTable, key: str) -> Parsed:
    good, rejected = apply_columns(raw.frame, DPAN, DPAN_RULES, key=key)
    good = good.rename({"municipality_name_raw": "municipality_raw"})
    return Parsed(_birth_year(good), rejected, rejected.clear())


EPISODE_KEY = ["person_key", "admission_date"]


def _keyed(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``_pid``, a small integer per person, and ``_order``, the row's place in the
    input (files in path order, rows in file order).

    Sorting and grouping a million rows on 64-character pseudonyms is slow; on an
    integer it is not. ``_order`` breaks ties the way the exports were read.
    """
    keyed = frame.with_row_index("_order").with_columns(_pid=pl.col("person_key").hash())
    # A 64-bit hash of a 64-character pseudonym is as good as unique, but "as good as"
    # is not exact: if two persons ever share a number, number them exactly instead.
    distinct = keyed.select(pl.col("_pid").n_unique(), pl.col("person_key").n_unique()).row(0)
    if distinct[0] != distinct[1]:
        keyed = keyed.with_columns(
            _pid=pl.col("person_key").cast(pl.Categorical).to_physical().cast(pl.UInt64)
        )
    return keyed


GROUP_KEY = ["_pid", "admission_date"]


def justid_episodes(notifications: pl.DataFrame) -> pl.DataFrame:
    """Pair notifications into episodes: one person, one ``Datum insluiting``.

    ``notifications`` holds the loaded rows of every JustID file, with ``source_file``.
    The same ``Meldingnummer`` in overlapping exports is one notification: the version
    of the export whose path sorts first (a later version that differs is listed by
    :func:`release_conflicts` when its release date differs). The release is the ``Einde detentie``, the latest one (by ``Datum melding``, then export)
    when an episode has several; leave never closes an episode; an episode whose
    admission lies before the export window has only its release and is still one.
    The municipality at release is the one on the release notification, else the
    latest non-empty one of the episode. ``source_file`` is the file of the release
    (where its date comes from), else the first file of the episode. Conflicting
    release dates are listed by :func:`release_conflicts`.
    """
    n = _keyed(notifications.filter(pl.col("notification_id").is_first_distinct()))
    ordered = n.sort([*GROUP_KEY, "notification_date", "_order"])
    is_release = pl.col("notification_kind") == "release"
    has_place = pl.col("municipality_raw").is_not_null()
    release_place = is_release & has_place
    episodes = ordered.group_by(GROUP_KEY, maintain_order=True).agg(
        pl.col("person_key").first(),
        pl.col("birth_year").drop_nulls().last(),
        pl.col("sex").drop_nulls().last(),
        pl.col("institution").last(),
        pl.col("detention_title").drop_nulls().last(),
        pl.col("notification_date").max().alias("last_event_date"),
        pl.len().alias("notifications"),
        pl.col("source_file").first().alias("first_file"),
        pl.col("source_file").filter(is_release).last().alias("release_source_file"),
        pl.col("release_date").filter(is_release).last(),
        pl.col("municipality_raw").filter(release_place).last().alias("release_municipality_raw"),
        pl.col("source_file").filter(release_place).last().alias("release_file"),
        pl.col("source_row").filter(release_place).last().alias("release_row"),
        pl.col("municipality_raw").filter(has_place).last().alias("latest_municipality_raw"),
        pl.col("source_file").filter(has_place).last().alias("latest_file"),
        pl.col("source_row").filter(has_place).last().alias("latest_row"),
    )
    use_release_place = pl.col("release_municipality_raw").is_not_null()
    return episodes.select(
        *EPISODE_KEY,
        pl.lit("JustID").alias("source_system"),
        "birth_year",
        "sex",
        "institution",
        "detention_title",
        pl.col("release_date").is_not_null().alias("is_release"),
        "release_date",
        pl.when(pl.col("release_date").is_not_null()).then(pl.lit("Ontslag")).alias("end_reason"),
        pl.when(use_release_place)
        .then("release_municipality_raw")
        .otherwise("latest_municipality_raw")
        .alias("municipality_raw"),
        pl.when(use_release_place)
        .then("release_file")
        .otherwise("latest_file")
        .alias("municipality_file"),
        pl.when(use_release_place)
        .then("release_row")
        .otherwise("latest_row")
        .alias("municipality_row"),
        "last_event_date",
        "notifications",
        pl.coalesce("release_source_file", "first_file").alias("source_file"),
    )


def dpan_episodes(rows: pl.DataFrame) -> pl.DataFrame:
    """Episodes from DPAN rows: one person, one ``Datum binnenkomst``.

    A transfer produces a second row with a new ``DPAN-nr``; the release is the row with
    ``Reden vertrek = Ontslag``; needs and consent come from the latest row. The same
    ``DPAN-nr`` in overlapping exports is one row.
    """
    # The same DPAN-nr in overlapping exports is one row: an open detention in one
    # year's export reappears, closed, in the next one. The row that knows the
    # departure wins; between equals, the export whose path sorts last.
    r = rows.sort(
        ["dpan_id", pl.col("departure_date").is_not_null(), "source_file", "source_row"]
    ).unique("dpan_id", keep="last", maintain_order=True)
    # Latest row: the open one (no departure yet), else the latest departure.
    ordered = r.sort(
        [
            *EPISODE_KEY,
            pl.col("departure_date").fill_null(pl.date(9999, 12, 31)),
            "source_file",
            "source_row",
        ]
    )
    screened_any = pl.any_horizontal([pl.col(c).is_not_null() for c in (*NEED_FIELDS, "consent")])
    ordered = ordered.with_columns(_screened=screened_any)
    is_release = pl.col("departure_reason") == "Ontslag"
    release = (
        ordered.filter(is_release)
        .group_by(EPISODE_KEY, maintain_order=True)
        .agg(
            pl.col("departure_date").max().alias("release_date"),
            pl.col("municipality_raw").drop_nulls().last().alias("release_municipality_raw"),
            pl.col("source_file").last().alias("release_file"),
            pl.col("source_row").last().alias("release_row"),
            pl.col("source_file").sort_by("departure_date").last().alias("release_source_file"),
        )
    )
    latest_municipality = (
        ordered.filter(pl.col("municipality_raw").is_not_null())
        .group_by(EPISODE_KEY, maintain_order=True)
        .agg(
            pl.col("municipality_raw").last().alias("latest_municipality_raw"),
            pl.col("source_file").last().alias("latest_file"),
            pl.col("source_row").last().alias("latest_row"),
        )
    )
    base = ordered.group_by(EPISODE_KEY, maintain_order=True).agg(
        pl.col("birth_year").drop_nulls().last(),
        pl.col("institution").last(),
        pl.col("departure_reason").last().alias("last_reason"),
        pl.max_horizontal(pl.col("admission_date").max(), pl.col("departure_date").max()).alias(
            "last_event_date"
        ),
        pl.len().alias("notifications"),
        pl.col("source_file").first(),
        *[pl.col(c).last() for c in (*NEED_FIELDS, "consent")],
        pl.col("_screened").any().alias("dpan_screened"),
    )
    episodes = base.join(release, on=EPISODE_KEY, how="left").join(
        latest_municipality, on=EPISODE_KEY, how="left"
    )
    use_release_place = pl.col("release_municipality_raw").is_not_null()
    return episodes.select(
        *EPISODE_KEY,
        pl.lit("DPAN").alias("source_system"),
        "birth_year",
        pl.lit(None, pl.Utf8).alias("sex"),
        "institution",
        pl.lit(None, pl.Utf8).alias("detention_title"),
        pl.col("release_date").is_not_null().alias("is_release"),
        "release_date",
        pl.when(pl.col("release_date").is_not_null())
        .then(pl.lit("Ontslag"))
        .otherwise("last_reason")
        .alias("end_reason"),
        pl.when(use_release_place)
        .then("release_municipality_raw")
        .otherwise("latest_municipality_raw")
        .alias("municipality_raw"),
        pl.when(use_release_place)
        .then("release_file")
        .otherwise("latest_file")
        .alias("municipality_file"),
        pl.when(use_release_place)
        .then("release_row")
        .otherwise("latest_row")
        .alias("municipality_row"),
        "last_event_date",
        "notifications",
        pl.coalesce("release_source_file", "source_file").alias("source_file"),
        *NEED_FIELDS,
        "consent",
        "dpan_screened",
    )


RELEASE_COLUMNS = ("is_release", "release_date", "end_reason", "source_file")
PLACE_COLUMNS = ("municipality_raw", "municipality_file", "municipality_row")
SCREENING_COLUMNS = (*NEED_FIELDS, "consent", "dpan_screened")


def merge_episodes(justid: pl.DataFrame, dpan: pl.DataFrame) -> pl.DataFrame:
    """One table of episodes. An episode present in both systems (admitted under DPAN,
    released under JustID) is one episode: its release is the one a system knows
    (JustID's when both do), its place at release comes with that release (else the
    other system's place: the address known before); DPAN's screening is kept; any
    other field comes from the system of the release where it has one (JustID where
    neither system knows a release), else from the other."""
    both = _keyed(pl.concat([justid, dpan], how="diagonal_relaxed"))
    shared = pl.struct(GROUP_KEY).is_duplicated()
    single = both.filter(~shared)
    pairs = both.filter(shared)
    if pairs.height:
        is_justid = pl.col("source_system") == "JustID"
        priority = (
            pl.when(pl.col("is_release") & is_justid)
            .then(0)
            .when(pl.col("is_release"))
            .then(1)
            .when(is_justid)
            .then(2)
            .otherwise(3)
        )
        pairs = pairs.with_columns(_p=priority).sort([*GROUP_KEY, "_p"])
        has_place = pl.col("municipality_raw").is_not_null()
        others = [
            c
            for c in pairs.columns
            if c not in {*GROUP_KEY, *RELEASE_COLUMNS, *PLACE_COLUMNS, *SCREENING_COLUMNS}
            and c not in {"_p", "_order", "last_event_date"}
        ]
        merged = pairs.group_by(GROUP_KEY, maintain_order=True).agg(
            *[pl.col(c).first() for c in RELEASE_COLUMNS],
            *[pl.col(c).filter(has_place).first() for c in PLACE_COLUMNS],
            *[pl.col(c).drop_nulls().first() for c in (*others, *SCREENING_COLUMNS)],
            pl.col("last_event_date").max(),
            pl.col("_order").min(),
        )
        single = pl.concat([single, merged.select(single.columns)], how="vertical_relaxed")
    return (
        single.sort("_order")
        .drop("_pid", "_order")
        .with_columns(
            pl.col("dpan_screened").fill_null(False),
            episode_id=pl.concat_str(
                pl.col("person_key").str.slice(0, 16),
                pl.col("admission_date").dt.strftime("%Y%m%d"),
                separator="-",
            ),
        )
    )


CONFLICTING_RELEASE = "conflicting_release_date"


def release_conflicts(justid_rows: pl.DataFrame, dpan_rows: pl.DataFrame) -> pl.DataFrame:
    """Rows whose release date lost to another one of the same episode: two exports (or
    two notifications, or JustID and DPAN) giving one episode different release dates.
    The episode loads with the release the rules above choose; each losing row is
    listed (PROBLEM_SCHEMA plus ``file``) with the file and row whose date was used,
    never silently.
    """
    parts = []
    if justid_rows.height:
        parts.append(_justid_conflicts(justid_rows))
    if dpan_rows.height:
        parts.append(_dpan_conflicts(dpan_rows))
    if justid_rows.height and dpan_rows.height:
        parts.append(_system_conflicts(justid_rows, dpan_rows))
    parts = [p for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema=_CONFLICT_SCHEMA)
    return pl.concat(parts).sort("file", "source_row")


_CONFLICT_SCHEMA = {
    "file": pl.Utf8,
    "source_row": pl.Int64,
    "sheet": pl.Utf8,
    "column": pl.Utf8,
    "rule": pl.Utf8,
    "problem": pl.Utf8,
}


def _conflict_rows(losers: pl.DataFrame, column: str) -> pl.DataFrame:
    """``losers`` with ``source_file``, ``source_row``, ``sheet`` and ``_win_file``,
    ``_win_row`` as quality rows (the dates themselves are not repeated)."""
    return losers.select(
        pl.col("source_file").alias("file"),
        pl.col("source_row").cast(pl.Int64),
        pl.col("sheet").cast(pl.Utf8),
        pl.lit(column).alias("column"),
        pl.lit(CONFLICTING_RELEASE).alias("rule"),
        pl.format(
            "deze rij geeft dezelfde detentieperiode een andere ontslagdatum dan {}, rij {}; "
            "die datum is gebruikt. Controleer welke juist is",
            "_win_file",
            "_win_row",
        ).alias("problem"),
    ).cast(_CONFLICT_SCHEMA)


def _justid_release_winners(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the release notifications that count after de-duplication, with ``_order``; the
    winning release of each episode: EPISODE_KEY, ``_win_date``, ``_win_file``,
    ``_win_row``), as :func:`justid_episodes` chooses them."""
    kept = rows.with_row_index("_order").filter(pl.col("notification_id").is_first_distinct())
    releases = kept.filter(pl.col("notification_kind") == "release").sort(
        [*EPISODE_KEY, "notification_date", "_order"]
    )
    winner = releases.group_by(EPISODE_KEY, maintain_order=True).agg(
        pl.col("release_date").last().alias("_win_date"),
        pl.col("source_file").last().alias("_win_file"),
        pl.col("source_row").last().alias("_win_row"),
    )
    return releases, winner


def _justid_conflicts(rows: pl.DataFrame) -> pl.DataFrame:
    if "sheet" not in rows.columns:
        rows = rows.with_columns(sheet=pl.lit(None, pl.Utf8))
    # 1. One Meldingnummer in several exports with another release date: the version
    #    of the first export wins (justid_episodes).
    last = rows.filter(pl.col("notification_id").is_first_distinct()).select(
        "notification_id",
        pl.col("release_date").alias("_win_date"),
        pl.col("source_file").alias("_win_file"),
        pl.col("source_row").alias("_win_row"),
    )
    versions = rows.join(last, on="notification_id", how="inner").filter(
        ~pl.col("release_date").eq_missing(pl.col("_win_date"))
    )
    # 2. Several release notifications of one episode with different dates: the latest
    #    notification wins.
    releases, winner = _justid_release_winners(rows)
    episodes = releases.join(winner, on=EPISODE_KEY, how="inner").filter(
        pl.col("release_date") != pl.col("_win_date")
    )
    return pl.concat(
        [_conflict_rows(versions, "Datum ontslag"), _conflict_rows(episodes, "Datum ontslag")]
    )


def _dpan_conflicts(rows: pl.DataFrame) -> pl.DataFrame:
    if "sheet" not in rows.columns:
        rows = rows.with_columns(sheet=pl.lit(None, pl.Utf8))
    # The same DPAN-nr: the version that knows the departure, else the last export wins.
    ordered = rows.sort(
        ["dpan_id", pl.col("departure_date").is_not_null(), "source_file", "source_row"]
    )
    last = ordered.unique("dpan_id", keep="last", maintain_order=True).select(
        "dpan_id",
        pl.col("departure_date").alias("_win_date"),
        pl.col("source_file").alias("_win_file"),
        pl.col("source_row").alias("_win_row"),
    )
    versions = ordered.join(last, on="dpan_id", how="inner").filter(
        pl.col("departure_date").is_not_null()
        & pl.col("_win_date").is_not_null()
        & (pl.col("departure_date") != pl.col("_win_date"))
    )
    # Several Ontslag rows of one episode with different dates: the latest date is used.
    kept = ordered.unique("dpan_id", keep="last", maintain_order=True)
    releases = kept.filter(pl.col("departure_reason") == "Ontslag").sort(
        [*EPISODE_KEY, "departure_date", "source_file", "source_row"]
    )
    winner = releases.group_by(EPISODE_KEY, maintain_order=True).agg(
        pl.col("departure_date").last().alias("_win_date"),
        pl.col("source_file").last().alias("_win_file"),
        pl.col("source_row").last().alias("_win_row"),
    )
    episodes = releases.join(winner, on=EPISODE_KEY, how="inner").filter(
        pl.col("departure_date") != pl.col("_win_date")
    )
    return pl.concat(
        [_conflict_rows(versions, "Datum vertrek"), _conflict_rows(episodes, "Datum vertrek")]
    )


def _system_conflicts(justid_rows: pl.DataFrame, dpan_rows: pl.DataFrame) -> pl.DataFrame:
    """An episode released in both systems on different dates: JustID's release wins
    (merge_episodes); the DPAN row is listed."""
    _, justid = _justid_release_winners(justid_rows)
    dpan = dpan_rows.filter(pl.col("departure_reason") == "Ontslag")
    if "sheet" not in dpan.columns:
        dpan = dpan.with_columns(sheet=pl.lit(None, pl.Utf8))
    losers = dpan.join(justid, on=EPISODE_KEY, how="inner").filter(
        pl.col("departure_date") != pl.col("_win_date")
    )
    return _conflict_rows(losers, "Datum vertrek")


def place_episodes(
    episodes: pl.DataFrame, reference: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolve each episode's municipality at the date of its event.

    The event is the release (or, for an episode without one, the admission). Returns
    the placed episodes and the warnings (PROBLEM_SCHEMA plus ``file``) for
    municipalities that could not be placed; those episodes still load, without place.
    """
    event = pl.coalesce("release_date", "admission_date").alias("_event_date")
    placed = resolve(episodes.with_columns(event), "municipality_raw", "_event_date", reference)
    warnings = placed.filter(pl.col("municipality_warning").is_not_null()).select(
        pl.col("municipality_file").alias("file"),
        pl.col("municipality_row").alias("source_row"),
        pl.lit(None, pl.Utf8).alias("sheet"),
        pl.lit("Gemeente").alias("column"),
        pl.lit("municipality_unknown").alias("rule"),
        (pl.col("municipality_warning") + pl.lit("; de rij is geladen zonder gemeente")).alias(
            "problem"
        ),
    )
    # An unresolvable place is set aside, not guessed: no code, no region.
    placed = placed.with_columns(
        [
            pl.when(pl.col("municipality_warning").is_null()).then(pl.col(c)).alias(c)
            for c in ("municipality_code", "municipality_name", "region")
        ]
    )
    placed = placed.with_columns(municipality_recorded=pl.col("municipality_raw").is_not_null())
    return placed.drop("_event_date", "municipality_warning"), warnings


EPISODE_SCHEMA = {
    "person_key": pl.Utf8,
    "admission_date": pl.Date,
    "source_system": pl.Utf8,
    "birth_year": pl.Int32,
    "sex": pl.Utf8,
    "institution": pl.Utf8,
    "detention_title": pl.Utf8,
    "is_release": pl.Boolean,
    "release_date": pl.Date,
    "end_reason": pl.Utf8,
    "municipality_raw": pl.Utf8,
    "municipality_file": pl.Utf8,
    "municipality_row": pl.Int64,
    "last_event_date": pl.Date,
    "notifications": pl.UInt32,
    "source_file": pl.Utf8,
    **{c: pl.Boolean for c in (*NEED_FIELDS, "consent", "dpan_screened")},
}


def build_episodes(justid_rows: pl.DataFrame, dpan_rows: pl.DataFrame) -> pl.DataFrame:
    """All episodes of both systems; either input may be empty (no files)."""
    empty = pl.DataFrame(schema=EPISODE_SCHEMA)
    parts = [
        justid_episodes(justid_rows) if justid_rows.height else empty,
        dpan_episodes(dpan_rows) if dpan_rows.height else empty,
    ]
    return merge_episodes(*[pl.concat([empty, p], how="diagonal_relaxed") for p in parts])


# --------------------------------------------------------------------------- updates


def persons_to_update(
    previous_ledger: pl.DataFrame, justid: SourceResult, dpan: SourceResult
) -> pl.Series | None:
    """The persons whose episodes can differ from the previous build, when exports were
    only *added* since; None when the previous build cannot simply be updated (a file
    changed, went away or changed status: a full rebuild is needed).

    A person's episodes depend on that person's own notifications and rows alone, except
    through one rule: a ``Meldingnummer`` (JustID) or ``DPAN-nr`` seen twice is one row,
    the first (resp. the one that knows the departure) winning. So the persons of the
    new files' rows are taken, and then everyone who shares such a number with them,
    until nobody is added: outside that set, nothing the episodes are made of changed.
    ``previous_ledger`` holds ``file, sha256, status`` of the previous build's ledger for
    JustID and DPAN.
    """
    current = pl.concat([justid.ledger, dpan.ledger]).select("file", "sha256", "status")
    previous = previous_ledger.select("file", "sha256", "status").cast(current.schema)
    if previous.join(current, on=["file", "sha256", "status"], how="anti", nulls_equal=True).height:
        return None
    added = current.join(previous, on="file", how="anti").get_column("file")
    sources = [
        (result.rows, number)
        for result, number in ((justid, "notification_id"), (dpan, "dpan_id"))
        if result.rows.height
    ]
    persons = (
        pl.concat(
            [
                rows.filter(pl.col("source_file").is_in(added.implode())).select("person_key")
                for rows, _ in sources
            ]
            or [pl.DataFrame(schema={"person_key": pl.Utf8})]
        )
        .get_column("person_key")
        .unique()
    )
    while True:
        grown = [persons]
        for rows, number in sources:
            numbers = rows.filter(pl.col("person_key").is_in(persons.implode())).get_column(number)
            sharing = rows.filter(pl.col(number).is_in(numbers.unique().implode()))
            grown.append(sharing.get_column("person_key"))
        closure = pl.concat(grown).unique()
        if closure.len() == persons.len():
            return persons.sort()
        persons = closure
