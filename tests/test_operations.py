"""Operations (issue 7): schedule, sensor, idempotent runs, safe publishing, quiet logs.

The expensive part is one history of runs on copies of the demo data, shared by the
tests below (module fixture ``history``):

1. the demo warehouse (conftest's ``demo_build``) is copied to a fresh path;
2. ``nightly`` runs again on the same inputs, starting from that published file;
3. the same bytes under another name and two overlapping exports are added;
4. one export is replaced by a shorter version (same name, new bytes), while a second
   process holds the published file open read-only and keeps querying it;
5. the same inputs as 4 are built from scratch in a new warehouse.

The killed-run test starts the job in a child process and kills it with SIGKILL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assets.resources import NazorgWarehouse
from nazorg.bsn import pseudonymise_one
from nazorg.ingest import decode_text
from pipelines import defs
from pipelines.automation import nightly_schedule, raw_exports_sensor
from tests.conftest import RAW, REPO, TEST_KEY
from tests.test_bad_input import LoggedRun, double_the_outflow_shares, run_logged
from tests.test_privacy import identifying_values

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
SCHEMAS = ("staging", "kpi", "quality")
# Where a row came from; the only columns allowed to differ when the same content
# arrives under other file names.
PROVENANCE = re.compile(r"(^|_)(file|row)$")


# --------------------------------------------------------------------------- schedule


def test_nightly_schedule_runs_the_nightly_job_at_two_in_amsterdam():
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.job_name == "nightly"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 24, 2, 0, tzinfo=AMSTERDAM)
    )
    (request,) = nightly_schedule.evaluate_tick(context).run_requests
    assert request.tags["nazorg/trigger"] == "nightly_schedule"


def test_nightly_schedule_fires_once_a_day_across_daylight_saving():
    from dagster._utils.schedules import cron_string_iterator

    start = dt.datetime(2026, 3, 27, 12, 0, tzinfo=AMSTERDAM).timestamp()
    ticks = cron_string_iterator(start, "0 2 * * *", "Europe/Amsterdam")
    local = [next(ticks).astimezone(AMSTERDAM) for _ in range(3)]
    # 29 March 2026 has no 02:00 (clocks go to 03:00): that night it runs at 03:00
    assert [(t.day, t.hour) for t in local] == [(28, 2), (29, 3), (30, 2)]


# --------------------------------------------------------------------------- sensor


def export(raw: Path, name: str, content: str, age: float = 60) -> Path:
    """Write a file into raw/ as if it landed ``age`` seconds ago."""
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def tick(raw: Path, cursor: str | None, env_raw_dir: bool = False):
    """One evaluation of the real sensor, as the daemon would do it."""
    warehouse = str(raw.parent / "warehouse" / "nazorg.duckdb")
    resource = (
        NazorgWarehouse(warehouse=warehouse)
        if env_raw_dir
        else NazorgWarehouse(raw_dir=str(raw), warehouse=warehouse)
    )
    # As the daemon does: the resource has a lifecycle (it closes a run's work file).
    with dg.build_sensor_context(cursor=cursor, resources={"nazorg": resource}) as context:
        result = raw_exports_sensor(context)
        return result, context.cursor


def waits(result) -> bool:
    return isinstance(result, dg.SkipReason) and "wacht" in result.skip_message


def settle(raw: Path, cursor: str | None):
    """Two ticks: the first sees the change and waits, the second decides."""
    first, cursor = tick(raw, cursor)
    assert waits(first), first
    return tick(raw, cursor)


def publish_ledger(raw: Path) -> None:
    """A published warehouse whose file ledger holds the exports as they are now."""
    from nazorg.ingest import sha256_of

    warehouse = raw.parent / "warehouse" / "nazorg.duckdb"
    warehouse.parent.mkdir(exist_ok=True)
    warehouse.unlink(missing_ok=True)
    rows = [(p.relative_to(raw).as_posix(), sha256_of(p)) for p in raw.rglob("*.csv")]
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA quality")
        con.execute("CREATE TABLE quality.file_ledger (file VARCHAR, sha256 VARCHAR)")
        con.executemany("INSERT INTO quality.file_ledger VALUES (?, ?)", rows)
    finally:
        con.close()


def test_sensor_new_file_unchanged_touched_and_changed(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    export(raw, "justid/2019/q1.csv", "Meldingnummer;...\nJV1;...\n")
    monkeypatch.setenv("NAZORG_RAW_DIR", str(raw))  # resolved when the sensor runs

    waiting, cursor = tick(raw, None, env_raw_dir=True)  # a new file: wait one tick
    assert waits(waiting)
    first, cursor = tick(raw, cursor, env_raw_dir=True)  # held still: one run
    assert isinstance(first, dg.RunRequest)
    assert first.tags["nazorg/changes"] == "1 nieuw"
    # the cursor is a few digests: it does not grow with the number of exports
    assert "q1.csv" not in cursor and len(cursor) < 300
    publish_ledger(raw)  # the run published

    again, same_cursor = tick(raw, cursor)  # nothing changed: no run
    assert isinstance(again, dg.SkipReason) and not waits(again) and same_cursor == cursor

    path = raw / "justid/2019/q1.csv"  # touched, same bytes: no run
    os.utime(path, (time.time() - 30, time.time() - 30))
    touched, cursor_after_touch = settle(raw, cursor)
    assert isinstance(touched, dg.SkipReason) and "aangeraakt" in touched.skip_message
    assert cursor_after_touch != cursor

    export(raw, "justid/2019/q1.csv", "Meldingnummer;...\nJV1;...\nJV2;...\n")  # changed
    waiting, cursor_waiting = tick(raw, cursor_after_touch)
    assert waits(waiting)
    changed, next_cursor = tick(raw, cursor_waiting)
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags["nazorg/changes"] == "1 gewijzigd"  # against the published ledger
    assert changed.run_key != first.run_key

    # the same tick evaluated again (its cursor was never stored) asks for the same
    # run key, which Dagster runs only once
    retried, _ = tick(raw, cursor_waiting)
    assert retried.run_key == changed.run_key

    (raw / "justid/2019/q1.csv").unlink()  # a removed export changes the figures too
    removed, _ = settle(raw, next_cursor)
    assert isinstance(removed, dg.RunRequest)
    assert removed.tags["nazorg/changes"] == "1 verwijderd"


def test_sensor_waits_until_a_file_held_still_over_two_ticks_and_ignores_lock_files(tmp_path):
    """A copy that stalls is not read half: the sensor asks for a run only once every
    export's size and modification time stayed the same from one tick to the next."""
    raw = tmp_path / "raw"
    export(raw, "dpan/a.xlsx", "workbook")
    _, cursor = settle(raw, None)
    export(raw, "dpan/~$a.xlsx", "owner", age=0)  # Excel opened the workbook: no change
    unchanged, _ = tick(raw, cursor)
    assert isinstance(unchanged, dg.SkipReason) and not waits(unchanged)

    path = export(raw, "dpan/b.xlsx", "half a", age=100)  # stalled for 100 s already
    first, cursor = tick(raw, cursor)
    assert waits(first)
    with path.open("a") as handle:  # the copy goes on
        handle.write(" workbook")
    os.utime(path, (time.time() - 50, time.time() - 50))
    second, cursor = tick(raw, cursor)
    assert waits(second)
    done, _ = tick(raw, cursor)  # the same size and time as the tick before
    assert isinstance(done, dg.RunRequest) and done.tags["nazorg/changes"] == "2 nieuw"


