"""Native Excel charts: bars for a category over one measure, and the tornado of the
MKBA sensitivity. Fonts are named and sized like the cells; titles short enough not to
be cut off; time runs left to right (the caller passes categories oldest first)."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.legend import Legend
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Font,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.worksheet.worksheet import Worksheet

from nazorg.reports.layout.styles import FONT_NAME


def _text(size_pt: int, bold: bool = False) -> RichText:
    props = CharacterProperties(latin=Font(typeface=FONT_NAME), sz=size_pt * 100, b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _title(text: str, size_pt: int, bold: bool) -> Title:
    """A title in the workbook's font and a size that leaves room for the plot."""
    props = CharacterProperties(latin=Font(typeface=FONT_NAME), sz=size_pt * 100, b=bold)
    run = RegularTextRun(rPr=props, t=text)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def bar_chart(
    title: str, value_title: str, *, horizontal: bool = False, number_format: str = "#,##0"
) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = _title(title, 11, True)
    chart.style = 2
    chart.y_axis.title = _title(value_title, 9, False)
    chart.y_axis.numFmt = number_format
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.txPr = _text(9)
    chart.y_axis.txPr = _text(9)
    chart.legend = None
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first category on top
    return chart


def add_series(
    chart: BarChart, ws: Worksheet, col: int, first_row: int, last_row: int, title: str
) -> None:
    ref = Reference(ws, min_col=col, min_row=first_row, max_row=last_row)
    chart.series.append(Series(ref, title=title))


def categories(chart: BarChart, ws: Worksheet, col: int, first_row: int, last_row: int) -> None:
    chart.set_categories(Reference(ws, min_col=col, min_row=first_row, max_row=last_row))


def data_labels(chart: BarChart, number_format: str) -> None:
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.showSerName = False
    chart.dataLabels.showCatName = False
    chart.dataLabels.showLegendKey = False
    chart.dataLabels.showPercent = False
    chart.dataLabels.numFmt = number_format
    chart.dataLabels.txPr = _text(8)


def tornado(
    ws: Worksheet,
    title: str,
    base: float,
    label_col: int,
    low_col: int,
    high_col: int,
    first_row: int,
    last_row: int,
) -> BarChart:
    """Horizontal bars of the ratio at the low and at the high value of every assumption,
    drawn from the ratio at the report's values (where the category axis crosses), the
    widest swing on top (the caller sorts the rows)."""
    chart = bar_chart(title, "Baten-kostenverhouding", horizontal=True, number_format="0.0")
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    add_series(chart, ws, low_col, first_row, last_row, "Lage waarde")
    add_series(chart, ws, high_col, first_row, last_row, "Hoge waarde")
    categories(chart, ws, label_col, first_row, last_row)
    chart.x_axis.crossesAt = base  # bars start at the ratio with the report's values
    chart.x_axis.tickLblPos = "low"  # labels at the left edge, not on the bars
    legend(chart)
    return chart


def legend(chart: BarChart) -> None:
    """A legend under the plot, in the workbook's font."""
    chart.legend = Legend()
    chart.legend.position = "b"
    chart.legend.txPr = _text(9)


def stacked_shares(
    ws: Worksheet,
    title: str,
    series: list[tuple[int, str]],
    label_col: int,
    first_row: int,
    last_row: int,
) -> BarChart:
    """Columns of 100% per category (a year), stacked from the share columns ``series``
    (column, name), the first series at the bottom; a legend under the plot. Shares,
    not counts, so that a shielded count (blank share) leaves a gap instead of a
    wrong bar."""
    chart = bar_chart(title, "Aandeel", number_format="0%")
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    for col, name in series:
        add_series(chart, ws, col, first_row, last_row, name)
    categories(chart, ws, label_col, first_row, last_row)
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.majorUnit = 0.25
    legend(chart)
    return chart
