"""Regenerate the demo exports: ``python -m nazorg.demo [RAW_DIR]`` (default ``raw/``).

``python -m nazorg.demo --national [--size 1.0] [--seed 2024] DIR`` writes the
national-scale exports of the benchmark instead (:mod:`nazorg.demo.national`), with
every quirk of the real exports; ``--size`` scales every volume (1.0 = national).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from nazorg.demo import caseload as caseload_demo
from nazorg.demo import cohort, detentions, screening
from nazorg.demo.national import generate_national
from nazorg.demo.population import build_population

# Each writer renders one source from the same population, in a fixed order.
WRITERS = [
    detentions.write_dpan,
    detentions.write_justid,
    cohort.write_cohort,
    screening.write_screening,
    caseload_demo.write_caseload,
]

SOURCE_FOLDERS = ("justid", "dpan", "screening", "caseload", "cohort")


def generate(raw_dir: Path) -> list[Path]:
    """Write every demo export under ``raw_dir``, replacing earlier demo exports."""
    for folder in SOURCE_FOLDERS:
        shutil.rmtree(raw_dir / folder, ignore_errors=True)
    population = build_population()
    written: list[Path] = []
    for writer in WRITERS:
        written.extend(writer(population, raw_dir))
    return written


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nazorg.demo",
        description="Schrijf de demo-exports (standaard in raw/), of met --national de "
        "exports op landelijke schaal voor de benchmark.",
    )
    parser.add_argument("raw_dir", nargs="?", type=Path, help="doelmap (standaard raw/)")
    parser.add_argument(
        "--national",
        action="store_true",
        help="exports op landelijke schaal, met alle eigenaardigheden van echte exports",
    )
    parser.add_argument(
        "--size",
        type=float,
        help="schaal bij --national: 1.0 = landelijk (standaard), 0.01 = klein",
    )
    parser.add_argument("--seed", type=int, help="seed bij --national (standaard 2024)")
    return parser


def main(argv: list[str]) -> None:
    parser = _parser()
    args = parser.parse_args(argv[1:])
    if not args.national:
        if args.size is not None or args.seed is not None:
            parser.error("--size en --seed horen bij --national")
        raw_dir = args.raw_dir or Path("raw")
        files = generate(raw_dir)
        print(f"{len(files)} demo-exports geschreven in {raw_dir}/")
        return
    if args.raw_dir is None:
        # Never over the committed demo exports in raw/ by accident.
        parser.error("--national heeft een doelmap nodig, bijvoorbeeld bench/data/raw")
    size = 1.0 if args.size is None else args.size
    seed = 2024 if args.seed is None else args.seed
    if size <= 0:
        parser.error("--size moet groter dan 0 zijn")
    started = time.perf_counter()
    files = generate_national(args.raw_dir, size=size, seed=seed)
    print(
        f"{len(files)} exports op landelijke schaal (size {size:g}, seed {seed}) geschreven in "
        f"{args.raw_dir}/ in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main(sys.argv)
