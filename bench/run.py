"""The national-scale benchmark: ``make bench`` (``python -m bench.run``).

1. Generates the national-scale exports once (``bench/data/raw``, reused while the
   generator's size and seed are unchanged): :mod:`nazorg.demo.national`.
2. Runs job ``nightly`` end to end as a user would (``dagster job execute``), from an
   empty warehouse, measuring wall time, CPU time and the peak RSS of the whole process
   tree, and the time per stage (``NAZORG_TIMINGS_FILE``, see :mod:`nazorg.timing`).
3. Adds one new daily JustID export of a few hundred rows and runs ``nightly`` again
   (the incremental run: unchanged files are not read again, unchanged tables are not
   rebuilt).
4. Runs the pipeline on only what the baseline computes (outflow and caseload with the
   tables, checks and publishing they need: ``dagster asset materialize --select``),
   from an empty warehouse: the same work as the baseline, through the same stack.
5. Runs the naive baseline (pandas + openpyxl, :mod:`bench.baseline`) on the same
   input as the full run, in the same invocation, so the ratio is measured on one
   machine at one time, and checks that its figures equal the pipeline's.
6. Writes the results to ``BENCHMARKS.md`` (``--report``) and prints them.

``--size 0.01`` gives the small smoke run the test suite uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import patch

import polars as pl
import psutil

from nazorg.demo.national import generate_national
from nazorg.timing import STAGES, STARTUP

REPO = Path(__file__).resolve().parent.parent
# pandas for the baseline, installed apart from the pipeline's environment by the
# Makefile (bench/requirements-baseline.lock): the pipeline runs without it, as deployed.
BASELINE_SITE = REPO / "bench" / ".baseline-site"

# The baseline's two KPIs with everything they are made of, and publishing.
SAME_WORK_SELECTION = "+kpi/outflow,+kpi/caseload,warehouse/published"

# Targets of docs/contract/performance.md, on this machine.
TARGET_FULL_SECONDS = 20.0
TARGET_PEAK_MIB = 2048.0
TARGET_RATIO = 3.0  # docs/contract/performance.md: the floor itself is only ~4x the baseline
TARGET_INCREMENTAL_SECONDS = 8.0

# The RSS of the process tree is sampled this often; the list of processes in the tree
# is refreshed less often (walking /proc costs more than reading a few RSS values, and
# the sampler shares the two cores with what it measures).
SAMPLE_SECONDS = 0.05
TREE_REFRESH_SAMPLES = 10


@dataclass
class Measurement:
    label: str
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    exit_code: int
    stages: dict[str, float] = field(default_factory=dict)
    # Wall time of each Dagster step (op), from the run's own step statistics.
    steps: dict[str, float] = field(default_factory=dict)


def measure(
    label: str, command: list[str], env: dict[str, str], timings: Path | None = None
) -> Measurement:
    """Run a command; sample the RSS of its whole process tree; sum its CPU time."""
    if timings:
        timings.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # The job logs a lot: stderr goes to a file, a pipe would fill up and stall the job.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
        )
        root = psutil.Process(process.pid)
        peak, tree, samples = 0, [root], 0
        while process.poll() is None:
            try:
                if samples % TREE_REFRESH_SAMPLES == 0:
                    tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(_rss(p) for p in tree))
            except psutil.Error:
                pass
            samples += 1
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The kernel's own high-water mark of the largest process catches a peak that fell
    # between two samples.
    peak = max(peak, after.ru_maxrss * 1024 if after.ru_maxrss > before.ru_maxrss else 0)
    stages = json.loads(timings.read_text()) if timings and timings.exists() else {}
    return Measurement(label, wall, cpu, peak / 2**20, process.returncode, stages)


def step_seconds(dagster_home: Path) -> dict[str, float]:
    """Wall time per step of the latest run in this Dagster instance (its event log)."""
    import dagster as dg

    # The pooled event log of dagster.yaml finds its folder through DAGSTER_HOME.
    with (
        patch.dict(os.environ, {"DAGSTER_HOME": str(dagster_home)}),
        dg.DagsterInstance.from_config(str(dagster_home)) as instance,
    ):
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        return {
            stats.step_key: stats.end_time - stats.start_time
            for stats in instance.get_run_step_stats(runs[0].run_id)
            if stats.start_time is not None and stats.end_time is not None
        }


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def ensure_data(folder: Path, size: float, seed: int) -> Path:
    raw = folder / "raw"
    stamp = folder / "generated.json"
    wanted = {"size": size, "seed": seed, "generator": _generator_version()}
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        files = generate_national(raw, size=size, seed=seed)
        print(f"generated {len(files)} files in {time.perf_counter() - started:.1f} s")
        stamp.write_text(json.dumps(wanted))
    return raw


def _generator_version() -> str:
    import hashlib

    from nazorg.demo import national

    return hashlib.sha256(Path(national.__file__).read_bytes()).hexdigest()[:16]


DAILY_EXPORT = Path("justid") / "dagelijks"


def add_daily_export(raw: Path, rows: int = 300) -> Path:
    """A new JustID daily export, the day after the last notification: the releases of
    detentions still open at the end of the latest monthly export, and new admissions of
    persons released before (a few hundred rows, in the monthly exports' columns)."""
    exports = [
        p
        for p in (raw / "justid").rglob("justid_*.csv")
        if DAILY_EXPORT.as_posix() not in p.as_posix()
    ]
    latest = max(exports, key=lambda p: p.relative_to(raw).as_posix())
    notes = pl.read_csv(latest, separator=";", infer_schema=False, encoding="utf8-lossy")
    notes = notes.rename({c: c.strip() for c in notes.columns})
    kind, date = "Soort melding", "Datum melding"
    day = (
        notes.get_column(date).str.to_date("%d-%m-%Y", strict=False).max() + dt.timedelta(days=1)
    ).strftime("%d-%m-%Y")
    admissions = notes.filter(pl.col(kind).is_in(["Begin detentie", "Insluiting"]))
    released = notes.filter(pl.col(kind).is_in(["Einde detentie", "Ontslag"]))
    open_now = admissions.join(released, on=["BSN", "Datum insluiting"], how="anti")
    releases = open_now.head(rows // 2).with_columns(
        pl.lit("Einde detentie").alias(kind),
        pl.lit(day).alias(date),
        pl.lit(day).alias("Datum ontslag"),
    )
    again = released.head(rows - releases.height).with_columns(
        pl.lit("Begin detentie").alias(kind),
        pl.lit(day).alias(date),
        pl.lit(day).alias("Datum insluiting"),
        pl.lit(None, pl.Utf8).alias("Datum ontslag"),
    )
    daily = pl.concat([releases, again]).with_columns(
        pl.format("JD{}", pl.int_range(1, pl.len() + 1).cast(pl.Utf8).str.zfill(8)).alias(
            "Meldingnummer"
        )
    )
    path = raw / DAILY_EXPORT / f"justid_{day[6:]}-{day[3:5]}-{day[:2]}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    daily.write_csv(path, separator=";")
    return path


LABELS = {
    "floor": "the same job doing nothing (orchestration floor, `bench.floor`)",
    "full": "nightly, full run from an empty warehouse",
    "incremental": "nightly after one new daily JustID export",
    "same_work": "only what the baseline computes (outflow, caseload and their inputs), from an empty warehouse",
    "baseline": "naive baseline: pandas + openpyxl, outflow and caseload only",
}


def run_once(raw: Path, work: Path) -> dict[str, Measurement]:
    """One round: floor, full run, incremental run, baseline, in a fresh folder."""
    timings = work / "timings.json"
    dagster_home = work / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    warehouse = work / "warehouse" / "nazorg.duckdb"
    env = os.environ | {
        "NAZORG_RAW_DIR": str(raw),
        "NAZORG_WAREHOUSE": str(warehouse),
        "NAZORG_REPORTS_DIR": str(work / "reports"),
        "NAZORG_TIMINGS_FILE": str(timings),
        "DAGSTER_HOME": str(dagster_home),
    }
    dagster = str(Path(sys.executable).with_name("dagster"))
    # A user's instance exists before the night's run: create its storage first, so the
    # first run is not charged for setting up Dagster's own database.
    subprocess.run(
        [dagster, "instance", "migrate"], env=env, cwd=REPO, capture_output=True, check=True
    )
    execute = [dagster, "job", "execute", "-j", "nightly", "-m"]
    results = {"floor": measure(LABELS["floor"], [*execute, "bench.floor"], env)}
    results["floor"].steps = step_seconds(dagster_home)
    results["full"] = measure(LABELS["full"], [*execute, "pipelines"], env, timings)
    results["full"].steps = step_seconds(dagster_home)
    full_copy = work / "full.duckdb"
    if warehouse.exists():
        shutil.copyfile(warehouse, full_copy)
    daily = add_daily_export(raw)
    try:
        results["incremental"] = measure(
            LABELS["incremental"], [*execute, "pipelines"], env, timings
        )
        results["incremental"].steps = step_seconds(dagster_home)
    finally:
        daily.unlink()
        shutil.rmtree(daily.parent, ignore_errors=True)
    results["same_work"], same_warehouse = _same_work(dagster, env, work / "same_work")
    baseline_out = work / "baseline.xlsx"
    baseline = [sys.executable, "-m", "bench.baseline", str(raw), str(baseline_out)]
    results["baseline"] = measure(LABELS["baseline"], baseline, baseline_env(env))
    results["baseline"].stages["agreement"] = _agreement(baseline_out, full_copy)
    results["baseline"].stages["agreement_same_work"] = _agreement(baseline_out, same_warehouse)
    return results


def _same_work(dagster: str, env: dict[str, str], folder: Path) -> tuple[Measurement, Path]:
    """The baseline's KPIs through the pipeline, from an empty warehouse and parse cache
    (its own folder) and a Dagster instance of its own."""
    home = folder / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    warehouse = folder / "warehouse" / "nazorg.duckdb"
    env = env | {
        "DAGSTER_HOME": str(home),
        "NAZORG_WAREHOUSE": str(warehouse),
        "NAZORG_REPORTS_DIR": str(folder / "reports"),
    }
    env.pop("NAZORG_TIMINGS_FILE", None)
    subprocess.run(
        [dagster, "instance", "migrate"], env=env, cwd=REPO, capture_output=True, check=True
    )
    command = [dagster, "asset", "materialize", "-m", "pipelines", "--select", SAME_WORK_SELECTION]
    return measure(LABELS["same_work"], command, env), warehouse


def baseline_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of the baseline: the pipeline's, with pandas on the path."""
    if not (BASELINE_SITE / "pandas").is_dir():
        raise SystemExit(
            f"pandas voor de baseline ontbreekt in {BASELINE_SITE}: draai `make bench`, "
            "dat het installeert uit bench/requirements-baseline.lock"
        )
    paths = [str(BASELINE_SITE), *filter(None, [env.get("PYTHONPATH")])]
    return env | {"PYTHONPATH": os.pathsep.join(paths)}


def profile(size: float, seed: int, data_dir: Path, out: Path) -> list[Path]:
    """The full and the incremental run under pyinstrument: an HTML profile of each."""
    raw = ensure_data(data_dir, size, seed)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nazorg-profile-"))
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = os.environ | {
        "NAZORG_RAW_DIR": str(raw),
        "NAZORG_WAREHOUSE": str(work / "warehouse" / "nazorg.duckdb"),
        "NAZORG_REPORTS_DIR": str(work / "reports"),
        "DAGSTER_HOME": str(home),
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "dagster", "instance", "migrate"],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    written = []
    try:
        for name in ("full", "incremental"):
            daily = add_daily_export(raw) if name == "incremental" else None
            target = out / f"profile_{name}.html"
            command = [bin_dir / "pyinstrument", "-r", "html", "-o", target, "-m", "dagster"]
            command += ["job", "execute", "-m", "pipelines", "-j", "nightly"]
            try:
                subprocess.run(command, env=env, cwd=REPO, capture_output=True, check=True)
            finally:
                if daily:
                    daily.unlink()
                    shutil.rmtree(daily.parent, ignore_errors=True)
            written.append(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written


def run(size: float, seed: int, data_dir: Path, repeat: int = 1) -> dict[str, list[Measurement]]:
    """``repeat`` rounds on the same input; per measurement every round's result."""
    raw = ensure_data(data_dir, size, seed)
    rounds: dict[str, list[Measurement]] = {name: [] for name in LABELS}
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="nazorg-bench-"))
        try:
            for name, measurement in run_once(raw, work).items():
                rounds[name].append(measurement)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rounds