def test_sensor_runs_again_when_files_go_back_to_an_earlier_state(tmp_path):
    raw = tmp_path / "raw"
    export(raw, "justid/a.csv", "versie 1")
    one, cursor_1 = settle(raw, None)
    export(raw, "justid/a.csv", "versie 2")
    two, cursor_2 = settle(raw, cursor_1)
    export(raw, "justid/a.csv", "versie 1")  # put back: the warehouse shows version 2
    back, _ = settle(raw, cursor_2)
    assert len({one.run_key, two.run_key, back.run_key}) == 3


def test_an_empty_raw_folder_starts_no_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    result, _ = settle(raw, None)
    assert isinstance(result, dg.SkipReason)


def test_sensor_without_the_raw_folder_skips(tmp_path):
    result, cursor = tick(tmp_path / "nergens", None)
    assert isinstance(result, dg.SkipReason) and "bestaat niet" in result.skip_message
    assert cursor is None


def test_schedule_and_sensor_are_registered_and_start_running():
    sensor = defs.resolve_sensor_def("raw_exports_sensor")
    assert sensor.job_name == "nightly"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


# --------------------------------------------------------------------------- history of runs


def snapshot(path: Path) -> dict[str, pl.DataFrame]:
    """Every table of the warehouse, read and closed again (DuckDB caches a database
    per path within a process: an open connection would hide the next publish)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY ALL"
        ).fetchall()
        found = {f"{s}.{t}": con.sql(f"SELECT * FROM {s}.{t}").pl() for s, t in tables}
    finally:
        con.close()
    if "quality.table_builds" in found:
        # Which run built a table, and when, is the history itself; what it was built
        # from (the fingerprints) must not depend on the way there.
        found["quality.table_builds"] = found["quality.table_builds"].drop("run_id", "built_at")
    return found


def sorted_frame(frame: pl.DataFrame, drop_provenance: bool = False) -> pl.DataFrame:
    if drop_provenance:
        frame = frame.drop([c for c in frame.columns if PROVENANCE.search(c)])
    return frame.sort(frame.columns, nulls_last=True) if frame.width else frame


def assert_same_tables(
    a: dict[str, pl.DataFrame],
    b: dict[str, pl.DataFrame],
    schemas=SCHEMAS,
    drop_provenance: bool = False,
) -> None:
    names = sorted(n for n in a if n.split(".")[0] in schemas)
    assert names == sorted(n for n in b if n.split(".")[0] in schemas)
    assert names and ("kpi" not in schemas or any(n.startswith("kpi.") for n in names))
    for name in names:
        try:
            assert_frame_equal(
                sorted_frame(a[name], drop_provenance),
                sorted_frame(b[name], drop_provenance),
                check_exact=False,
                rel_tol=1e-12,
            )
        except AssertionError as difference:
            raise AssertionError(f"{name} differs: {difference}") from None


READER = r"""
import duckdb, json, select, sys
path = sys.argv[1]
query = '''SELECT (SELECT count(*) FROM quality.file_ledger),
                  (SELECT sum(rows_read) FROM quality.file_ledger),
                  (SELECT sum(persons) FROM kpi.outflow),
                  (SELECT count(*) FROM staging.detentions)'''
