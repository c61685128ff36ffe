"""Models of the ``kpi`` tables (the output contract in warehouse.md)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel, region_field, share_field, year_complete_field, year_field


def _shares_sum_to_one(data, share: str = "share") -> pl.LazyFrame:
    """Per region and year the shares add up to 1 (within rounding)."""
    sums = data.lazyframe.group_by("region", "year").agg(pl.col(share).sum().alias("s"))
    return sums.select((pl.col("s") - 1).abs() < 1e-9)


class Outflow(TableModel):
    region: str = region_field()
    year: int = year_field(
        "Jaar van ontslag (jaar van Datum ontslag / Datum vertrek, niet van de melding)."
    )
    municipality_code: str = pa.Field(
        str_matches=r"^GM\d{4}$",
        description="CBS-code van de gemeente bij het laatste ontslag van de persoon in het jaar, zoals die gemeente op die datum bestond.",
    )
    municipality_name: str = pa.Field(
        description="Naam van die gemeente (historische naam als de gemeente toen nog bestond, bijvoorbeeld Bussum in 2013)."
    )
    persons: int = pa.Field(
        ge=1,
        description="Aantal unieke personen met ten minste één ontslag (Einde detentie / Ontslag; geen overplaatsing of verlof) in het jaar, geplaatst bij hun laatste ontslag.",
    )
    share: float = share_field(
        "Aandeel: persons gedeeld door het totaal van de regio in dat jaar (fractie 0–1, onafgerond)."
    )
    year_complete: bool = year_complete_field(
        "het jaar van ontslag",
        "de detentiegegevens van DPAN en JustID: eerste datum insluiting tot laatste melding of ontslag",
    )

    class Config:
        name = "kpi.outflow"
        description = "Uitstroom uit detentie per gemeente per jaar (Tabel 1, evaluatie Gooi en Vechtstreek): unieke personen met een ontslag in het jaar."

    @pa.dataframe_check(description="Aandelen tellen per regio en jaar op tot 1")
    def shares_sum_to_one(cls, data) -> pl.LazyFrame:
        return _shares_sum_to_one(data)
