"""Which tables a run must rebuild: fingerprints of what each table is made from.

Every run produces a complete warehouse that reflects the files in ``raw/``; it may
reuse the work of earlier runs as long as the result is identical to a full rebuild
(warehouse.md). A table is a deterministic function of its inputs, so a run rebuilds a
table only when one of them changed:

* the code (every module, SQL file and reference list of the pipeline, and the versions
  of the libraries that compute: :func:`code_fingerprint`);
* the pseudonym key (a keyed fingerprint of it, never the key);
* what the table is made of: the exports of its sources (path and SHA-256 of every
  file) for a staging table, the exact SQL or the run configuration where it has one;
* the **content** of the tables it reads (:func:`content_fingerprint`), so that a KPI
  whose inputs were rebuilt but came out the same is not rebuilt either.

The fingerprints live in the warehouse itself, in ``quality.table_builds``, next to
the tables they describe: a run starts from a copy of the published warehouse, so a
table and its fingerprint always come from the same build. A warehouse without them
(the first run, or one deleted by hand) simply rebuilds everything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import duckdb
import fastexcel
import pandera
import polars as pl

from nazorg.ingest import (
    READ_THREADS,
    below_link,
    discover,
    link_problem,
    load_known_hashes,
    save_known_hashes,
    sha256_of,
)
from nazorg.timing import stage
from nazorg.warehouse import table_columns, table_exists

REPO = Path(__file__).resolve().parent.parent
# Everything that decides what a table holds. (The demo generator and the benchmark
# decide nothing about a warehouse; leaving them out keeps their edits cheap.)
CODE_FOLDERS = ("nazorg", "assets", "schemas", "pipelines", "warehouse/sql")
CODE_SUFFIXES = (".py", ".sql", ".csv")
NOT_CODE = ("nazorg/demo/",)

BUILDS_TABLE = "quality.table_builds"
BUILDS_COLUMNS = {
    "table_name": "VARCHAR PRIMARY KEY",
    "inputs": "VARCHAR NOT NULL",
    "content": "VARCHAR NOT NULL",
    "fixed_inputs": "VARCHAR",
    "run_id": "VARCHAR NOT NULL",
    "built_at": "TIMESTAMP NOT NULL",  # UTC
    "rows": "BIGINT",
    # The content and code a passed Pandera check vouches for (see checked_fingerprint).
    "checked": "VARCHAR",
    # What the inputs fingerprint was made of (JSON, see inputs_parts): the next run
    # says why it rebuilds the table (rebuild_reason).
    "parts": "VARCHAR",
}


@cache
def code_fingerprint() -> str:
    """SHA-256 over the pipeline's code and the versions of the libraries it computes with."""
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((REPO / folder).rglob("*")):
            relative = path.relative_to(REPO).as_posix()
            if path.suffix in CODE_SUFFIXES and not relative.startswith(NOT_CODE):
                digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    versions = f"polars {pl.__version__} duckdb {duckdb.__version__} "
    versions += f"pandera {pandera.__version__} fastexcel {fastexcel.__version__}"
    digest.update(versions.encode())
    return digest.hexdigest()


def key_fingerprint(key: str) -> str:
    """Changes with the pseudonym key without revealing it."""
    return hashlib.sha256(f"nazorg-build|{key}".encode()).hexdigest()


def files_fingerprint(
    raw_dir: Path, folders: Iterable[str], *, known_hashes: Path | None = None
) -> str:
    """Path and SHA-256 of every file a source would read (what the run reflects).

    With ``known_hashes`` (a file of :func:`nazorg.ingest.save_known_hashes`), a file
    unchanged since the last run is not read again for its hash; the file is updated.
    """
    if known_hashes is not None:
        with stage("fingerprints"):
            load_known_hashes(known_hashes)
    digest = hashlib.sha256()
    for folder in folders:
        files, ignored = discover(raw_dir / folder)
        # hashlib releases the GIL: a few threads hash a few files at once.
        with stage("fingerprints"), ThreadPoolExecutor(READ_THREADS) as pool:
            signatures = list(pool.map(lambda p: _signature(p, raw_dir), files))
        for path, signature in [
            *zip(files, signatures, strict=True),
            *((p, "ignored") for p in ignored),
        ]:
            digest.update(f"{path.relative_to(raw_dir).as_posix()}\0{signature}\n".encode())
    if known_hashes is not None:
        with stage("fingerprints"):
            save_known_hashes(known_hashes)
    return digest.hexdigest()


