"""Print set-up: A4, orientation by the sheet's width, margins, a footer, a readable
scale and page breaks that keep a table (with its title and notes) on one page.

Widths are in Excel's column units (about 7 pixels, 5.25 pt). A sheet that is narrow
enough prints portrait at 100%; wider ones landscape, shrunk at most to ``MIN_SCALE``.
A sheet wider than that is a layout error: its writer must lay the table out
differently (year blocks under each other), never shrink it to unreadable type.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

POINTS_PER_UNIT = (
    7.4  # a column unit as LibreOffice prints it without Calibri (DejaVu); Excel: about 5.3
)
MARGIN_SIDE_IN = 0.5
MARGIN_TOP_IN = 0.6
MARGIN_BOTTOM_IN = 0.8  # room for the footer
FOOTER_IN = 0.3
A4_PT = (595.0, 842.0)
MIN_SCALE = 70


class LayoutError(ValueError):
    """A sheet too wide to print readably on A4."""


@dataclass(frozen=True)
class PrintPlan:
    orientation: str  # "portrait" | "landscape"
    scale: int  # percent

    @property
    def page_height_pt(self) -> float:
        """Printable height of a page, in the sheet's own points (before scaling)."""
        height = A4_PT[1] if self.orientation == "portrait" else A4_PT[0]
        usable = height - 72 * (MARGIN_TOP_IN + MARGIN_BOTTOM_IN)
        return usable * 100 / self.scale


def printable_width_pt(orientation: str) -> float:
    width = A4_PT[0] if orientation == "portrait" else A4_PT[1]
    return width - 72 * 2 * MARGIN_SIDE_IN


def plan(width_units: float, *, strict: bool = False) -> PrintPlan:
    """Portrait when it fits, else landscape, else landscape scaled down (≥ MIN_SCALE).

    A sheet still wider prints at MIN_SCALE across more than one page wide (a nightly
    run does not fail on a layout), or raises LayoutError when ``strict``: the tests hold
    every sheet writer to laying its tables out so that this never happens."""
    needed = width_units * POINTS_PER_UNIT
    if needed <= printable_width_pt("portrait"):
        return PrintPlan("portrait", 100)
    landscape = printable_width_pt("landscape")
    if needed <= landscape:
        return PrintPlan("landscape", 100)
    scale = int(landscape / needed * 100)
    if scale < MIN_SCALE:
        if strict:
            raise LayoutError(
                f"{width_units:.0f} kolomeenheden breed: past alleen op {scale}% op A4 liggend"
            )
        return PrintPlan("landscape", MIN_SCALE)
    return PrintPlan("landscape", scale)


def set_up(
    ws: Worksheet, plan_: PrintPlan, *, region: str, run_date: str, title_rows: str | None
) -> None:
    """Paper, orientation, scale, margins, footer and the rows repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = plan_.orientation
    ws.page_setup.scale = plan_.scale
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE_IN
    ws.page_margins.top = MARGIN_TOP_IN
    ws.page_margins.bottom = MARGIN_BOTTOM_IN
    ws.page_margins.header = 0.3
    ws.page_margins.footer = FOOTER_IN
    ws.print_options.horizontalCentered = False
    footer = ws.oddFooter
    footer.left.text = f"{region} · &A"
    footer.center.text = "pagina &P van &N"
    footer.right.text = f"gemaakt {run_date}"
    for part in (footer.left, footer.center, footer.right):
        part.font = "Arial,Regular"
        part.size = 8
    if title_rows:
        ws.print_title_rows = title_rows


def page_breaks(
    ws: Worksheet,
    blocks: list[tuple[int, int]],
    heights: dict[int, float],
    plan_: PrintPlan,
    *,
    title_height: float = 0.0,
    default_height: float = 13.0,
) -> None:
    """A break before every block (first row, last row) that would straddle a page but
    fits on one: a table never starts at the foot of a page."""
    page = plan_.page_height_pt - title_height
    used = 0.0
    row = 1
    breaks = RowBreak()
    for first, last in blocks:
        while row < first:  # the gap before the block
            used += heights.get(row, default_height)
            row += 1
        size = sum(heights.get(r, default_height) for r in range(first, last + 1))
        if used + size > page and size <= page and first > 1:
            breaks.append(Break(id=first - 1))
            used = 0.0
        used += size
        while used > page:  # a block longer than a page runs on
            used -= page
        row = last + 1
    ws.row_breaks = breaks