con = duckdb.connect(path, read_only=True)
print(json.dumps({"before": con.execute(query).fetchone()}), flush=True)
seen, queries = set(), 0
while True:
    seen.add(tuple(con.execute(query).fetchone()))
    queries += 1
    if select.select([sys.stdin], [], [], 0.02)[0]:
        sys.stdin.readline()
        break
old_after = con.execute(query).fetchone()
con.close()
new = duckdb.connect(path, read_only=True).execute(query).fetchone()
print(json.dumps({"seen": sorted(seen), "queries": queries, "old_after": old_after,
                  "new": new}), flush=True)
"""


@dataclass
class History:
    s1: dict[str, pl.DataFrame]  # the published demo warehouse
    s2: dict[str, pl.DataFrame]  # the same inputs again
    s3: dict[str, pl.DataFrame]  # + duplicate and overlapping exports (an update)
    s3_scratch: dict[str, pl.DataFrame]  # the inputs of 3 from scratch
    s4: dict[str, pl.DataFrame]  # + a changed file, on the same warehouse
    s5: dict[str, pl.DataFrame]  # the inputs of 4 from scratch
    runs: list[LoggedRun]
    reader: dict
    changed_file: str
    changed_rows: int
    dropped_notifications: int  # removed from the changed file and in no other export


def _overlapping_export(sources: list[Path], target: Path) -> None:
    """One export that repeats the rows of several (a re-export of a longer period);
    the column order of the first, whatever order the others had."""
    tables = [
        list(csv.DictReader(io.StringIO(decode_text(p.read_bytes())), delimiter=";"))
        for p in sources
    ]
    header = list(tables[0][0])
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(row for table in tables for row in table)


@pytest.fixture(scope="module")
def history(demo_build, tmp_path_factory) -> History:
    demo_result, demo_published = demo_build
    assert demo_result.success
    folder = tmp_path_factory.mktemp("history")
    warehouse = folder / "w" / "nazorg.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(demo_published, warehouse)
    s1 = snapshot(warehouse)

    r2 = run_logged(RAW, warehouse)
    s2 = snapshot(warehouse)

    raw = folder / "raw"
    shutil.copytree(RAW, raw)
    justid = raw / "justid" / "2019"
    (raw / "justid" / "archief").mkdir()
    shutil.copyfile(
        justid / "justid_midden-limburg_2019-Q1.csv",
        raw / "justid" / "archief" / "kopie van justid_midden-limburg_2019-Q1.csv",
    )
    _overlapping_export(
        [justid / f"justid_midden-limburg_2019-Q{q}.csv" for q in (1, 2)],
        justid / "justid_midden-limburg_2019-H1.csv",
    )
    screening = raw / "screening" / "2020"
    _overlapping_export(
        sorted(screening.glob("*.csv")), screening / "informatiebladen_2020-compleet.csv"
    )
    r3 = run_logged(raw, warehouse)
    s3 = snapshot(warehouse)
    # the same inputs from scratch: what the update of run 3 must equal
    run_logged(raw, folder / "scratch3" / "nazorg.duckdb")
    s3_scratch = snapshot(folder / "scratch3" / "nazorg.duckdb")

    changed = raw / "justid" / "2020" / "justid_midden-limburg_2020-Q4.csv"
    lines = changed.read_bytes().splitlines(keepends=True)
    changed.write_bytes(b"".join(lines[:-40]))
    removed = {line.split(b";")[0] for line in lines[-40:]}
    elsewhere = {
        line.split(b";")[0]
        for path in (raw / "justid").rglob("*.csv")
        for line in path.read_bytes().splitlines()
    }
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = json.loads(reader.stdout.readline())["before"]
        r4 = run_logged(raw, warehouse)
        reader.stdin.write("klaar\n")
        reader.stdin.flush()
        observed = json.loads(reader.stdout.readline()) | {"before": before}
    finally:
        reader.kill()
        reader.wait()
    s4 = snapshot(warehouse)

    r5 = run_logged(raw, folder / "scratch" / "nazorg.duckdb")
    s5 = snapshot(folder / "scratch" / "nazorg.duckdb")
    return History(
        s1,
        s2,
        s3,
        s3_scratch,
        s4,
        s5,
        [r2, r3, r4, r5],
        observed,
        changed.relative_to(raw).as_posix(),
        len(lines) - 41,
        len(removed - elsewhere),
    )


def test_every_run_of_the_history_succeeded(history):
    assert all(run.result.success for run in history.runs)


def test_the_plausibility_checks_stay_quiet_on_the_demo_history(history):
    """The same exports again, a duplicate and overlapping exports, a shortened export
    and a build from scratch: no freshness or plausibility warning."""
    from tests.test_plausibility import CHECKS

    for run in history.runs:
        evaluations = [
            e
            for e in run.result.get_asset_check_evaluations()
            if (e.asset_key.to_user_string(), e.check_name) in CHECKS
        ]
        assert len(evaluations) == len(CHECKS)
        assert all(e.passed for e in evaluations), [e for e in evaluations if not e.passed]


def test_a_second_run_on_the_same_inputs_changes_no_table(history):
    assert_same_tables(history.s1, history.s2)


def test_same_bytes_under_another_name_and_overlapping_exports_change_no_figure(history):
    assert_same_tables(history.s1, history.s3, schemas=("kpi",))
    # staging holds the same rows; only which file a row is attributed to may differ
    assert_same_tables(history.s1, history.s3, schemas=("staging",), drop_provenance=True)
    ledger = {r["file"]: r for r in history.s3["quality.file_ledger"].rows(named=True)}
    copy = ledger["justid/archief/kopie van justid_midden-limburg_2019-Q1.csv"]
    assert copy["status"] == "duplicate" and copy["rows_read"] is None
    overlap = ledger["justid/2019/justid_midden-limburg_2019-H1.csv"]
    quarters = [ledger[f"justid/2019/justid_midden-limburg_2019-Q{q}.csv"] for q in (1, 2)]
    assert overlap["status"] == "loaded"
    assert overlap["rows_loaded"] == sum(q["rows_loaded"] for q in quarters)
    assert ledger["screening/2020/informatiebladen_2020-compleet.csv"]["status"] == "loaded"


def test_added_exports_update_the_warehouse_to_what_a_full_build_gives(history):
    """Run 3 only added exports: the detention episodes and screening links of the
    persons in them were rebuilt, the rest kept. The result equals a build from scratch,
    table by table, fingerprints included."""
    (materialization,) = [
        m
        for m in history.runs[1].result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "staging/detentions"
    ]
    metadata = materialization.materialization.metadata
    assert metadata["update"].value is True and 0 < metadata["persons_updated"].value
    assert_same_tables(history.s3, history.s3_scratch)


def test_a_kpi_rebuilt_with_the_same_rows_is_not_checked_again(history):
    """Run 3 changed the detentions (which file a row comes from) but no figure: the KPI
    tables that read them were rebuilt, came out the same, and their Pandera check stands
    from the build that checked exactly that content under this code."""
    result = history.runs[1].result
    rebuilt = {
        m.asset_key.to_user_string()
        for m in result.get_asset_materialization_events()
        if m.asset_key.path[0] == "kpi" and m.materialization.metadata["rebuilt"].value
    }
    assert "kpi/outflow" in rebuilt
    schema_checks = {
        e.asset_key.to_user_string(): e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "matches_schema"
    }
    for key in rebuilt:
        evaluation = schema_checks[key]
        assert evaluation.passed, key
        assert evaluation.metadata["checked_in_run"].value not in ("", result.run_id), key
    # and the fingerprint it stands on is the one a check from scratch records
    builds = history.s3["quality.table_builds"]
    scratch = history.s3_scratch["quality.table_builds"]
    assert builds.sort("table_name").get_column("checked").to_list() == (
        scratch.sort("table_name").get_column("checked").to_list()
    )


def test_a_new_daily_export_updates_episodes_and_links_of_its_persons_only(demo_build, tmp_path):
    """The nightly case: one new daily JustID export, nothing else. Detentions and
    screening links are updated for the persons in it; the published warehouse equals a
    build of the same inputs from scratch."""
    from bench.run import add_daily_export

    _, demo_published = demo_build
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    warehouse = tmp_path / "w" / "nazorg.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(demo_published, warehouse)
    daily = add_daily_export(raw, rows=40)
    run = run_logged(raw, warehouse)
    assert run.result.success
    updates = {
        m.asset_key.to_user_string(): m.materialization.metadata
        for m in run.result.get_asset_materialization_events()
        if m.asset_key.path[0] == "staging"
    }
    for table in ("staging/detentions", "staging/screenings"):
        assert updates[table]["update"].value is True, table
        assert 0 < updates[table]["persons_updated"].value < 40
    assert "update" not in updates["staging/cases"] or not updates["staging/cases"]["update"]
    updated = snapshot(warehouse)
    run_logged(raw, tmp_path / "scratch" / "nazorg.duckdb")
    assert_same_tables(updated, snapshot(tmp_path / "scratch" / "nazorg.duckdb"))
    ledger = updated["quality.file_ledger"]
    assert daily.relative_to(raw).as_posix() in ledger["file"].to_list()


def test_a_changed_file_replaces_its_old_rows(history):
    # the run that started from the published warehouse equals a build from scratch
    assert_same_tables(history.s4, history.s5)
    ledger = history.s4["quality.file_ledger"].filter(pl.col("file") == history.changed_file)
    assert ledger["rows_read"].to_list() == [history.changed_rows]
    count = "SELECT sum(notifications) FROM frame WHERE source_system = 'JustID'"
    frame = history.s3["staging.detentions"]  # noqa: F841 - read by DuckDB
    before = duckdb.sql(count).fetchall()[0][0]
    frame = history.s4["staging.detentions"]  # noqa: F841
    assert history.dropped_notifications > 0
    assert duckdb.sql(count).fetchall()[0][0] == before - history.dropped_notifications


def test_an_open_reader_neither_blocks_the_run_nor_sees_a_half_built_warehouse(history):
    """A second process held the published file open read-only and queried it every
    20 ms during the whole run: the run published anyway, the reader only ever saw the
    old figures, and a new connection afterwards sees the new ones."""
    reader = history.reader
    before = tuple(reader["before"])
    assert reader["queries"] > 10
    assert [tuple(s) for s in reader["seen"]] == [before]
    assert tuple(reader["old_after"]) == before
    new = tuple(reader["new"])
    assert new != before
    ledger = history.s4["quality.file_ledger"]
    assert new[:2] == (ledger.height, ledger["rows_read"].sum())


def identifying_values_in(text: str, needles: set[str]) -> list[str]:
    """Needles that occur in the text as whole values: a BSN inside a longer number (a
    duration in milliseconds) or a name inside a longer word is none."""
    numbers = set(re.findall(r"(?<![0-9.])[0-9]+(?![0-9])", text))
    words = set(re.findall(r"\w+", text))
    found = [n for n in needles if n.isdigit() and n in numbers]
    for needle in (n for n in needles if not n.isdigit()):
        if set(re.findall(r"\w+", needle)) <= words and re.search(
            rf"(?<!\w){re.escape(needle)}(?!\w)", text
        ):
            found.append(needle)
    return found


def test_no_bsn_or_name_in_any_log_line_or_event(history):
    """Every line the four runs logged, and every Dagster event they produced
    (metadata included), against the BSNs and names of the demo exports."""
    needles = identifying_values(RAW)
    assert len(needles) > 1000
    logs = [text for run in history.runs for _, text in run.logs]
    events = [dg.serialize_value(e) for run in history.runs for e in run.result.all_events]
    assert len(logs) > 100 and len(events) > 100
    assert identifying_values_in("\n".join(logs), needles) == []
    assert identifying_values_in("\n".join(events), needles) == []
    # and the scan does find them where they are
    bsn = next(n for n in sorted(needles) if n.isdigit() and len(n) == 9)
    name = next(n for n in sorted(needles) if " " in n and not n[0].isdigit())
    found = identifying_values_in(f"BSN {bsn}; naam: {name}.", needles)
    assert {bsn, name} <= set(found)


def test_new_exports_named_their_remarks_once_the_unchanged_ones_counted(history):
    """The log of a run names the exports that are new or changed since the last published
    run, with a line for each of them that has something to say (a duplicate, rejected
    rows, extra columns) and a count of the new ones that loaded without remarks. The
    unchanged exports are counted, their remarks not repeated every night; a thousand
    monthly exports do not bury the lines that matter."""
    run = history.runs[1]  # added a duplicate and overlapping exports to the demo
    lines = [line for _, text in run.logs for line in text.splitlines()]
    # The sources whose exports did not change are not read again, and say so.
    kept = {"caseload", "cohort"}
    for source in kept:
        assert [t for t in lines if t.startswith(f"{source}: ") and "ongewijzigd" in t]
    before = dict(history.s2["quality.file_ledger"].select("file", "sha256").iter_rows())
    ledger = history.s3["quality.file_ledger"].filter(~pl.col("source").is_in(kept))
    new = {f for f, sha in ledger.select("file", "sha256").iter_rows() if before.get(f) != sha}
    assert new == {
        "justid/archief/kopie van justid_midden-limburg_2019-Q1.csv",
        "justid/2019/justid_midden-limburg_2019-H1.csv",
        "screening/2020/informatiebladen_2020-compleet.csv",
    }
    plain = {}
    for entry in ledger.rows(named=True):
        about = [
            t for t in lines if re.match(rf"\w+: {re.escape(entry['file'])} (ingelezen|dubbel)", t)
        ]
        remarkable = entry["status"] != "loaded" or entry["rows_rejected"] or entry["extra_columns"]
        if entry["file"] not in new:
            assert about == [], entry["file"]  # unchanged: not repeated
        else:
            assert len(about) == (1 if remarkable else 0), (entry["file"], about)
            if not remarkable:
                plain[entry["source"]] = plain.get(entry["source"], 0) + 1
    assert plain, "the new exports include one without remarks"
    for source, count in plain.items():
        (line,) = [
            t for t in lines if t.startswith(f"{source}: {count} bestand(en) geladen zonder")
        ]
        assert "quality.file_ledger" in line
    (named,) = [t for t in lines if t.startswith("justid: 2 export(s) nieuw of gewijzigd")]
    assert "justid/2019/justid_midden-limburg_2019-H1.csv" in named
    assert [t for t in lines if t.startswith("dpan: geen nieuwe of gewijzigde exports")]
    (unchanged,) = [t for t in lines if t.startswith("dpan: 5 ongewijzigde export(s)")]
    assert "1 duplicaat, niet opnieuw gemeld" in unchanged
    (unchanged,) = [t for t in lines if t.startswith("justid: 16 ongewijzigde export(s)")]
    assert "1 met afgewezen rijen, niet opnieuw gemeld" in unchanged
    assert any("dpan: 1 bestand(en) genegeerd" in t for t in lines)
    assert not any("LEESMIJ" in t for t in lines)  # a remark about an unchanged file
    # The lines of a source are one message: every message is an event Dagster stores.
    for source in set(ledger.get_column("source")):
        about_files = [t for _, t in run.logs if t.startswith(f"{source}: ") and "export(s)" in t]
        assert len(about_files) == 1, (source, about_files)
    (summary,) = [t for t in lines if t.startswith("Samenvatting van de run:")]
    loaded = int(history.s3["quality.file_ledger"]["status"].eq("loaded").sum())
    assert f"{loaded} bestand(en) geladen, 2 duplicaat, 0 mislukt" in summary
    # What was rebuilt, and why; and what was published.
    assert any(
        t.startswith("staging: opnieuw gebouwd (exports gewijzigd): staging.detentions")
        for t in lines
    )
    assert any(
        t.startswith("kpi: opnieuw gebouwd (invoer gewijzigd: staging.detentions") for t in lines
    )
    assert any(
        t.startswith("Warehouse gepubliceerd: ") and "ongewijzigd overgenomen" in t for t in lines
    )


# --------------------------------------------------------------------------- killed runs


CHILD = r"""
import os, sys, time, types
from pathlib import Path
import pipelines  # noqa: F401 - import order: definitions before assets
import nazorg.warehouse as warehouse
from tests.conftest import run_nightly

