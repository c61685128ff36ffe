"""Reports: one manager workbook per region, written from the published warehouse.

The workbooks are the last step of ``nightly``: they read only the ``kpi`` and
``quality`` schemas of the file that was just published (never a work file, never
staging), so a workbook always matches what analysts see.
"""

import datetime as dt
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import dagster as dg
import duckdb

from assets.resources import PUBLISHED_KEY, NazorgWarehouse
from nazorg.timing import stage


class WorkbookConfig(dg.Config):
    """Small-cell shielding: a count below the threshold is shown as ``<N``. On by
    default (5); ``NAZORG_SUPPRESSION_THRESHOLD=0`` (or run config 0) switches it off
    for internal use. Run config wins over the environment."""

    suppression_threshold: int | None = None


DEFAULT_THRESHOLD = 5  # as nazorg.reports.DEFAULT_THRESHOLD (not imported: openpyxl)


def shielding_threshold(configured: int | None, environment: str | None) -> int:
    """Run config, else ``NAZORG_SUPPRESSION_THRESHOLD``, else on at 5; 0 is off."""
    if configured is not None:
        return configured
    if environment is not None and environment.strip():
        return int(environment)
    return DEFAULT_THRESHOLD


@dg.asset(
    key=["reports", "region_workbooks"],
    group_name="reports",
    deps=[PUBLISHED_KEY],
    description=(
        "Eén Excel-werkmap per regio (kpi_<regio>.xlsx in NAZORG_REPORTS_DIR) voor "
        "managers, geschreven uit het zojuist gepubliceerde warehouse (alleen kpi en "
        "quality)."
    ),
)
def region_workbooks(
    context: dg.AssetExecutionContext, config: WorkbookConfig, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One workbook per region: ``kpi_<region-slug>.xlsx`` in NAZORG_REPORTS_DIR."""
    settings = nazorg.settings()
    threshold = shielding_threshold(
        config.suppression_threshold, os.environ.get("NAZORG_SUPPRESSION_THRESHOLD")
    )
    # openpyxl is imported here, not when the definitions load: every run (and every
    # sensor tick of the daemon) would otherwise pay for it before doing anything.
    from nazorg.reports import write_region_workbooks

    with stage("reports"), duckdb.connect(str(settings.warehouse), read_only=True) as con:
        paths = write_region_workbooks(
            con,
            settings.reports_dir,
            suppression_threshold=threshold,
            run_time=dt.datetime.now(dt.UTC),
        )
    # One message: every message is an event Dagster stores.
    context.log.info(where_to_find(settings.warehouse, paths))
    return dg.MaterializeResult(
        metadata={"workbooks": [str(p) for p in paths], "suppression_threshold": threshold or 0}
    )


def _shown(path: Path) -> str:
    """A path as a person types it here: relative to the working folder when inside it."""
    path = Path(path).absolute()
    try:
        return shlex.quote(path.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return shlex.quote(str(path))


def open_workbook_command() -> str:
    """The desktop's opener, else LibreOffice, else (a server) xdg-open all the same."""
    for command in ("xdg-open", "libreoffice --calc", "soffice --calc"):
        if shutil.which(command.split()[0]):
            return command
    return "xdg-open"


def open_warehouse_command(warehouse: Path) -> str:
    """The DuckDB command-line client of the environment (``duckdb-cli``, which reads the
    published file's storage version), read-only; else an interactive Python with a
    read-only connection ``con``."""
    cli = Path(sys.executable).with_name("duckdb")
    if cli.exists():
        return f"{_shown(cli)} -readonly {_shown(Path(warehouse))}"
    python = _shown(Path(sys.executable))
    target = json.dumps(str(Path(warehouse).absolute()))
    code = (
        f"import duckdb; con = duckdb.connect({target}, read_only=True); "
        'con.sql("SHOW ALL TABLES").show()'
    )
    return f"{python} -i -c {shlex.quote(code)}"


def where_to_find(warehouse: Path, workbooks: list[Path]) -> str:
    """The run's last message: where the results are and the command that opens each."""
    lines = [
        f"Warehouse: {_shown(warehouse)}",
        f"    openen (alleen-lezen): {open_warehouse_command(warehouse)}",
    ]
    opener = open_workbook_command()
    for path in workbooks:
        lines.append(f"Rapportage geschreven: {_shown(path)}")
        lines.append(f"    openen: {opener} {_shown(path)}")
    if not workbooks:
        lines.append("Geen rapportages geschreven (geen regio met cijfers).")
    return "\n".join(lines)
