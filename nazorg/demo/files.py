"""Writing demo exports byte-for-byte reproducibly.

openpyxl stamps the current time into ``docProps/core.xml`` and every zip entry; the
demo workbooks are re-zipped with fixed times so that regenerating the demo data
changes nothing unless the data changed (the drift test compares bytes).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_STAMP = "2024-01-01T00:00:00Z"


def save_workbook(workbook: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + FIXED_STAMP.encode(),
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> None:
    """``;``-separated text as the exports come: ``utf-8``, ``utf-8-sig`` or ``cp1252``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(header)] + [
        ";".join("" if v is None else str(v) for v in row) for row in rows
    ]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def dutch_date(value) -> str:
    return value.strftime("%d-%m-%Y") if value else ""