raw, published, stage = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if stage == "publish":
    # Stop just before the finished work file is renamed over the published one.
    def paused_replace(src, dst):
        Path(str(dst) + ".renaming").touch()
        time.sleep(120)
    warehouse.os = types.SimpleNamespace(
        **{k: getattr(os, k) for k in dir(os) if not k.startswith("__")}
    )
    warehouse.os.replace = paused_replace
run_nightly(raw, published)
"""


def _figures(path: Path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT sum(persons) FROM kpi.outflow), "
            "(SELECT count(*) FROM quality.file_ledger), "
            "(SELECT count(*) FROM kpi.cohort_benefit_summary)"
        ).fetchone()
    finally:
        con.close()


def _person_keys(published: Path) -> set[str]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return {k for (k,) in con.execute("SELECT person_key FROM staging.detentions").fetchall()}
    finally:
        con.close()


def _expected_person_keys(justid_csv: Path, key: str = "another-key") -> set[str]:
    """HMAC-SHA256 with ``key`` of every BSN in a JustID export, by the standard library."""
    lines = justid_csv.read_text(encoding="utf-8-sig").splitlines()
    column = lines[0].split(";").index("BSN")
    bsns = [line.split(";")[column].zfill(9) for line in lines[1:] if line]
    return {pseudonymise_one(bsn, key) for bsn in bsns}


def _kill_when(child: subprocess.Popen, ready, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert child.poll() is None, "the job ended before it could be killed"
        assert time.monotonic() < deadline, "the job never reached the kill point"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def test_a_killed_run_leaves_the_published_warehouse_and_the_next_run_cleans_up(
    demo_build, tmp_path
):
    _, demo_published = demo_build
    published = tmp_path / "warehouse" / "nazorg.duckdb"
    published.parent.mkdir()
    shutil.copyfile(demo_published, published)
    original = published.read_bytes()
    figures = _figures(published)
    work = published.parent / ".work"

    small = tmp_path / "raw"
    (small / "justid").mkdir(parents=True)
    shutil.copyfile(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv", small / "justid" / "q1.csv"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAZORG_")}

    def child(stage: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(small), str(published), stage],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # 1. killed while building: as soon as its work file exists
    _kill_when(child("build"), lambda: any(work.glob("*.duckdb")))
    assert published.read_bytes() == original and _figures(published) == figures

    # 2. killed while publishing: the finished work file is there, the rename has not
    # happened
    marker = Path(str(published) + ".renaming")
    _kill_when(child("publish"), marker.exists)
    marker.unlink()
    assert len(list(work.glob("*.duckdb"))) == 2
    assert published.read_bytes() == original and _figures(published) == figures

    # 3. a copy left by a run that had to copy across file systems, and its WAL
    Path(str(published) + ".0123456789ab.tmp").write_bytes(b"\x00half a copy" * 100)
    Path(str(published) + ".0123456789ab.tmp.wal").write_bytes(b"\x00half a wal" * 100)
    leftovers = sorted(work.glob("*.duckdb*")) + sorted(published.parent.glob("*tmp*"))
    assert len(leftovers) >= 4  # the work files of both killed runs, the copy, the WAL
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in leftovers:
        os.utime(path, (two_days_ago, two_days_ago))

    # 4. the next run, from the command line as the nightly schedule would, with a
    # broken export among the inputs and another pseudonym key than the published
    # warehouse's (every file is parsed again): it succeeds (exit code 0) and cleans up
    (small / "justid" / "kapot.csv").write_bytes(b"")
    nightly = ["job", "execute", "-m", "pipelines", "-j", "nightly"]
    run = dagster_cli(nightly, small, published, tmp_path, env, key="another-key")
    assert run.returncode == 0, run.stderr[-3000:]
    log = run.stdout + run.stderr
    # The process exits without a final collection (pipelines/__init__.py): nothing of
    # DuckDB may then be left alive, or its bindings report it as leaked. (The failed
    # export's traceback once held the detentions step's connection in a cycle.)
    assert "nanobind" not in log and "leaked" not in log
    # The key of the environment made the pseudonyms, not the development key.
    person_keys = _person_keys(published)
    assert person_keys and person_keys <= _expected_person_keys(small / "justid" / "q1.csv")
    assert "justid/kapot.csv failed: justid/kapot.csv: het bestand is leeg" in log
    assert "Samenvatting van de run: 1 bestand(en) geladen, 0 duplicaat, 1 mislukt" in log
    con = duckdb.connect(str(published), read_only=True)
    try:
        ledger = con.execute(
            "SELECT file, status FROM quality.file_ledger ORDER BY file"
        ).fetchall()
    finally:
        con.close()
    assert ledger == [("justid/kapot.csv", "failed"), ("justid/q1.csv", "loaded")]
    assert not any(path.exists() for path in leftovers)
    assert list(work.glob("*.duckdb*")) == []
    assert sorted(p.name for p in published.parent.iterdir()) == [
        ".cache",
        ".work",
        "nazorg.duckdb",
    ]


# --------------------------------------------------------------------------- publishing


def test_publish_replaces_atomically_and_clears_only_stale_copies(tmp_path):
    from nazorg.warehouse import publish

    work = tmp_path / "work.duckdb"
    con = duckdb.connect(str(work))
    con.execute("CREATE SCHEMA kpi; CREATE TABLE kpi.t AS SELECT 1 AS x")
    con.close()
    published = tmp_path / "pub" / "nazorg.duckdb"
    published.parent.mkdir()
    stale = published.with_name("nazorg.duckdb.aaaaaaaaaaaa.tmp")
    fresh = published.with_name("nazorg.duckdb.bbbbbbbbbbbb.tmp")  # another run, publishing now
    for path in (stale, fresh, Path(str(stale) + ".wal")):
        path.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(Path(str(stale) + ".wal"), (old, old))
    publish(work, published)
    assert sorted(p.name for p in published.parent.iterdir()) == [
        "nazorg.duckdb",
        "nazorg.duckdb.bbbbbbbbbbbb.tmp",
    ]
    assert _x(published) == 1
    assert not work.exists()  # the finished work file became the published file
    # an open reader keeps its snapshot while the next publish replaces the file
    reader = duckdb.connect(str(published), read_only=True)
    try:
        con = duckdb.connect(str(work))
        con.execute("CREATE SCHEMA kpi; CREATE TABLE kpi.t AS SELECT 2 AS x")
        con.close()
        publish(work, published)
        assert reader.execute("SELECT x FROM kpi.t").fetchall() == [(1,)]
    finally:
        reader.close()
    assert _x(published) == 2


def _x(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT x FROM kpi.t").fetchall()[0][0]
    finally:
        con.close()


def _open_in_this_process(path: Path) -> bool:
    """Whether a file descriptor of this process points at ``path`` (also once deleted)."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.removesuffix(" (deleted)") == str(path):
            return True
    return False