def _signature(path: Path, raw_dir: Path) -> str:
    # A link that the run refuses (see link_problem) is never read, not even for a hash.
    if (path.is_symlink() or below_link(path, raw_dir)) and link_problem(path, raw_dir):
        return f"refused link to {os.readlink(path) if path.is_symlink() else 'a linked folder'}"
    try:
        return sha256_of(path)
    except OSError as exc:  # unreadable now: a failed file, and a change later
        return f"unreadable {type(exc).__name__}"


def inputs_parts(
    con: duckdb.DuckDBPyConnection, *, key: str, upstream: Iterable[str] = (), extra: str = ""
) -> dict:
    """What :func:`inputs_fingerprint` is made of, each part fingerprinted on its own."""
    with stage("fingerprints"):
        contents = stored_contents(con)
    return {
        "code": code_fingerprint(),
        "key": key_fingerprint(key),
        "extra": hashlib.sha256(extra.encode()).hexdigest(),
        "upstream": {table: contents.get(table) for table in sorted(upstream)},
    }


def rebuild_reason(con: duckdb.DuckDBPyConnection, table: str, parts: dict | None) -> str:
    """Why ``table`` is built again, in words: what differs from its recorded build."""
    if not (table_exists(con, BUILDS_TABLE) and table_exists(con, table)):
        return "nog niet gebouwd"
    try:
        found = con.execute(
            f"SELECT parts FROM {BUILDS_TABLE} WHERE table_name = ?", [table]
        ).fetchall()
    except duckdb.Error:  # an older shape of the table
        found = []
    if not found:
        return "nog niet gebouwd"
    if not found[0][0] or parts is None:
        return "vorige build van een oudere versie van de pipeline"
    previous = json.loads(found[0][0])
    reasons = []
    if previous.get("code") != parts["code"]:
        reasons.append("code gewijzigd")
    if previous.get("key") != parts["key"]:
        reasons.append("pseudonimiseringssleutel gewijzigd")
    if previous.get("extra") != parts["extra"]:
        what = "exports" if table.startswith("staging.") else "query of instellingen"
        reasons.append(f"{what} gewijzigd")
    before, now = previous.get("upstream", {}), parts["upstream"]
    changed = sorted(t for t in set(before) | set(now) if before.get(t) != now.get(t))
    if changed:
        reasons.append(f"invoer gewijzigd: {', '.join(changed)}")
    return "; ".join(reasons) or "invoer gewijzigd"


