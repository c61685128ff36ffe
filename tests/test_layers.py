"""The layer contract of pyproject.toml ([tool.importlinter]) is a check, not a drawing:
an import against the layers breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_an_import_against_the_layers_breaks_the_contract(tmp_path):
    for package in ("pipelines", "assets", "schemas", "nazorg"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    kept = lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout
    # ingestion reaching up into a source: the parse cache's old knot, the other way up
    shared = tmp_path / "nazorg" / "ingest" / "shared.py"
    shared.write_text(shared.read_text() + "\nfrom nazorg.sources import detentions  # noqa\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "nazorg.ingest is not allowed to import nazorg.sources" in broken.stdout
    assert "nazorg.ingest.shared -> nazorg.sources.detentions" in broken.stdout
