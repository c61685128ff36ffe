"""The sheet writer every sheet uses: a heading, then tables (title, subtitle, header,
body, source line, footnotes, shielding legend) and charts below each other, and at the
end the column widths, row heights of wrapped text and the print set-up.

Widths are measured from the cells; text that is longer than its column wraps, and the
height of every wrapped row is set (LibreOffice and Excel do not grow a row in print).
Headers wrap between words only: a column is at least as wide as its longest word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from openpyxl.chart import BarChart
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from nazorg.reports.layout import page, styles
from nazorg.reports.layout.tables import Table, is_number, shield, shield_legend

MAX_TEXT_WIDTH = 34  # a text column wider than this wraps
MIN_WIDTH = 7
PARAGRAPH_WIDTH = 66  # notes span at least this many units (A4 portrait: 68)
CHARS_PER_UNIT = {styles.BODY_SIZE: 1.1, styles.NOTE_SIZE: 1.22, styles.TABLE_TITLE_SIZE: 0.95}
CM_TO_PT = 28.35


@dataclass(frozen=True)
class SheetContext:
    """What every sheet of a workbook shares."""

    region: str
    threshold: int  # small-cell shielding; 0 = off
    run_date: str  # dd-mm-jjjj uu:mm, Amsterdam time
    run_day: str  # dd-mm-jjjj


@dataclass
class Placed:
    """Where a table landed (Excel rows, 1-based)."""

    header_row: int
    first_row: int
    last_row: int
    first_col: int = 1


@dataclass
class _Wrapped:
    row: int
    first_col: int
    last_col: int | None  # None: to the paragraph width
    text: str
    size: int


@dataclass
class SheetWriter:
    ws: Worksheet
    ctx: SheetContext
    row: int = 1
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    blocks: list[tuple[int, int]] = field(default_factory=list)
    wrapped: list[_Wrapped] = field(default_factory=list)
    title_rows: str | None = None
    fixed: dict[int, float] = field(default_factory=dict)
    header_rows: dict[int, int] = field(default_factory=dict)  # block start -> header row
    long_table_header: str | None = None

    # ------------------------------------------------------------------ text

    def heading(self, title: str, subtitle: str) -> None:
        """The sheet's title and one line under it; both repeat on every printed page."""
        self.ws.cell(1, 1, title).font = styles.TITLE
        self.heights[1] = 20.0
        self._paragraph(2, subtitle, styles.SUBTITLE)
        self.title_rows = "1:2"
        self.row = 4

    def paragraph(self, text: str, font=styles.NOTE) -> None:
        self._paragraph(self.row, text, font)
        self.row += 1

    def _paragraph(self, row: int, text: str, font) -> None:
        cell = self.ws.cell(row, 1, text)
        cell.font = font
        cell.alignment = styles.LEFT
        self.wrapped.append(_Wrapped(row, 1, None, text, int(font.sz)))

    def gap(self, rows: int = 1) -> None:
        self.row += rows

    def label_value(self, label: str, value: Any, *, bold: bool = False, fmt: str | None = None):
        """A line of two cells (the Overzicht): a label and its value."""
        a = self.ws.cell(self.row, 1, label)
        a.font = styles.BOLD if bold else styles.BODY
        a.alignment = styles.LEFT
        b = self.ws.cell(self.row, 2, value)
        b.font = styles.BODY
        b.alignment = styles.LEFT
        if fmt:
            b.number_format = fmt
        self.wrapped.append(_Wrapped(self.row, 1, 1, str(label), styles.BODY_SIZE))
        self.wrapped.append(_Wrapped(self.row, 2, None, str(value), styles.BODY_SIZE))
        self.row += 1
        return a, b

    # ------------------------------------------------------------------ tables

    def table(
        self,
        table: Table,
        *,
        title: str,
        subtitle: str,
        source: str,
        notes: tuple[str, ...] | list[str] = (),
        shielded: bool = True,
    ) -> Placed:
        """A table with its title, subtitle, source line and footnotes, kept together on
        one printed page; counts shielded first (when on and the table has counts)."""
        if shielded and self.ctx.threshold:
            shield(table, self.ctx.threshold)
        ws = self.ws
        start = self.row
        cell = ws.cell(self.row, 1, title)
        cell.font = styles.TABLE_TITLE
        self.heights[self.row] = 16.0
        self.row += 1
        self.paragraph(subtitle, styles.SUBTITLE)
        if table.groups:
            for text, first, span in table.groups:
                c = ws.cell(self.row, first + 1, text)
                c.font = styles.BOLD
                c.alignment = styles.GROUP
                for col in range(first + 1, first + span + 1):
                    ws.cell(self.row, col).border = styles.GROUP_BORDER
                if span > 1:
                    ws.merge_cells(
                        start_row=self.row,
                        start_column=first + 1,
                        end_row=self.row,
                        end_column=first + span,
                    )
            self.row += 1
        header_row = self.row
        for ci, header in enumerate(table.headers):
            c = ws.cell(header_row, ci + 1, header)
            c.font = styles.BOLD
            c.border = styles.HEADER_BORDER
            numeric = table.kinds[ci] in styles.NUMERIC_KINDS
            # text after the first column is indented: it never touches a number on its left
            c.alignment = (
                styles.HEADER_RIGHT
                if numeric
                else styles.HEADER_LEFT_INDENT
                if ci
                else styles.HEADER_LEFT
            )
            longest = max((len(w) for w in header.split()), default=0)
            self._width(ci + 1, max(longest + 2, min(len(header) + 1, 10)))
            self.wrapped.append(_Wrapped(header_row, ci + 1, ci + 1, header, styles.BODY_SIZE))
        for ri, values in enumerate(table.rows):
            r = header_row + 1 + ri
            bold = ri in table.bold_rows
            for ci, value in enumerate(values):
                self._body_cell(r, ci + 1, value, table.kind((ri, ci)), bold)
                if ri in table.total_rows:
                    ws.cell(r, ci + 1).border = styles.TOTAL_BORDER
        last = header_row + len(table.rows)
        self.row = last + 1
        self.paragraph(source)
        for note in notes:
            self.paragraph(note)
        if table.shielded:
            self.paragraph(shield_legend(self.ctx.threshold))
        self.blocks.append((start, self.row - 1))
        self.header_rows[start] = header_row
        self.row += 1
        return Placed(header_row, header_row + 1, last)

    def _body_cell(self, row: int, col: int, value: Any, kind: str, bold: bool) -> None:
        cell = self.ws.cell(row, col)
        cell.font = styles.BOLD if bold else styles.BODY
        if is_number(value):
            if kind == "share" and 0 < abs(value) < 0.005:
                cell.value = "<1%"  # not zero, but it would read 0%
                cell.alignment = styles.RIGHT
                self._width(col, 5)
                return
            cell.value = value
            cell.number_format = styles.FORMATS[kind]
            cell.alignment = styles.RIGHT
            self._width(col, _number_width(value, kind))
            return
        cell.value = value
        if value is None:
            return
        text = str(value)
        if kind in styles.NUMERIC_KINDS:  # '-', '<5', 'x', 'niet geregistreerd'
            if " " in text:  # words wrap rather than widen a column of numbers
                cell.alignment = styles.RIGHT_WRAP
                self._width(col, max(len(w) for w in text.split()) + 2)
                self.wrapped.append(_Wrapped(row, col, col, text, styles.BODY_SIZE))
                return
            cell.alignment = styles.RIGHT
            self._width(col, len(text) + 2)
            return
        cell.alignment = styles.LEFT_INDENT if col > 1 else styles.LEFT
        self._width(col, min(len(text) + (3 if col > 1 else 2), MAX_TEXT_WIDTH))
        self.wrapped.append(_Wrapped(row, col, col, text, styles.BODY_SIZE))

    def _width(self, col: int, width: float) -> None:
        self.widths[col] = max(self.widths.get(col, MIN_WIDTH), width)

    def min_width(self, col: int, width: float) -> None:
        self._width(col, width)

    def fix_width(self, col: int, width: float) -> None:
        """A column exactly this wide (its text wraps), whatever its cells hold."""
        self.fixed[col] = width

    # ------------------------------------------------------------------ charts

    def chart(self, chart: BarChart, *, width_cm: float = 16.0, height_cm: float = 7.5) -> None:
        chart.width = width_cm
        chart.height = height_cm
        self.ws.add_chart(chart, f"A{self.row}")
        rows = math.ceil(height_cm * CM_TO_PT / styles.LINE_HEIGHT) + 1
        self.blocks.append((self.row, self.row + rows - 1))
        for r in range(self.row, self.row + rows):
            self.heights.setdefault(r, styles.LINE_HEIGHT)
        self.row += rows + 1

    # ------------------------------------------------------------------ finish

    def finish(self) -> page.PrintPlan:
        """Column widths, heights of wrapped rows, print set-up and page breaks."""
        ws = self.ws
        self.widths.update(self.fixed)
        table_width = sum(self.widths.values())
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = round(width, 1)
        columns = max(self.widths, default=1)
        paragraph_cols = columns
        width = sum(self.widths.get(c, MIN_WIDTH) for c in range(1, columns + 1))
        while width < PARAGRAPH_WIDTH and paragraph_cols < columns + 6:
            paragraph_cols += 1
            extra = max(0.0, min(PARAGRAPH_WIDTH - width, 14.0))
            ws.column_dimensions[get_column_letter(paragraph_cols)].width = round(extra, 1)
            self.widths.setdefault(paragraph_cols, extra)
            width += extra
        for w in self.wrapped:
            last = paragraph_cols if w.last_col is None else w.last_col
            span = sum(self.widths.get(c, MIN_WIDTH) for c in range(w.first_col, last + 1))
            if w.last_col is None and last > w.first_col:
                ws.merge_cells(
                    start_row=w.row, start_column=w.first_col, end_row=w.row, end_column=last
                )
            lines = _lines(w.text, span * CHARS_PER_UNIT.get(w.size, 1.0))
            line = styles.LINE_HEIGHT if w.size >= styles.BODY_SIZE else styles.NOTE_LINE_HEIGHT
            self.heights[w.row] = max(self.heights.get(w.row, 0.0), lines * line + 2)
        # Every row gets its height, empty ones too: an empty row is otherwise as high as
        # the default font of the application, and the page breaks are counted in points.
        for row in range(1, max(self.row, max(self.heights, default=1)) + 1):
            ws.row_dimensions[row].height = round(self.heights.get(row, styles.LINE_HEIGHT), 1)
        plan = page.plan(max(table_width, width))
        title_height = sum(self.heights.get(r, styles.LINE_HEIGHT) for r in (1, 2))
        if self.blocks and self.blocks[0][0] in self.header_rows:
            # The sheet's first table runs over more than a page: its title and column
            # headers repeat on every page, with the sheet's heading above them.
            first, last = self.blocks[0]
            size = sum(self.heights.get(r, styles.LINE_HEIGHT) for r in range(1, last + 1))
            if size > plan.page_height_pt:
                header = self.header_rows[first]
                self.title_rows = f"1:{header}"
                title_height = sum(
                    self.heights.get(r, styles.LINE_HEIGHT) for r in range(1, header + 1)
                )
        page.set_up(
            ws,
            plan,
            region=self.ctx.region,
            run_date=self.ctx.run_date,
            title_rows=self.title_rows,
        )
        page.page_breaks(ws, self.blocks, self.heights, plan, title_height=title_height)
        ws.sheet_view.showGridLines = False
        return plan


def _lines(text: str, chars_per_line: float) -> int:
    """Lines ``text`` takes when wrapped between words at ``chars_per_line``."""
    chars_per_line = max(chars_per_line, 4)
    total = 0
    for part in str(text).split("\n"):
        line, count = 0, 1
        for word in part.split():
            need = len(word) if line == 0 else line + 1 + len(word)
            if need > chars_per_line and line:
                count += 1
                line = len(word)
            else:
                line = need
        total += count
    return total


def _number_width(value: float, kind: str) -> int:
    """Characters a number takes on display in a column of ``kind``."""
    if kind == "share":
        return 6
    if kind in ("ratio", "decimal"):
        return len(f"{value:,.2f}") + 2
    if kind == "year":
        return len(str(value)) + 2
    return len(f"{value:,.0f}") + (4 if kind in ("euro", "difference") else 2)