def inputs_fingerprint(
    con: duckdb.DuckDBPyConnection, *, key: str, upstream: Iterable[str] = (), extra: str = ""
) -> str:
    """The fingerprint of one build: code, key, what it is made of, the upstream content.

    An upstream table that has no recorded content (it was never built) makes the
    fingerprint unique, so the table is rebuilt.
    """
    with stage("fingerprints"):
        contents = stored_contents(con)
    parts = [code_fingerprint(), key_fingerprint(key), extra]
    for table in sorted(upstream):
        parts.append(f"{table}={contents.get(table, 'unbuilt-' + dt.datetime.now().isoformat())}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def stored_contents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not table_exists(con, BUILDS_TABLE):
        return {}
    return dict(con.execute(f"SELECT table_name, content FROM {BUILDS_TABLE}").fetchall())


def _ensure_builds_table(con: duckdb.DuckDBPyConnection) -> None:
    """The table of fingerprints, in its current shape. A table of another shape (an
    older version) is dropped: it only means that every table is built again once."""
    if table_exists(con, BUILDS_TABLE):
        if table_columns(con, BUILDS_TABLE) == list(BUILDS_COLUMNS):
            return
        con.execute(f"DROP TABLE {BUILDS_TABLE}")
    columns = ", ".join(f"{name} {kind}" for name, kind in BUILDS_COLUMNS.items())
    con.execute(f"CREATE TABLE {BUILDS_TABLE} ({columns})")


def previous_fixed_inputs(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """What the previous build of ``table`` recorded as the inputs an update may not
    change (see :func:`record_build`), if the table is still there."""
    if not (table_exists(con, BUILDS_TABLE) and table_exists(con, table)):
        return None
    try:
        found = con.execute(
            f"SELECT fixed_inputs FROM {BUILDS_TABLE} WHERE table_name = ?", [table]
        ).fetchall()
    except duckdb.Error:  # an older shape of the table: no update, a rebuild
        return None
    return found[0][0] if found else None


def previous_build(con: duckdb.DuckDBPyConnection, table: str, inputs: str) -> str | None:
    """The run that built ``table`` from exactly these inputs, if the table is still there."""
    if not (table_exists(con, BUILDS_TABLE) and table_exists(con, table)):
        return None
    found = con.execute(
        f"SELECT run_id FROM {BUILDS_TABLE} WHERE table_name = ? AND inputs = ?", [table, inputs]
    ).fetchall()
    return found[0][0] if found else None


def content_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A fingerprint of what a (small) table holds, independent of row order."""
    (value,) = con.execute(
        f"SELECT md5(coalesce(string_agg(row_text, chr(10) ORDER BY row_text), '')) "
        f"FROM (SELECT CAST(t AS VARCHAR) AS row_text FROM {table} t)"
    ).fetchone()
    return value


def checked_fingerprint(content: str) -> str:
    """What a passed Pandera check of a table vouches for: this content under this code
    (the models, the SQL and the library versions are in the code fingerprint)."""
    return hashlib.sha256(f"{code_fingerprint()}\n{content}".encode()).hexdigest()


def previous_check(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, str] | None:
    """(:func:`checked_fingerprint`, run id) of the last build of ``table``, if its
    Pandera check passed."""
    if not table_exists(con, BUILDS_TABLE):
        return None
    try:
        found = con.execute(
            f"SELECT checked, run_id FROM {BUILDS_TABLE} "
            "WHERE table_name = ? AND checked IS NOT NULL",
            [table],
        ).fetchall()
    except duckdb.Error:  # an older shape of the table: check again
        return None
    return found[0] if found else None


def record_build(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    inputs: str,
    run_id: str,
    content: str | None = None,
    fixed_inputs: str | None = None,
    checked: bool = False,
    parts: dict | None = None,
) -> str:
    """Remember how ``table`` was just built; return its content fingerprint.

    Without ``content``, the table's content is fingerprinted (fine for KPI tables of a
    few thousand rows); a staging table passes its inputs fingerprint instead, which
    determines its content just as well and costs nothing to compute. ``fixed_inputs``
    is the part of the inputs that a later run may *update* the table under (rather
    than rebuild it), e.g. code, key and reference data while exports are only added.
    ``checked``: the table's Pandera check passed. ``parts``: :func:`inputs_parts` of
    ``inputs``, kept to say why a later run rebuilds the table.
    """
    with stage("fingerprints"):
        content = content or content_fingerprint(con, table)
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        _ensure_builds_table(con)
        vouched = checked_fingerprint(content) if checked else None
        described = json.dumps(parts, sort_keys=True) if parts is not None else None
        _insert_build(con, table, inputs, content, fixed_inputs, run_id, rows, vouched, described)
    return content


def _insert_build(con, table, inputs, content, fixed_inputs, run_id, rows, checked, parts) -> None:
    con.execute(
        f"INSERT OR REPLACE INTO {BUILDS_TABLE} ({', '.join(BUILDS_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(BUILDS_COLUMNS))})",
        [table, inputs, content, fixed_inputs, run_id, _utc_now(), rows, checked, parts],
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def config_text(config: object) -> str:
    """Run configuration as stable text for a fingerprint."""
    dump = config.model_dump() if hasattr(config, "model_dump") else config
    return json.dumps(dump, sort_keys=True, default=str)