def median(measurements: list[Measurement]) -> Measurement:
    """The round with the median wall time (an odd number of rounds gives a real one)."""
    return sorted(measurements, key=lambda m: m.wall_seconds)[(len(measurements) - 1) // 2]


def _agreement(baseline_xlsx: Path, warehouse: Path) -> float:
    """Differences between the baseline's figures and the pipeline's (-1: not compared)."""
    if not (baseline_xlsx.exists() and warehouse.exists()):
        return -1
    return float(len(compare_with_warehouse(baseline_xlsx, warehouse)))


def volumes(raw: Path) -> dict[str, str]:
    def rows_of(folder: str) -> int:
        return sum(sum(1 for _ in p.open("rb")) - 1 for p in (raw / folder).rglob("*.csv"))

    def count(folder: str, pattern: str) -> int:
        return len(list((raw / folder).rglob(pattern)))

    return {
        "JustID notification rows (CSV lines)": f"{rows_of('justid'):,}",
        "JustID files": str(count("justid", "*.csv")),
        "DPAN workbooks": str(count("dpan", "*.xlsx")),
        "screening form rows (CSV lines)": f"{rows_of('screening'):,}",
        "screening files": str(count("screening", "*.csv")),
        "case-registration workbooks": str(count("caseload", "*.xlsx")),
        "cohort follow-ups": str(count("cohort", "*.xlsx")),
    }


def _outside_steps(m: Measurement) -> float:
    return m.wall_seconds - sum(m.steps.values())


def _status(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(rounds: dict[str, list[Measurement]], size: float, raw: Path, command: str) -> str:
    chosen = {name: median(ms) for name, ms in rounds.items()}
    floor, full, incremental, same_work, baseline = (
        chosen[n] for n in ("floor", "full", "incremental", "same_work", "baseline")
    )
    ratio = baseline.wall_seconds / full.wall_seconds if full.wall_seconds else 0.0
    same_work_ratio = (
        baseline.wall_seconds / same_work.wall_seconds if same_work.wall_seconds else 0.0
    )
    # The baseline has no way to skip unchanged exports: every night it does all of it.
    night_ratio = (
        baseline.wall_seconds / incremental.wall_seconds if incremental.wall_seconds else 0.0
    )
    work_ratio = (
        baseline.wall_seconds / (full.wall_seconds - floor.wall_seconds)
        if full.wall_seconds > floor.wall_seconds
        else 0.0
    )
    # Against the full run's warehouse and the one of the baseline's work alone.
    differences = [
        m.stages.get(name, -1)
        for m in rounds["baseline"]
        for name in ("agreement", "agreement_same_work")
    ]
    if any(d < 0 for d in differences):
        agreement = "not compared"
    elif all(d == 0 for d in differences):
        agreement = "yes, the same outflow and caseload figures"
    else:
        agreement = f"**no**: {max(differences):.0f} differences"
    peak = max(m.peak_rss_mib for name in ("full", "incremental") for m in rounds[name])
    n = len(rounds["full"])

    def stage_row(name: str, label: str | None = None) -> str:
        return f"| {label or name} | {full.stages.get(name, 0):.2f} | {incremental.stages.get(name, 0):.2f} |"

    def other(m: Measurement) -> float:
        return m.wall_seconds - sum(v for k, v in m.stages.items() if k in (*STAGES, STARTUP))

    def walls(ms: list[Measurement]) -> str:
        return ", ".join(f"{m.wall_seconds:.1f}" for m in ms)

    lines = [
        "# Benchmarks",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.node() or 'this machine'}: "
        f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}.",
        "",
        f"Command: `{command}` (size {size}, {n} round{'s' if n > 1 else ''}; each round "
        "starts from an empty warehouse, parse cache and Dagster instance; the table shows "
        "the round with the median wall time).",
        "",
        "Input:",
        "",
        *[f"- {k}: {v}" for k, v in volumes(raw).items()],
        "",
        "| run | wall (s) | CPU (s) | peak RSS, process tree (MiB) | exit | wall of every round (s) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *[
            f"| {m.label} | {m.wall_seconds:.1f} | {m.cpu_seconds:.1f} | {m.peak_rss_mib:.0f} | "
            f"{m.exit_code} | {walls(rounds[name])} |"
            for name, m in chosen.items()
        ],
        "",
        f"Pipeline vs naive baseline, end to end: **{ratio:.1f}×** faster. "
        f"Baseline agrees with the pipeline: {agreement}.",
        "",
        f"A night's run (one new daily export) against the same baseline, which cannot skip "
        f"unchanged exports and so does all of its work every night: {night_ratio:.1f}× "
        "faster. The target below is judged on the full run, both from scratch.",
        "",
        "The same work as the baseline — only outflow and caseload, with the staging tables, "
        f"checks and publishing they need (`dagster asset materialize --select "
        f"{SAME_WORK_SELECTION}`), from an empty warehouse — takes "
        f"{same_work.wall_seconds:.1f} s: {same_work_ratio:.1f}× faster than the baseline.",
        "",
        f"The pipeline's own work (full run minus the orchestration floor, "
        f"{full.wall_seconds - floor.wall_seconds:.1f} s) is {work_ratio:.1f}× faster than the "
        "baseline; the floor is what Dagster costs for the same assets, checks and steps "
        "doing nothing.",
        "",
        "Time per stage (seconds, summed over the run's assets):",
        "",
        "| stage | full | incremental |",
        "| --- | ---: | ---: |",
        stage_row(STARTUP, "startup (interpreter, imports, definitions, run start)"),
        *[stage_row(s) for s in STAGES],
        f"| other (Dagster steps and event log, untimed) | {other(full):.2f} | {other(incremental):.2f} |",
        "",
        "Time per Dagster step (seconds, from the run's step statistics; the floor runs the "
        "same step doing nothing, so a step's own work is roughly its time minus the floor's):",
        "",
        "| step | floor | full | incremental |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {step} | {floor.steps.get(step, 0):.2f} | {full.steps.get(step, 0):.2f} | "
            f"{incremental.steps.get(step, 0):.2f} |"
            for step in full.steps
        ],
        f"| before the first step and after the last (start-up, run creation, exit) | "
        f"{_outside_steps(floor):.2f} | {_outside_steps(full):.2f} | "
        f"{_outside_steps(incremental):.2f} |",
        "",
        "Targets (issue 8):",
        "",
        f"- full run ≤ {TARGET_FULL_SECONDS:.0f} s: {full.wall_seconds:.1f} s, {_status(full.wall_seconds <= TARGET_FULL_SECONDS)}",
        f"- peak RSS ≤ 2 GiB: {peak:.0f} MiB, {_status(peak <= TARGET_PEAK_MIB)}",
        f"- ≥ {TARGET_RATIO:.0f}× faster than the naive baseline (full run against the "
        f"baseline): {ratio:.1f}×, {_status(ratio >= TARGET_RATIO)} (a night's run against "
        f"the baseline: {night_ratio:.1f}×)",
        f"- incremental run ≤ {TARGET_INCREMENTAL_SECONDS:.0f} s: {incremental.wall_seconds:.1f} s, "
        f"{_status(incremental.wall_seconds <= TARGET_INCREMENTAL_SECONDS)}",
        "",
    ]
    return "\n".join(lines)


