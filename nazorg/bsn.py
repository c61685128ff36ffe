"""The BSN: 11-proef and keyed pseudonymisation.

The BSN never leaves this module in any other form than a ``person_key``: a keyed
HMAC-SHA256, hex-encoded. Validation is vectorised in Polars; the HMAC runs once per
*distinct* BSN (a million notifications hold far fewer persons) and is joined back.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

import duckdb
import polars as pl
import pyarrow as pa

from nazorg.timing import stage

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
HASH_BATCH = 20_000


def normalise_bsn(expr: pl.Expr) -> pl.Expr:
    """Trim, drop a trailing ``.0`` (a number cell read as text) and left-pad to 9 digits.

    Excel drops the leading zeros of a BSN stored as a number: fewer than 9 digits means
    lost leading zeros (sources.md). Anything that is not 1 to 9 digits is returned
    unchanged so that the 11-proef rejects it.
    """
    return expr.cast(pl.Utf8).map_batches(_normalise, return_dtype=pl.Utf8)


def passes_elfproef(expr: pl.Expr) -> pl.Expr:
    """True when a normalised value is 9 digits, not all zero, and passes the 11-proef."""
    return expr.map_batches(_elfproef, return_dtype=pl.Boolean)


# The two rules work on a materialised Series: as one big expression Polars would
# evaluate the normalisation again for every digit.


def _normalise(values: pl.Series) -> pl.Series:
    s = values.str.strip_chars().str.replace(r"\.0+$", "")
    # A number cell drops every leading zero (001000500 becomes 1000500), not just one.
    # Padding cannot let a wrong number through: a leading zero adds nothing to the
    # 11-proef, and 000000000 is refused by it.
    return pl.select(
        pl.when(s.str.contains(r"^\d{1,8}$")).then(s.str.zfill(9)).otherwise(s)
    ).to_series()


def _elfproef(values: pl.Series) -> pl.Series:
    """Integer arithmetic on the number: digit i is n // 10^(8-i) % 10."""
    nine_digits = values.str.contains(r"^\d{9}$").fill_null(False)
    number = pl.select(
        pl.when(nine_digits).then(values).otherwise(None).cast(pl.Int64, strict=False)
    ).to_series()
    total = sum(((number // 10 ** (8 - i)) % 10) * w for i, w in enumerate(WEIGHTS))
    return (
        nine_digits & (number != 0).fill_null(False) & ((total % 11) == 0).fill_null(False)
    ).alias(values.name)


def is_valid_bsn(value: str) -> bool:
    """Scalar 11-proef, for generators and tests."""
    frame = pl.DataFrame({"bsn": [value]}, schema={"bsn": pl.Utf8})
    return bool(frame.select(passes_elfproef(normalise_bsn(pl.col("bsn")))).item())


def _pads(key: str) -> tuple[bytes, bytes]:
    """The HMAC inner and outer keys (RFC 2104) for SHA-256's 64-byte block."""
    raw = key.encode()
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in raw), bytes(b ^ 0x5C for b in raw)


@stage("pseudonymise")
def pseudonymise(bsns: pl.Series, key: str) -> pl.Series:
    """HMAC-SHA256(key, bsn) as hex, computed once per distinct BSN.

    DuckDB has no ``hmac()``, but HMAC is two SHA-256 passes over the padded key and
    the message, which DuckDB computes vectorised (the result equals :func:`hmac.new`,
    tested). Only the distinct BSNs are hashed; the pseudonyms are mapped back.
    """
    distinct = bsns.drop_nulls().unique()
    if distinct.len() == 0:
        return pl.Series(bsns.name, [None] * bsns.len(), dtype=pl.Utf8)
    keys = _hmac_hex(distinct, key)
    if distinct.len() == bsns.len() and bsns.null_count() == 0 and distinct.equals(bsns):
        return keys.alias(bsns.name)
    return bsns.replace_strict(distinct, keys, default=None, return_dtype=pl.Utf8)


def _hmac_hex(distinct: pl.Series, key: str) -> pl.Series:
    """The pseudonyms of distinct BSNs, in their order (a projection keeps row order)."""
    inner, outer = _pads(key)
    # In batches: DuckDB hashes the batches of an Arrow table on all cores, one frame
    # of a single chunk on one.
    distinct_bsns = pa.Table.from_batches(  # noqa: F841 - DuckDB scans it
        distinct.cast(pl.Utf8).to_frame("bsn").to_arrow().to_batches(max_chunksize=HASH_BATCH)
    )
    return (
        _hasher()
        .cursor()
        .sql(
            "SELECT sha256($outer::BLOB || unhex(sha256($inner::BLOB || bsn::BLOB))) AS person_key "
            "FROM distinct_bsns",
            params={"inner": inner, "outer": outer},
        )
        .pl()
        .get_column("person_key")
    )


_hashers = threading.local()


def _hasher() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for hashing, one per thread (opening one costs more than
    hashing a file; a connection is not to be shared between threads)."""
    if not hasattr(_hashers, "connection"):
        _hashers.connection = duckdb.connect()
    return _hashers.connection


def pseudonymise_one(bsn: str, key: str) -> str:
    """The same pseudonym for one BSN, with the standard library (reference, tests)."""
    return hmac.new(key.encode(), bsn.encode(), hashlib.sha256).hexdigest()
