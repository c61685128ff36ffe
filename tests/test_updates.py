"""Updating instead of rebuilding: when exports were only added, which persons change.

The end-to-end proof (an update equals a build from scratch, table by table) is in
test_operations.py; these tests pin the rule that decides who is rebuilt.
"""

import hashlib
import os
from types import SimpleNamespace

import polars as pl

from nazorg import builds
from nazorg.ingest import LEDGER_SCHEMA, QUALITY_SCHEMA, SourceResult
from nazorg.ingest import files as ingest  # the hashing of exports lives here
from nazorg.sources.detentions import persons_to_update


def _result(rows: list[dict], ledger: list[tuple[str, str, str]]) -> SourceResult:
    return SourceResult(
        rows=pl.DataFrame(rows) if rows else pl.DataFrame(),
        ledger=pl.DataFrame(
            [
                {c: None for c in LEDGER_SCHEMA} | {"file": f, "sha256": sha, "status": status}
                for f, sha, status in ledger
            ],
            schema=LEDGER_SCHEMA,
        ),
        rejected=pl.DataFrame(schema=QUALITY_SCHEMA),
        warnings=pl.DataFrame(schema=QUALITY_SCHEMA),
        log_lines=[],
    )


def _note(number: str, person: str, file: str) -> dict:
    return {"notification_id": number, "person_key": person, "source_file": file}


OLD = [("justid/a.csv", "sha-a", "loaded"), ("justid/b.csv", "sha-b", "loaded")]
PREVIOUS = pl.DataFrame(OLD, schema=["file", "sha256", "status"], orient="row")
NO_DPAN = _result([], [])


def test_the_persons_of_an_added_export_are_rebuilt():
    justid = _result(
        [
            _note("1", "p1", "justid/a.csv"),
            _note("2", "p2", "justid/b.csv"),
            _note("3", "p3", "justid/c.csv"),
            _note("4", "p1", "justid/c.csv"),
        ],
        [*OLD, ("justid/c.csv", "sha-c", "loaded")],
    )
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == ["p1", "p3"]


def test_someone_sharing_a_meldingnummer_with_the_new_rows_is_rebuilt_too():
    # Notification 2 of p2 (old file) reappears in the new export under p3: which copy
    # counts decides both persons' episodes, and via p2's other number, p4's as well.
    justid = _result(
        [
            _note("1", "p1", "justid/a.csv"),
            _note("2", "p2", "justid/b.csv"),
            _note("5", "p2", "justid/b.csv"),
            _note("5", "p4", "justid/a.csv"),
            _note("2", "p3", "justid/c.csv"),
        ],
        [*OLD, ("justid/c.csv", "sha-c", "loaded")],
    )
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == ["p2", "p3", "p4"]


def test_nothing_added_means_nobody_to_rebuild():
    justid = _result([_note("1", "p1", "justid/a.csv")], OLD)
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == []


def test_a_changed_removed_or_relabelled_export_needs_a_full_rebuild():
    rows = [_note("1", "p1", "justid/a.csv")]
    changed = _result(rows, [("justid/a.csv", "sha-a2", "loaded"), OLD[1]])
    removed = _result(rows, [OLD[0]])
    duplicate_now = _result(rows, [OLD[0], ("justid/b.csv", "sha-b", "duplicate")])
    for justid in (changed, removed, duplicate_now):
        assert persons_to_update(PREVIOUS, justid, NO_DPAN) is None


def test_dpan_rows_count_with_their_own_number():
    previous = pl.DataFrame(
        [("dpan/2012.xlsx", "sha-d", "loaded")], schema=["file", "sha256", "status"], orient="row"
    )
    dpan = _result(
        [
            {"dpan_id": "D1", "person_key": "p1", "source_file": "dpan/2012.xlsx"},
            {"dpan_id": "D1", "person_key": "p1", "source_file": "dpan/2013.xlsx"},
            {"dpan_id": "D2", "person_key": "p2", "source_file": "dpan/2012.xlsx"},
        ],
        [("dpan/2012.xlsx", "sha-d", "loaded"), ("dpan/2013.xlsx", "sha-e", "loaded")],
    )
    assert persons_to_update(previous, _result([], []), dpan).to_list() == ["p1"]


# --------------------------------------------------------------------------- known hashes


def _forget_hashes(monkeypatch):
    monkeypatch.setattr(ingest, "_SHA_MEMO", {})
    monkeypatch.setattr(ingest, "_SETTLED", set())


def test_an_unchanged_export_is_not_read_again_in_the_next_run(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "justid").mkdir(parents=True)
    for name in ("a.csv", "b.csv"):
        (raw / "justid" / name).write_text(f"{name}\n")
    monkeypatch.setattr(ingest, "SETTLED_NS", 0)  # as if the exports landed last night
    known = tmp_path / "cache" / "file_hashes.json"
    _forget_hashes(monkeypatch)
    first = builds.files_fingerprint(raw, ["justid"], known_hashes=known)
    assert known.exists() and "a.csv" in known.read_text()

    # the next run (a new process): nothing of the exports is read for their hashes
    _forget_hashes(monkeypatch)
    reads = []
    real = hashlib.sha256
    counting = SimpleNamespace(sha256=lambda *a: reads.append(1) or real(*a))
    monkeypatch.setattr(ingest, "hashlib", counting)  # the hashing of exports only
    assert builds.files_fingerprint(raw, ["justid"], known_hashes=known) == first
    assert reads == []
    assert ingest.sha256_of(raw / "justid" / "a.csv") == real(b"a.csv\n").hexdigest()
    assert reads == []

    # a new export is read; one rewritten with the same size and modification time too
    # (its status-change time moved)
    (raw / "justid" / "c.csv").write_text("c.csv\n")
    stat = (raw / "justid" / "b.csv").stat()
    (raw / "justid" / "b.csv").write_text("B.csv\n")
    os.utime(raw / "justid" / "b.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _forget_hashes(monkeypatch)
    changed = builds.files_fingerprint(raw, ["justid"], known_hashes=known)
    assert changed != first
    assert len(reads) == 2  # b.csv and c.csv, not a.csv
    assert builds.files_fingerprint(raw, ["justid"]) == changed  # as without known hashes


def test_a_file_changed_just_before_it_was_hashed_is_not_remembered(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "justid").mkdir(parents=True)
    (raw / "justid" / "fresh.csv").write_text("x\n")  # written now: it may still change
    known = tmp_path / "file_hashes.json"
    _forget_hashes(monkeypatch)
    fingerprint = builds.files_fingerprint(raw, ["justid"], known_hashes=known)
    assert "fresh.csv" not in known.read_text()
    # once it has been quiet for a while, it is remembered
    monkeypatch.setattr(ingest, "SETTLED_NS", 0)
    _forget_hashes(monkeypatch)
    assert builds.files_fingerprint(raw, ["justid"], known_hashes=known) == fingerprint
    assert "fresh.csv" in known.read_text()
    # a damaged file of known hashes only means reading everything once more
    known.write_text("{not json")
    _forget_hashes(monkeypatch)
    assert builds.files_fingerprint(raw, ["justid"], known_hashes=known) == fingerprint
