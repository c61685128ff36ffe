"""Manager workbooks: one Excel file per region, laid out like the evaluation reports and
fit to print on A4 (see docs/reports.md for the layout choices).

The package reads only the ``kpi`` and ``quality`` schemas of the published warehouse and
computes nothing new (a ``Totaal`` row is the sum of the rows shown).

- ``workbook``: which sheets, in which order; temporary name, rename, no stale files
- ``sheets/``: one module per sheet (``overview`` first)
- ``layout/``: the toolkit every sheet uses: styles, the table model and shielding, the
  sheet writer, print set-up, charts
- ``data``: the warehouse reader; ``columns``: the warehouse column names, in one place;
  ``labels``: every Dutch word for a code
"""

from nazorg.reports.data import Warehouse
from nazorg.reports.layout.tables import SECONDARY_MARK, shield
from nazorg.reports.sheets import SHEETS
from nazorg.reports.workbook import (
    DEFAULT_THRESHOLD,
    build_region_workbook,
    region_slug,
    workbook_path,
    write_region_workbooks,
)

SHEET_NAMES = ("Overzicht",) + tuple(m.NAME for m in SHEETS)

__all__ = [
    "DEFAULT_THRESHOLD",
    "SECONDARY_MARK",
    "SHEET_NAMES",
    "Warehouse",
    "build_region_workbook",
    "region_slug",
    "shield",
    "workbook_path",
    "write_region_workbooks",
]
