"""What every table model shares."""

from __future__ import annotations

import pandera.polars as pa


class TableModel(pa.DataFrameModel):
    """Base: strict columns, coercion, and a ``table`` name (schema.table) per model."""

    class Config:
        strict = True
        coerce = True

    @classmethod
    def table(cls) -> str:
        return cls.Config.name  # type: ignore[attr-defined]

    @classmethod
    def descriptions(cls) -> tuple[str, dict[str, str]]:
        schema = cls.to_schema()
        return schema.description or "", {
            name: column.description or "" for name, column in schema.columns.items()
        }