def test_a_run_opens_its_work_file_once_and_one_that_does_not_publish_says_so(
    tmp_path, monkeypatch
):
    """Opening the work file and checkpointing it as the last connection closes cost
    ~40 ms a step: a run opens it once, and the end of the run closes it. A run whose
    selection leaves out publishing ("Materialize" on two staging tables in the UI)
    publishes nothing, and says so and where its tables are."""
    from assets import staging

    opened: list[str] = []
    connect = duckdb.connect

    def counting(database=":memory:", *args, **kwargs):
        opened.append(str(database))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    published = tmp_path / "nazorg.duckdb"
    resource = NazorgWarehouse(raw_dir=str(RAW), warehouse=str(published), pseudonym_key=TEST_KEY)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [staging.municipalities, staging.cohort_sample],
        resources={"nazorg": resource},
        instance=instance,
    )
    assert result.success
    work = resource.work_file(result.run_id)
    assert opened.count(str(work)) == 1
    assert not _open_in_this_process(work)
    assert not published.exists()
    warnings = [
        e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING
    ]
    assert any("Deze run heeft niets gepubliceerd" in m and str(work) in m for m in warnings), (
        warnings,
        work,
    )
    monkeypatch.undo()
    con = duckdb.connect(str(work), read_only=True)  # fails while the run holds it open
    try:
        tables = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
        assert tables == [(2,)]
    finally:
        con.close()


