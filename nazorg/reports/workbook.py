"""One workbook per region: the Overzicht, then every sheet that has data for the
region, written under a temporary name and renamed into place; workbooks of regions that
no longer have data are removed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from openpyxl import Workbook

from nazorg.reports.data import Warehouse
from nazorg.reports.layout.sheet import SheetContext, SheetWriter
from nazorg.reports.report import Report, region_slug
from nazorg.reports.sheets import SHEETS, overview

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEFAULT_THRESHOLD = 5
PREFIX = "kpi_"


def workbook_path(reports_dir: Path, region: str) -> Path:
    return Path(reports_dir) / f"{PREFIX}{region_slug(region)}.xlsx"


def context(region: str, threshold: int, run_time: dt.datetime | None) -> SheetContext:
    moment = (run_time or dt.datetime.now(dt.UTC)).astimezone(AMSTERDAM)
    return SheetContext(
        region=region,
        threshold=threshold,
        run_date=moment.strftime("%d-%m-%Y %H:%M"),
        run_day=moment.strftime("%d-%m-%Y"),
    )


def build_region_workbook(
    data: Warehouse,
    region: str,
    *,
    suppression_threshold: int = DEFAULT_THRESHOLD,
    run_time: dt.datetime | None = None,
) -> Workbook:
    """The Overzicht and every sheet with data for the region, in order."""
    report = Report(region, data, context(region, suppression_threshold, run_time))
    wb = Workbook()
    first = wb.active
    first.title = overview.NAME
    present, left_out = [], []
    for module in SHEETS:
        reason = module.absent(report)
        if reason is None:
            present.append(module)
        else:
            left_out.append((module, reason))
    for module in present:
        sw = SheetWriter(wb.create_sheet(module.NAME), report.ctx)
        sw.heading(f"{module.NAME} — {region}", _heading_line(report))
        module.write(sw, report)
        sw.finish()
    sw = SheetWriter(first, report.ctx)
    sw.heading(f"Nazorg ex-gedetineerden — {region}", _heading_line(report))
    overview.write(sw, report, present, left_out)
    sw.finish()
    wb.properties.title = f"Nazorg ex-gedetineerden — {region}"
    wb.properties.creator = "nazorg-platform"
    return wb


def _heading_line(report: Report) -> str:
    until = overview.data_until(report)
    shielded = (
        f"kleine aantallen afgeschermd (<{report.ctx.threshold})"
        if report.ctx.threshold
        else "kleine aantallen niet afgeschermd"
    )
    data = f"gegevens t/m {until.strftime('%d-%m-%Y')}; " if until else ""
    return f"{data}gemaakt {report.ctx.run_date}; {shielded}."


def save_atomic(wb: Workbook, path: Path) -> None:
    """Write next to the target under a temporary name, then rename over it: a reader
    never opens a half-written workbook."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_region_workbooks(
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    *,
    suppression_threshold: int = DEFAULT_THRESHOLD,
    run_time: dt.datetime | None = None,
) -> list[Path]:
    """Write ``kpi_<region-slug>.xlsx`` for every region in the kpi tables and remove the
    workbooks of regions that are no longer there. Returns the paths written."""
    if suppression_threshold < 0:
        raise ValueError("suppression_threshold is 0 (off) or a positive number")
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    data = Warehouse(con)
    written = []
    for region in data.regions():
        wb = build_region_workbook(
            data, region, suppression_threshold=suppression_threshold, run_time=run_time
        )
        path = workbook_path(reports_dir, region)
        save_atomic(wb, path)
        written.append(path)
    for stale in reports_dir.glob(f"{PREFIX}*.xlsx"):
        if stale not in written:
            stale.unlink()
    return written
