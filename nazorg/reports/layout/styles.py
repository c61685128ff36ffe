"""Fonts, number formats and cell styles of the workbooks: one family, every style named
and sized (a style without a font name falls back to a serif font in LibreOffice)."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, Side

FONT_NAME = "Arial"
BODY_SIZE = 10
NOTE_SIZE = 9
TITLE_SIZE = 14
TABLE_TITLE_SIZE = 11

TITLE = Font(name=FONT_NAME, size=TITLE_SIZE, bold=True)
TABLE_TITLE = Font(name=FONT_NAME, size=TABLE_TITLE_SIZE, bold=True)
SUBTITLE = Font(name=FONT_NAME, size=NOTE_SIZE, italic=True)
BODY = Font(name=FONT_NAME, size=BODY_SIZE)
BOLD = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
NOTE = Font(name=FONT_NAME, size=NOTE_SIZE)
MUTED = Font(name=FONT_NAME, size=BODY_SIZE, italic=True, color="595959")
LINK = Font(name=FONT_NAME, size=BODY_SIZE, color="0563C1", underline="single")

#: Number formats by column kind. ``count`` cells are subject to small-cell shielding.
FORMATS: dict[str, str] = {
    "count": "#,##0",
    "int": "#,##0",
    "difference": "+#,##0;-#,##0;0",
    "share": "0%",
    "euro": "€ #,##0",
    "ratio": "0.00",
    "decimal": "0.0",
    "year": "0",
    "text": "General",
}
NUMERIC_KINDS = frozenset(FORMATS) - {"text"}

LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
LEFT_INDENT = Alignment(horizontal="left", vertical="top", wrap_text=True, indent=1)
HEADER_LEFT_INDENT = Alignment(horizontal="left", vertical="bottom", wrap_text=True, indent=1)
RIGHT = Alignment(horizontal="right", vertical="top")
RIGHT_WRAP = Alignment(horizontal="right", vertical="top", wrap_text=True)
HEADER_LEFT = Alignment(horizontal="left", vertical="bottom", wrap_text=True)
HEADER_RIGHT = Alignment(horizontal="right", vertical="bottom", wrap_text=True)
GROUP = Alignment(horizontal="center", vertical="bottom")

_THIN = Side(style="thin", color="808080")
HEADER_BORDER = Border(bottom=_THIN)
GROUP_BORDER = Border(bottom=_THIN)
TOTAL_BORDER = Border(top=_THIN)

#: Points of one line of text at the body size (row heights of wrapped cells).
LINE_HEIGHT = 13.0
NOTE_LINE_HEIGHT = 12.0
