"""Asset checks: every table against its Pandera model, plus business expectations.

Pandera runs on the pseudonymised table in the work file (never on a frame that still
holds a BSN), eagerly and lazily (all failures at once); failure cases go into the
check's metadata as a table, not one opaque string.
"""

import dagster as dg
import pandera.polars as pa
import polars as pl

from nazorg.timing import stage
from nazorg.warehouse import table_exists
from pipelines.resources import NazorgWarehouse
from schemas.base import TableModel

MAX_FAILURE_ROWS = 20


def _failure_metadata(errors: pa.errors.SchemaErrors) -> dict:
    cases = errors.failure_cases
    summary = (
        cases.group_by("column", "check")
        .agg(pl.len().alias("failures"))
        .sort("failures", descending=True)
    )
    return {
        "failures": int(cases.height),
        # Names of columns and checks only, never values: this text is also logged.
        "summary": "; ".join(
            f"{column or 'tabel'}: {check} ({n}x)" for column, check, n in summary.iter_rows()
        ),
        "failing_checks": dg.MetadataValue.md(_markdown(summary)),
        "failure_cases": dg.MetadataValue.md(_markdown(cases.head(MAX_FAILURE_ROWS))),
    }


def _markdown(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.rows()
    ]
    return "\n".join([header, rule, *body])


def validate_table(con, model: type[TableModel]) -> dg.AssetCheckResult:
    table = model.table()
    if not table_exists(con, table):
        return dg.AssetCheckResult(passed=False, metadata={"reason": f"tabel {table} ontbreekt"})
    frame = con.sql(f"SELECT * FROM {table}").pl()
    try:
        with stage("validate"):
            model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return dg.AssetCheckResult(
            passed=False, metadata={"rows": frame.height, **_failure_metadata(errors)}
        )
    return dg.AssetCheckResult(passed=True, metadata={"rows": frame.height})


