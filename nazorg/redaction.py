"""One redaction for every text that comes out of an input file.

A cell value quoted in a message ("'Vrijlating' is geen van …"), a header name listed
as an unknown extra column, a sheet name, a municipality as it was typed: each of these
comes out of a file that somebody else wrote, and may hold a BSN, a birth date or a
name where it should not (a BSN typed into the municipality column, a data row glued to
the header line). Every such text passes :func:`redact` (or :func:`redact_expr`, the
same rules on a Polars column) before it reaches a log line, a ledger or quality
column, a message or the parse cache:

* a date (``14-06-1967``, ``14/6/67``, ``1967-06-14``) becomes ``[datum weggelaten]``;
* a run of seven or more digits, also written in groups (``123456782``, ``1234.56.782``,
  ``123 456 782``, a BSN that lost two leading zeros: ``1000500``), becomes
  ``[getal weggelaten]``; digits glued to letters (``JV0000001``, ``export_20190102``)
  are an identifier or a file name, not a number on their own, and stay;
* what is left is cut to :data:`MAX_CHARS` characters (a remark in a wrong column is
  never quoted whole).

Names cannot be recognised by their form: they are kept out by never quoting the
columns that hold them (they are not even read) and by listing the header of a file
only when it looks like a header (:func:`redact_header_names`).
"""

from __future__ import annotations

import re

import polars as pl

NUMBER_MARK = "[getal weggelaten]"
DATE_MARK = "[datum weggelaten]"
MAX_CHARS = 60

# The same patterns for Python's re and Polars (Rust regex): no look-around.
DATE = r"\b(?:\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\b"
DIGITS = r"\b\d(?:[ .]?\d){6,}\b"

_DATE = re.compile(DATE)
_DIGITS = re.compile(DIGITS)


def redact(text: object) -> str | None:
    """The text with dates and long numbers blanked out, at most MAX_CHARS long."""
    if text is None:
        return None
    value = _DIGITS.sub(NUMBER_MARK, _DATE.sub(DATE_MARK, str(text)))
    return value if len(value) <= MAX_CHARS else value[: MAX_CHARS - 1] + "…"


def redact_expr(expr: pl.Expr, max_chars: int | None = MAX_CHARS) -> pl.Expr:
    """:func:`redact` on every value of a text column (without the cut for
    ``max_chars=None``: a whole message of the pipeline's own, see
    :func:`nazorg.warehouse.redact_numbers`)."""
    value = expr.cast(pl.Utf8).str.replace_all(DATE, DATE_MARK).str.replace_all(DIGITS, NUMBER_MARK)
    if max_chars is None:
        return value
    return (
        pl.when(value.str.len_chars() <= max_chars)
        .then(value)
        .otherwise(value.str.slice(0, max_chars - 1) + pl.lit("…"))
    )


def is_clean(text: object) -> bool:
    """True when :func:`redact` leaves the text as it is."""
    return text is None or redact(text) == str(text)


MAX_HEADER_NAMES = 20


def redact_header_names(names: list[str]) -> list[str]:
    """Unknown header names as they may be listed (ledger, log, cache).

    A header that holds a date or a long number is no header: most likely a data row
    that got glued to it (a line ending the reader did not see, a shifted paste). Then
    no name of it is listed, only how many there were: the other "names" are that row's
    surname and initials. Otherwise each name is redacted, and at most
    MAX_HEADER_NAMES are listed.
    """
    if not names:
        return []
    if not all(is_clean(n) for n in names):
        return [
            f"[{len(names)} kolomnamen weggelaten: de kopregel lijkt gegevens te bevatten; "
            "controleer de eerste regels van het bestand]"
        ]
    listed = [redact(n) or "" for n in names[:MAX_HEADER_NAMES]]
    if len(names) > MAX_HEADER_NAMES:
        listed.append(f"[en nog {len(names) - MAX_HEADER_NAMES}]")
    return listed