BASELINE_TABLES = {
    "uitstroom": ("kpi.outflow", ("persons",)),
    "caseload": ("kpi.caseload", ("cases", "persons")),
}


def compare_with_warehouse(baseline_xlsx: Path, warehouse: Path) -> list[str]:
    """Every (region, year, municipality_code) whose counts or name differ between the
    baseline's workbook and the pipeline's ``kpi.outflow`` / ``kpi.caseload``; a row on
    one side only is a difference (its counts are 0 on the other). Empty: they agree."""
    import duckdb
    from openpyxl import load_workbook

    workbook = load_workbook(baseline_xlsx, read_only=True, data_only=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    differences = []
    try:
        for sheet, (table, counts) in BASELINE_TABLES.items():
            rows = workbook[sheet].iter_rows(values_only=True)
            header = list(next(rows))
            baseline = {}
            for values in rows:
                row = dict(zip(header, values, strict=True))
                key = (row["region"], int(row["year"]), row["municipality_code"])
                baseline[key] = (row["municipality_name"], *(int(row[c]) for c in counts))
            query = (
                f"SELECT region, year, municipality_code, municipality_name, "
                f"{', '.join(counts)} FROM {table}"
            )
            pipeline = {
                (r[0], int(r[1]), r[2]): (r[3], *(int(v) for v in r[4:]))
                for r in con.sql(query).fetchall()
            }
            for key in sorted(baseline.keys() | pipeline.keys(), key=str):
                ours = baseline.get(key, (None, *[0] * len(counts)))
                theirs = pipeline.get(key, (None, *[0] * len(counts)))
                if ours != theirs:
                    shown = ", ".join(
                        f"{name} {b} vs {p}"
                        for name, b, p in zip(("name", *counts), ours, theirs, strict=True)
                        if b != p
                    )
                    differences.append(f"{table} {key}: baseline vs pipeline: {shown}")
    finally:
        workbook.close()
        con.close()
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="1.0 = national scale")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data")
    parser.add_argument(
        "--report", type=Path, help="write the results as markdown here (BENCHMARKS.md)"
    )
    parser.add_argument(
        "--notes", type=Path, help="markdown appended to the report (analysis, profile)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds; the median round is reported"
    )
    parser.add_argument(
        "--profile", type=Path, help="instead: profile a full and an incremental run into DIR"
    )
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    if args.profile:
        for path in profile(args.size, args.seed, args.data, args.profile):
            print(f"profile written: {path}")
        return 0
    rounds = run(args.size, args.seed, args.data, repeat=args.repeat)
    command = "make bench" + (f" REPEAT={args.repeat}" if args.repeat != 3 else "")
    text = report(rounds, args.size, args.data / "raw", command)
    if args.notes and args.notes.exists():
        text += "\n" + args.notes.read_text(encoding="utf-8")
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    return 0 if all(m.exit_code == 0 for ms in rounds.values() for m in ms) else 1


if __name__ == "__main__":
    sys.exit(main())
