"""The BSN: 11-proef and keyed pseudonymisation.

The BSN never leaves this module in any other form than a ``person_key``: a keyed
HMAC-SHA256, hex-encoded. Validation is vectorised in Polars; the HMAC runs once per
*distinct* BSN (a million notifications hold far fewer persons) and is joined back.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def normalise_bsn(expr: pl.Expr) -> pl.Expr:
    """Trim, drop a trailing ``.0`` (a number cell read as text) and left-pad 8 digits.

    Excel drops the leading zero of a BSN stored as a number: 8 digits means a lost
    leading zero. Anything that is not 8 or 9 digits is returned unchanged so that the
    11-proef rejects it.
    """
    s = expr.cast(pl.Utf8).str.strip_chars().str.replace(r"\.0+$", "")
    return pl.when(s.str.contains(r"^\d{8}$")).then(pl.lit("0") + s).otherwise(s)


def passes_elfproef(expr: pl.Expr) -> pl.Expr:
    """True when a normalised value is 9 digits, not all zero, and passes the 11-proef."""
    digits = [expr.str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(9)]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))
    return (
        expr.str.contains(r"^\d{9}$").fill_null(False)
        & (expr != "000000000")
        & ((total % 11) == 0).fill_null(False)
    )


def is_valid_bsn(value: str) -> bool:
    """Scalar 11-proef, for generators and tests."""
    frame = pl.DataFrame({"bsn": [value]}, schema={"bsn": pl.Utf8})
    return bool(frame.select(passes_elfproef(normalise_bsn(pl.col("bsn")))).item())


def pseudonymise(bsns: pl.Series, key: str) -> pl.Series:
    """HMAC-SHA256(key, bsn) as hex, computed once per distinct BSN."""
    distinct = bsns.unique().drop_nulls()
    base = hmac.new(key.encode(), digestmod=hashlib.sha256)
    keys = []
    for value in distinct.to_list():
        h = base.copy()
        h.update(value.encode())
        keys.append(h.hexdigest())
    mapping = pl.DataFrame(
        {"bsn": distinct, "person_key": keys}, schema={"bsn": pl.Utf8, "person_key": pl.Utf8}
    )
    return bsns.to_frame("bsn").join(mapping, on="bsn", how="left", maintain_order="left")[
        "person_key"
    ]
