"""Municipalities: CBS codes, names, regions and mergers, resolved at the event date.

A code may be written ``GM0402``, ``0402`` or ``402``; a name is matched ignoring case,
spacing, punctuation and a ``Gemeente`` prefix, against the name and the known variants
in ``reference/municipalities.csv``. A municipality that still existed on the event
date is kept as itself (a 2013 release in Bussum stays Bussum); one that had been merged
away maps to its successor. Names that match nothing, or that are ambiguous, leave the
municipality unknown and produce a warning.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from nazorg.redaction import redact

REFERENCE_CSV = Path(__file__).parent / "reference" / "municipalities.csv"

# Names that denote more than one municipality in the Netherlands; a bare one cannot
# be placed (``Bergen`` is both Bergen (L.) and Bergen (NH.)).
AMBIGUOUS_NAMES = frozenset({"bergen"})

OVERIG = "OVERIG"


def normalise_name(name: str) -> str:
    text = name.strip().lower()
    text = re.sub(r"^gemeente\s+", "", text)
    return re.sub(r"[^0-9a-zà-ÿ]", "", text)


def normalise_code(value: str) -> str | None:
    """``GM0402`` / ``0402`` / ``402`` → ``GM0402``; None when it is not a code."""
    match = re.fullmatch(r"\s*(?:GM)?\s*(\d{1,4})(?:\.0+)?\s*", value, flags=re.IGNORECASE)
    return f"GM{int(match.group(1)):04d}" if match else None


@lru_cache(maxsize=4)
def load_reference(path: Path = REFERENCE_CSV) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    return frame.select(
        pl.col("code"),
        pl.col("name"),
        pl.col("region").replace("", None),
        pl.col("valid_from").replace("", None).str.to_date("%Y-%m-%d"),
        pl.col("valid_to").replace("", None).str.to_date("%Y-%m-%d"),
        pl.col("successor_code").replace("", None),
        pl.col("variants").replace("", None),
        pl.col("source_note"),
    )


def _name_index(reference: pl.DataFrame) -> dict[str, str | None]:
    """Normalised name or variant → code; None marks an ambiguous name."""
    index: dict[str, str | None] = {}
    for code, name, variants in reference.select("code", "name", "variants").iter_rows():
        for spelling in [name, *(variants.split("|") if variants else [])]:
            key = normalise_name(spelling)
            index[key] = code if index.get(key, code) == code else None
    for key in AMBIGUOUS_NAMES:
        index[key] = None
    return index


def _base_codes(values: list[str], reference: pl.DataFrame) -> pl.DataFrame:
    """Resolve each distinct raw text to a code, or a reason why it cannot be placed."""
    index = _name_index(reference)
    rows = []
    for raw in values:
        code = normalise_code(raw)
        reason = None
        if code is None:
            key = normalise_name(raw)
            if key in index and index[key] is None:
                reason = f"gemeentenaam '{redact(raw.strip())}' is niet eenduidig"
            elif key in index:
                code = index[key]
            else:
                reason = (
                    f"gemeentenaam '{redact(raw.strip())}' komt niet voor in de referentielijst"
                )
        rows.append((raw, code, reason))
    return pl.DataFrame(
        rows, schema={"raw": pl.Utf8, "base_code": pl.Utf8, "reason": pl.Utf8}, orient="row"
    )


def resolve(
    frame: pl.DataFrame, raw_col: str, date_col: str, reference: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Add ``municipality_code``, ``municipality_name``, ``region`` and ``municipality_warning``.

    ``raw_col`` holds a code or a name (text, NULL when empty); ``date_col`` the event date.
    Vectorised: Python sees each distinct raw text once; mergers are resolved by joins.
    """
    reference = load_reference() if reference is None else reference
    distinct = frame.get_column(raw_col).drop_nulls().unique().to_list()
    base = _base_codes(distinct, reference)
    ref = reference.select(pl.col("code"), "name", "region", "valid_to", "successor_code")
    out = frame.join(base, left_on=raw_col, right_on="raw", how="left", maintain_order="left")
    out = out.with_columns(pl.col("base_code").alias("_code"))
    # Follow successors while the event lies after the end of the municipality. Two
    # hops are enough for the reference list (no municipality merged twice); a third
    # pass would change nothing.
    for _ in range(3):
        out = (
            out.join(
                ref.select("code", "valid_to", "successor_code"),
                left_on="_code",
                right_on="code",
                how="left",
                maintain_order="left",
            )
            .with_columns(
                _ended=(pl.col(date_col) > pl.col("valid_to")).fill_null(False),
            )
            .with_columns(
                reason=pl.when(pl.col("_ended") & pl.col("successor_code").is_null())
                .then(
                    pl.format(
                        "gemeente {} was in {} al opgeheven zonder eenduidige opvolger",
                        pl.col("_code"),
                        pl.col(date_col).dt.year(),
                    )
                )
                .otherwise(pl.col("reason")),
                _code=pl.when(pl.col("_ended")).then(pl.col("successor_code")).otherwise("_code"),
            )
            .drop("valid_to", "successor_code", "_ended")
        )
    out = out.join(
        ref.select("code", pl.col("name").alias("_name"), pl.col("region").alias("_region")),
        left_on="_code",
        right_on="code",
        how="left",
        maintain_order="left",
    )
    # A well-formed code outside the reference list is a municipality elsewhere in the
    # country: it is kept (it is in no region's figures) and is not a warning.
    return out.with_columns(
        municipality_code=pl.col("_code"),
        municipality_name=pl.col("_name"),
        region=pl.col("_region"),
        municipality_warning=pl.col("reason"),
    ).drop("base_code", "reason", "_code", "_name", "_region")
