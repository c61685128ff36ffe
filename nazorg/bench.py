"""The national-scale benchmark: ``make bench`` (``python -m nazorg.bench``).

1. Generates the national-scale exports once (``bench/data/raw``, reused while the
   generator's size and seed are unchanged).
2. Runs job ``nightly`` end to end as a user would (``dagster job execute``), from an
   empty warehouse, measuring wall time, the peak RSS of the whole process tree and the
   time per stage (``NAZORG_TIMINGS_FILE``, see :mod:`nazorg.timing`).
3. Adds one new daily JustID export of a few hundred rows and runs ``nightly`` again
   (the incremental run: unchanged files come from the parse cache).
4. Runs the naive baseline (pandas + openpyxl, :mod:`nazorg.bench_baseline`) on the same
   input, in the same invocation, so the ratio is measured on one machine at one time.
5. Writes the results to ``BENCHMARKS.md`` (``--report``) and prints them.

``--size 0.01`` gives the small smoke run the test suite uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from nazorg.demo.national import generate_national
from nazorg.timing import STAGES

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Measurement:
    label: str
    wall_seconds: float
    peak_rss_mib: float
    exit_code: int
    stages: dict[str, float] = field(default_factory=dict)


def measure(
    label: str, command: list[str], env: dict[str, str], timings: Path | None = None
) -> Measurement:
    """Run a command, sampling the RSS of its whole process tree every 20 ms."""
    timings and timings.unlink(missing_ok=True)
    start = time.perf_counter()
    # The job logs a lot: stderr goes to a file, a pipe would fill up and stall the job.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
    stages = json.loads(timings.read_text()) if timings and timings.exists() else {}
    return Measurement(label, wall, peak / 2**20, process.returncode, stages)


def ensure_data(folder: Path, size: float, seed: int) -> Path:
    raw = folder / "raw"
    stamp = folder / "generated.json"
    wanted = {"size": size, "seed": seed}
    if not (stamp.exists() and json.loads(stamp.read_text()) == wanted):
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        files = generate_national(raw, size=size, seed=seed)
        print(f"generated {len(files)} files in {time.perf_counter() - started:.1f} s")
        stamp.write_text(json.dumps(wanted))
    return raw


def add_daily_export(raw: Path, rows: int = 300) -> Path:
    """A new JustID daily export: releases of persons seen before (a few hundred rows)."""
    source = sorted((raw / "justid").rglob("*.csv"))[-1]
    lines = source.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1 : rows + 1]
    daily = [line.replace("JN", "JD", 1) for line in body]
    path = raw / "justid" / "dagelijks" / "justid_2023-01-02.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *daily]) + "\n", encoding="utf-8")
    return path


def run(
    size: float, seed: int, data_dir: Path, keep_warehouse: bool = False
) -> dict[str, Measurement]:
    raw = ensure_data(data_dir, size, seed)
    work = Path(tempfile.mkdtemp(prefix="nazorg-bench-"))
    timings = work / "timings.json"
    dagster_home = work / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = os.environ | {
        "NAZORG_RAW_DIR": str(raw),
        "NAZORG_WAREHOUSE": str(work / "warehouse" / "nazorg.duckdb"),
        "NAZORG_REPORTS_DIR": str(work / "reports"),
        "NAZORG_TIMINGS_FILE": str(timings),
        "DAGSTER_HOME": str(dagster_home),
    }
    dagster = str(Path(sys.executable).with_name("dagster"))
    job = [dagster, "job", "execute", "-m", "pipelines", "-j", "nightly"]
    results = {"full": measure("nightly, full run from an empty warehouse", job, env, timings)}
    daily = add_daily_export(raw)
    try:
        results["incremental"] = measure(
            "nightly after one new daily JustID export", job, env, timings
        )
    finally:
        daily.unlink()
    baseline = [
        sys.executable,
        "-m",
        "nazorg.bench_baseline",
        str(raw),
        str(work / "baseline.xlsx"),
    ]
    results["baseline"] = measure(
        "naive baseline: pandas + openpyxl, outflow and caseload only", baseline, env
    )
    if not keep_warehouse:
        shutil.rmtree(work, ignore_errors=True)
    return results


def volumes(raw: Path) -> dict[str, str]:
    def count(pattern: str) -> int:
        return len(list(raw.rglob(pattern)))

    notification_rows = sum(
        sum(1 for _ in p.open(encoding="utf-8", errors="replace")) - 1
        for p in (raw / "justid").rglob("*.csv")
    )
    return {
        "JustID notification rows": f"{notification_rows:,}",
        "JustID files": str(count("justid/**/*.csv")),
        "case-registration workbooks": str(len(list((raw / "caseload").rglob("*.xlsx")))),
        "screening files": str(len(list((raw / "screening").rglob("*.csv")))),
        "cohort follow-ups": str(len(list((raw / "cohort").rglob("*.xlsx")))),
    }


def report(results: dict[str, Measurement], size: float, raw: Path, command: str) -> str:
    full, incremental, baseline = results["full"], results["incremental"], results["baseline"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.node() or 'this machine'}: "
        f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}.",
        "",
        f"Command: `{command}` (size {size}).",
        "",
        "Input:",
        "",
        *[f"- {k}: {v}" for k, v in volumes(raw).items()],
        "",
        "| run | wall (s) | peak RSS, process tree (MiB) | exit |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {m.label} | {m.wall_seconds:.1f} | {m.peak_rss_mib:.0f} | {m.exit_code} |"
            for m in results.values()
        ],
        "",
        f"Pipeline vs naive baseline, end to end: **{baseline.wall_seconds / full.wall_seconds:.1f}×** faster "
        "(the baseline computes only two of the KPIs and validates nothing).",
        "",
        "Time per stage (seconds, summed over the run's assets; the rest is Dagster start-up and step overhead):",
        "",
        "| stage | full | incremental |",
        "| --- | ---: | ---: |",
        *[
            f"| {s} | {full.stages.get(s, 0):.2f} | {incremental.stages.get(s, 0):.2f} |"
            for s in STAGES
        ],
        f"| other (start-up, Dagster) | {full.wall_seconds - sum(full.stages.values()):.2f} | "
        f"{incremental.wall_seconds - sum(incremental.stages.values()):.2f} |",
        "",
        "Targets (issue 8): full run ≤ 20 s and ≤ 2 GiB; ≥ 5× the baseline; incremental ≤ 8 s.",
        "",
    ]
    return "\n".join(lines)


# --- Does the baseline compute the same figures? (not part of any measured run) -------

# baseline sheet -> (warehouse table, counts compared)
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


def agreement(baseline_xlsx: Path, warehouse: Path) -> str:
    """The benchmark's line on whether the ratio compares equal results."""
    differences = compare_with_warehouse(baseline_xlsx, warehouse)
    verdict = "no" if differences else "yes"
    return f"baseline agrees with the pipeline: {verdict} ({len(differences)} differences)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="1.0 = national scale")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--data", type=Path, default=REPO / "bench" / "data")
    parser.add_argument(
        "--report", type=Path, help="write the results as markdown here (BENCHMARKS.md)"
    )
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    results = run(args.size, args.seed, args.data)
    text = report(results, args.size, args.data / "raw", "make bench")
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    return 0 if all(m.exit_code == 0 for m in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