def all_models() -> list[type[TableModel]]:
    """Every table model defined in ``schemas`` (imported so they register)."""
    import importlib
    import pkgutil

    import schemas

    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"schemas.{module.name}")
    found, todo = [], list(TableModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if "name" in vars(model.Config):
            found.append(model)
    return sorted(found, key=lambda m: m.table())


def schema_checks(assets_defs: list[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Pandera checks for every model whose table is an asset of these definitions.

    Each table has its own blocking check ``matches_schema``, but the checks run in a
    few steps rather than one step per table (every step costs Dagster overhead, and
    the nightly run has dozens of tables): one step per *generation* of the asset graph,
    i.e. per set of tables none of which depends on another, so that a step never waits
    for a table that itself waits for the step.
    """
    deps = {key: set(a.asset_deps.get(key, ())) for a in assets_defs for key in a.keys}
    generation: dict[dg.AssetKey, int] = {}

    def level(key: dg.AssetKey) -> int:
        if key not in generation:
            generation[key] = 1 + max((level(d) for d in deps[key] if d in deps), default=-1)
        return generation[key]

    groups: dict[int, list[type[TableModel]]] = {}
    for model in all_models():
        key = dg.AssetKey(model.table().split("."))
        if key in deps:
            groups.setdefault(level(key), []).append(model)
    return [_generation_check(g, models) for g, models in sorted(groups.items())]


def _generation_check(generation: int, models: list[type[TableModel]]) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            "matches_schema",
            asset=dg.AssetKey(m.table().split(".")),
            blocking=True,
            description=f"{m.table()} voldoet aan het Pandera-model {m.__name__}.",
        )
        for m in models
    ]

    @dg.multi_asset_check(specs=specs, name=f"tables_match_schemas_{generation}")
    def _check(context: dg.AssetCheckExecutionContext, nazorg: NazorgWarehouse):
        with nazorg.connect(context.run.run_id) as con:
            for model in models:
                key = dg.AssetKey(model.table().split("."))
                if dg.AssetCheckKey(key, "matches_schema") not in context.selected_asset_check_keys:
                    continue
                result = validate_table(con, model)
                if not result.passed:
                    why = result.metadata.get("summary") or result.metadata.get("reason")
                    context.log.error(
                        f"Blokkerende controle {model.table()} matches_schema faalt "
                        f"(Pandera-model {model.__name__}): {getattr(why, 'value', why)}. "
                        "Er wordt niet gepubliceerd."
                    )
                yield dg.AssetCheckResult(
                    asset_key=key, check_name="matches_schema", passed=result.passed, metadata=result.metadata
                )

    return _check


def sql_check(
    asset: str,
    name: str,
    description: str,
    query: str,
    *,
    blocking: bool,
) -> dg.AssetChecksDefinition:
    """A business expectation as SQL that returns the offending rows (none = pass)."""

    @dg.asset_check(
        asset=dg.AssetKey(asset.split(".")),
        name=name,
        blocking=blocking,
        description=description,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, nazorg: NazorgWarehouse
    ) -> dg.AssetCheckResult:
        with nazorg.connect(context.run.run_id) as con:
            offending = con.sql(query).pl()
        metadata = {"offending_rows": offending.height}
        if offending.height:
            metadata["examples"] = dg.MetadataValue.md(_markdown(offending.head(MAX_FAILURE_ROWS)))
            (context.log.error if blocking else context.log.warning)(
                f"{'Blokkerende c' if blocking else 'C'}ontrole {asset}.{name} faalt: "
                f"{description} ({offending.height} rijen)"
                + (". Er wordt niet gepubliceerd." if blocking else "")
            )
        return dg.AssetCheckResult(
            passed=offending.height == 0,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    return _check


# --- Totals that must agree between tables (issue 7) ------------------------------------

# (asset, check name, description, SQL returning the offending rows, blocking)
CROSS_TABLE_CHECKS = (
    (
        "kpi.coordination",
        "denominators_match_outflow_and_caseload",
        "De noemers outflow en caseload zijn per regio en jaar de totalen van kpi.outflow "
        "en kpi.caseload.",
        """WITH o AS (SELECT region, year, sum(persons) AS total FROM kpi.outflow GROUP BY ALL),
                c AS (SELECT region, year, sum(cases) AS total FROM kpi.caseload GROUP BY ALL)
           SELECT k.region, k.year, k.measure, k.outflow, o.total AS outflow_total,
                  k.caseload, c.total AS caseload_total
           FROM kpi.coordination k
           LEFT JOIN o USING (region, year) LEFT JOIN c USING (region, year)
           WHERE coalesce(k.outflow, 0) <> coalesce(o.total, 0)
              OR coalesce(k.caseload, 0) <> coalesce(c.total, 0)""",
        True,
    ),
    (
        "kpi.reach_funnel",
        "released_matches_outflow",
        "De fase released is de uitstroom (kpi.outflow) van de regio in het cohortjaar.",
        """WITH o AS (SELECT region, year, sum(persons) AS total FROM kpi.outflow GROUP BY ALL)
           SELECT f.region, f.cohort_year, f.persons, o.total AS outflow_total
           FROM kpi.reach_funnel f
           LEFT JOIN o ON o.region = f.region AND o.year = f.cohort_year
           WHERE f.stage = 'released' AND f.persons <> coalesce(o.total, 0)""",
        True,
    ),
    (
        "staging.detentions",
        "region_matches_municipality",
        "Elke geplaatste detentieperiode ligt in de regio van haar gemeente (referentielijst).",
        """SELECT d.episode_id, d.municipality_code, d.region, m.region AS reference_region
           FROM staging.detentions d
           JOIN staging.municipalities m ON m.code = d.municipality_code
           WHERE d.region IS DISTINCT FROM m.region""",
        True,
    ),
    (
        "quality.rejected_rows",
        "rows_belong_to_loaded_files",
        "Afgewezen rijen en waarschuwingen horen bij een gelezen bestand in quality.file_ledger.",
        """SELECT DISTINCT q.file FROM (
               SELECT file FROM quality.rejected_rows UNION ALL
               SELECT file FROM quality.row_warnings) q
           LEFT JOIN quality.file_ledger l ON l.file = q.file AND l.status = 'loaded'
           WHERE l.file IS NULL""",
        False,
    ),
)


def business_checks() -> list[dg.AssetChecksDefinition]:
    """Cross-table expectations not owned by one asset module: a denominator or a stage
    that disagrees with the table it is taken from would mislead a manager (blocking)."""
    return [
        sql_check(asset, name, description, query, blocking=blocking)
        for asset, name, description, query, blocking in CROSS_TABLE_CHECKS
    ]
