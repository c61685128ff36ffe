"""Regenerate the demo exports: ``python -m nazorg.demo [RAW_DIR]`` (default ``raw/``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from nazorg.demo import caseload as caseload_demo
from nazorg.demo import cohort, detentions, screening
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


def main(argv: list[str]) -> None:
    raw_dir = Path(argv[1]) if len(argv) > 1 else Path("raw")
    files = generate(raw_dir)
    print(f"{len(files)} demo-exports geschreven in {raw_dir}/")


if __name__ == "__main__":
    main(sys.argv)