def test_a_run_of_checks_alone_says_nothing_about_publishing(demo_build, tmp_path):
    from assets.kpi import kpi_tables

    _, demo = demo_build
    published = tmp_path / "nazorg.duckdb"
    shutil.copyfile(demo, published)
    instance = dg.DagsterInstance.ephemeral()
    redetention = dg.AssetKey(["kpi", "redetention"])
    result = dg.materialize(
        [kpi_tables],
        selection=dg.AssetSelection.checks(dg.AssetCheckKey(redetention, "groups_add_up")),
        resources={"nazorg": NazorgWarehouse(warehouse=str(published), pseudonym_key=TEST_KEY)},
        instance=instance,
    )
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["groups_add_up"]
    assert not [e for e in instance.all_logs(result.run_id) if e.level >= logging.WARNING]


def test_materialize_all_from_the_cli_runs_in_one_process_and_publishes(demo_warehouse, tmp_path):
    """What "Materialize all" in the UI and `dagster asset materialize` launch: Dagster's
    implicit asset job. With its default executor (a process per step) two staging steps
    ran at once on the run's work file and the second failed on DuckDB's file lock."""
    published = tmp_path / "warehouse" / "nazorg.duckdb"
    everything = ["asset", "materialize", "-m", "pipelines", "--select", "*"]
    run = dagster_cli(everything, RAW, published, tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "multiprocess executor" not in log and "Conflicting lock" not in log
    assert "Warehouse gepubliceerd" in log
    figures = "SELECT region, year, municipality_code, persons FROM kpi.outflow ORDER BY ALL"
    con = duckdb.connect(str(published), read_only=True)
    try:  # the same figures as the nightly job on the same exports
        assert con.execute(figures).fetchall() == demo_warehouse.execute(figures).fetchall()
    finally:
        con.close()
    assert list((tmp_path / "reports").glob("kpi_*.xlsx"))  # the workbooks, after publishing


def dagster_cli(
    args: list[str],
    raw: Path,
    published: Path,
    folder: Path,
    env: dict[str, str] | None = None,
    key: str = TEST_KEY,
) -> subprocess.CompletedProcess:
    """The ``dagster`` command as a user runs it, with a Dagster home and the reports in
    ``folder``, and ``key`` as NAZORG_PSEUDONYM_KEY."""
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    return subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), *args],
        cwd=REPO,
        env=(env or dict(os.environ))
        | {
            "DAGSTER_HOME": str(home),
            "NAZORG_RAW_DIR": str(raw),
            "NAZORG_WAREHOUSE": str(published),
            "NAZORG_REPORTS_DIR": str(folder / "reports"),
            "NAZORG_PSEUDONYM_KEY": key,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


# --------------------------------------------------------------------------- re-execution


def nightly_from_environment() -> dg.JobDefinition:
    """The nightly job as the UI re-executes it: reconstructed, configured by NAZORG_*."""
    from pipelines.definitions import build_defs

    return build_defs().resolve_job_def("nightly")


def test_re_execution_from_failure_continues_from_the_failed_runs_tables(
    demo_warehouse, tmp_path, monkeypatch
):
    """*Re-execute from failure* in the UI runs only the failed step and what follows it.
    The tables of the steps that succeeded must be the failed run's (built from today's
    exports), not those of the warehouse published the night before: the re-executed run
    publishes what a full build of today's exports gives."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    held_back = sorted((raw / "justid").rglob("*.csv"))[-1]
    content = held_back.read_bytes()
    held_back.unlink()
    published = tmp_path / "warehouse" / "nazorg.duckdb"
    for name, value in {
        "NAZORG_RAW_DIR": raw,
        "NAZORG_WAREHOUSE": published,
        "NAZORG_REPORTS_DIR": tmp_path / "reports",
        "NAZORG_PSEUDONYM_KEY": TEST_KEY,
    }.items():
        monkeypatch.setenv(name, str(value))
    job = dg.reconstructable(nightly_from_environment)
    instance = dg.DagsterInstance.ephemeral()
    assert dg.execute_job(job, instance).success  # last night: without the held-back export

    held_back.write_bytes(content)  # today's export arrives, and a bug fails the KPI step
    with monkeypatch.context() as patch:
        double_the_outflow_shares(patch)
        failed = dg.execute_job(job, instance)
        assert not failed.success
        # Re-executed before the bug is fixed: the table that failed its blocking check
        # is built and checked again (not kept from the failed run), and fails again.
        still = dg.execute_job(
            job,
            instance,
            reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance),
        )
        assert not still.success
        assert "warehouse__published" not in {
            e.step_key for e in still.all_events if e.event_type_value == "STEP_SUCCESS"
        }
    again = dg.execute_job(
        job,
        instance,
        reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance),
    )
    assert again.success
    re_run = {e.step_key for e in again.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "staging__detentions" not in re_run and "kpi_tables" in re_run

    def outflow(con: duckdb.DuckDBPyConnection) -> list[tuple]:
        return con.execute(
            "SELECT region, year, municipality_code, persons FROM kpi.outflow ORDER BY ALL"
        ).fetchall()

    con = duckdb.connect(str(published), read_only=True)
    try:
        assert outflow(con) == outflow(demo_warehouse)  # = a full build of today's exports
    finally:
        con.close()

    def continued(run_id: str) -> bool:
        return any(
            "Heruitvoering van run" in (e.user_message or "") for e in instance.all_logs(run_id)
        )

    assert continued(again.run_id)
    # Once a run has published, re-executing the old failed run again starts from the
    # published warehouse: the old run's tables would set it back.
    late = dg.execute_job(
        job,
        instance,
        reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance),
    )
    assert late.success and not continued(late.run_id)
