"""Unit tests of issue 5: the cohort follow-up source, the reach funnel, the outcomes,
the MKBA config and the MKBA per cohort — none of them needs the case registration
asset: the registration is a hand-made frame or table here."""

import datetime as dt
from dataclasses import fields
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from openpyxl import Workbook

from assets.kpi import MkbaConfig
from assets.sql import sql
from nazorg.cohort import compute_mkba, interviewed_cases
from nazorg.demo.cohort import HEADER, INTERVIEWS, sample_rows, write_cohort
from nazorg.demo.files import save_workbook
from nazorg.demo.population import build_population, ml_case_number
from nazorg.ingest import ingest_source, region_slug
from nazorg.mkba import MkbaParameters
from nazorg.sources.cohort import COHORT, link_to_cases, parse_cohort, staging_frame
from schemas.base import REGIONS
from schemas.cohort import CohortOutcomes, CohortSample, ReachFunnel
from tests.conftest import TEST_KEY

ML = "Midden-Limburg"
REGION_SLUGS = {region_slug(name): name for name in REGIONS}
FILE = "cohort/midden-limburg/steekproef.xlsx"

# Published figures of kpi-method.md part B (cohort, per variant).
PUBLISHED_SUMMARY = {
    "A": dict(total_costs=122000, total_benefits=158125, net_benefit=36125),
    "B": dict(total_costs=122000, total_benefits=278745, net_benefit=156745),
}
PUBLISHED_RATIO = {"A": 1.30, "B": 2.28}
PUBLISHED_EXCL = {"A": 25875, "B": 146495}


def registry(numbers, region=ML, status="Gestart", year=2020) -> pl.DataFrame:
    """A hand-made ``staging.cases`` with the columns the cohort source reads."""
    return pl.DataFrame(
        {
            "region": [region] * len(numbers),
            "case_number": list(numbers),
            "person_key": [f"{i:064d}" for i in range(1, len(numbers) + 1)],
            "registration_date": [dt.date(year, 3, 1)] * len(numbers),
            "nazorg_plus": [status] * len(numbers),
        }
    )


def write_sheet(path: Path, rows, *, title: str | None = "Steekproef nazorg-plus") -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Steekproef"
    if title:
        sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    save_workbook(workbook, path)


def row(case, status="Geïnterviewd", recidive="Nee", offences=0, **values):
    """One follow-up row; ``values`` by field name of the remaining columns."""
    order = [
        "police",
        "months_year",
        "months_once",
        "attribution",
        "costs",
        "intensity",
        "housing",
        "work",
        "debts",
        "care",
    ]
    return [case, 2020, status, recidive, offences, *(values.get(k) for k in order)]


def ingest(raw: Path, cases: pl.DataFrame):
    result = ingest_source(raw, COHORT, parse_cohort, TEST_KEY, regions=REGION_SLUGS)
    return link_to_cases(result, cases)


# ------------------------------------------------------------------------ ingestion


@pytest.fixture
def quirky(tmp_path):
    rows = [
        row("ML-2020-001", attribution="0,5", costs="2.500", months_year=12),  # 3
        row("ML-2020-002", status="Geinterviewd", recidive="Ja", offences=2, police="7,5"),
        row("ML-2020-003", status="Onbereikbaar", recidive=None, offences=None),  # 5
        row("ML-2020-004", status="Weigering", recidive=None, offences=None),  # 6
        row("ML-2020-005", status="Afgezegd", recidive=None, offences=None),  # 7
        row("ML-2020-999"),  # 8: not in the registration
        row("ML-2020-006", recidive=None),  # 9: interviewed without Recidive
        row("ML-2020-007", offences=None),  # 10: interviewed without Aantal delicten
        row("ML-2020-008", recidive="Nee", offences=1),  # 11: contradiction
        row("ML-2020-009", attribution="1,5"),  # 12: attribution above 1
        row("ML-2020-001"),  # 13: same case twice in the file
        row("ML-2020-010", status="Gesprek gehad"),  # 14: unknown status
        row("ml-2020-011 ", housing="Positief", work="Neutraal tot positief"),  # 15
    ]
    write_sheet(tmp_path / FILE, rows)
    numbers = [f"ML-2020-{i:03d}" for i in range(1, 12)]
    return ingest(tmp_path, registry(numbers))


def test_rows_load_with_decimal_comma_and_status_spellings(quirky):
    frame = staging_frame(quirky)
    CohortSample.validate(frame)
    got = {r["case_number"]: r for r in frame.iter_rows(named=True)}
    assert sorted(got) == [
        "ML-2020-001",
        "ML-2020-002",
        "ML-2020-003",
        "ML-2020-004",
        "ML-2020-005",
        "ml-2020-011",
    ]
    first = got["ML-2020-001"]
    assert first["attribution"] == 0.5  # '0,5'
    assert first["one_off_costs_eur"] == 2500.0  # '2.500' is euros with a thousands dot
    assert first["benefit_months_per_year"] == 12.0
    assert first["source_row"] == 3 and first["sheet"] == "Steekproef"
    assert first["person_key"] == f"{1:064d}"
    assert got["ML-2020-002"]["status"] == "Geïnterviewd"  # typed without diaeresis
    assert got["ML-2020-002"]["police_incidents_per_year"] == 7.5
    assert got["ML-2020-002"]["recidivism"] is True
    assert [got[c]["status"] for c in ("ML-2020-003", "ML-2020-004", "ML-2020-005")] == [
        "Onbereikbaar",
        "Weigering",
        "Afgezegd",
    ]
    # Case numbers match the registration regardless of case and spaces.
    assert got["ml-2020-011"]["person_key"] == f"{11:064d}"
    assert got["ml-2020-011"]["outcome_work"] == "Neutraal tot positief"


def test_broken_rows_are_rejected_with_file_row_column_and_rule(quirky):
    rejected = {
        (r["row_number"], r["column_name"], r["rule"]): r["message"]
        for r in quirky.rejected.iter_rows(named=True)
    }
    assert set(rejected) == {
        (8, "Casusnummer", "unknown_case_number"),
        (9, "Recidive", "required_for_interviewed"),
        (10, "Aantal delicten", "required_for_interviewed"),
        (11, "Aantal delicten", "recidivism_contradicts_offences"),
        (12, "Toerekening", "number"),
        (13, "Casusnummer", "duplicate_case_number"),
        (14, "Status", "choice"),
    }
    assert rejected[(8, "Casusnummer", "unknown_case_number")] == (
        f"{FILE}, blad 'Steekproef', rij 8, kolom 'Casusnummer': Casusnummer 'ML-2020-999' "
        "bestaat niet in de casusregistratie van Midden-Limburg; de rij is niet geladen"
    )
    assert set(quirky.rejected.get_column("file")) == {FILE}
    assert set(quirky.rejected.get_column("source")) == {"cohort"}


def test_the_ledger_stays_balanced_after_the_registration_check(quirky):
    (entry,) = quirky.ledger.to_dicts()
    assert entry["file"] == FILE and entry["status"] == "loaded"
    assert entry["rows_read"] == 13
    assert entry["rows_loaded"] == 6
    assert entry["rows_rejected"] == 7
    assert any("Casusnummer niet in de casusregistratie" in line for line in quirky.log_lines)


def test_without_any_registration_every_row_is_rejected_and_says_why(tmp_path):
    write_sheet(tmp_path / FILE, [row("ML-2020-001")])
    result = ingest(tmp_path, registry([]))
    assert staging_frame(result).height == 0
    (message,) = result.rejected.get_column("message").to_list()
    assert "geen casusregistratie van Midden-Limburg ingelezen" in message
    (entry,) = result.ledger.to_dicts()
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (1, 0, 1)


def test_a_case_of_another_region_is_unknown(tmp_path):
    write_sheet(tmp_path / FILE, [row("ML-2020-001")])
    result = ingest(tmp_path, registry(["ML-2020-001"], region="Noord-Limburg"))
    assert staging_frame(result).height == 0
    assert result.rejected.get_column("rule").to_list() == ["unknown_case_number"]


def test_reexport_supersedes_and_outside_cohort_warns(tmp_path):
    write_sheet(tmp_path / "cohort/midden-limburg/a_2023-01.xlsx", [row("ML-2020-001", offences=0)])
    write_sheet(
        tmp_path / "cohort/midden-limburg/b_2023-06.xlsx",
        [row("ML-2020-001", recidive="Ja", offences=1), row("ML-2020-002")],
    )
    cases = pl.concat(
        [registry(["ML-2020-001"]), registry(["ML-2020-002"], status="Aangemeld")]
    ).with_columns(person_key=pl.Series([f"{1:064d}", f"{2:064d}"]))
    result = ingest(tmp_path, cases)
    frame = staging_frame(result)
    assert frame.select("case_number", "offences", "source_file").rows() == [
        ("ML-2020-001", 1, "cohort/midden-limburg/b_2023-06.xlsx"),
        ("ML-2020-002", 0, "cohort/midden-limburg/b_2023-06.xlsx"),
    ]
    warnings = {(r["file"], r["rule"]) for r in result.warnings.iter_rows(named=True)}
    assert warnings == {
        ("cohort/midden-limburg/a_2023-01.xlsx", "superseded"),
        ("cohort/midden-limburg/b_2023-06.xlsx", "not_in_cohort"),
    }
    for entry in result.ledger.to_dicts():  # superseded rows count as loaded
        assert entry["rows_read"] == entry["rows_loaded"] and entry["rows_rejected"] == 0


def test_a_file_outside_a_region_folder_or_without_the_sheet_fails(tmp_path):
    write_sheet(tmp_path / "cohort/steekproef.xlsx", [row("ML-2020-001")])
    workbook = Workbook()
    workbook.active.title = "Blad1"
    save_workbook(workbook, tmp_path / "cohort/midden-limburg/leeg.xlsx")
    result = ingest(tmp_path, registry(["ML-2020-001"]))
    errors = dict(result.ledger.select("file", "error").rows())
    assert set(errors) == {"cohort/steekproef.xlsx", "cohort/midden-limburg/leeg.xlsx"}
    assert "regiomap" in errors["cohort/steekproef.xlsx"]
    assert "Steekproef" in errors["cohort/midden-limburg/leeg.xlsx"]


# --------------------------------------------------------------------- reach funnel


def _warehouse(cases: pl.DataFrame, sample: pl.DataFrame, outflow: pl.DataFrame):
    con = duckdb.connect()
    for schema in ("staging", "kpi"):
        con.execute(f"CREATE SCHEMA {schema}")
    for table, frame in (
        ("staging.cases", cases),
        ("staging.cohort_sample", sample),
        ("kpi.outflow", outflow),
    ):
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
        con.unregister("frame")
    return con


def _sample(statuses, region=ML, year=2020, start=1) -> pl.DataFrame:
    n = len(statuses)
    return pl.DataFrame(
        {
            "region": [region] * n,
            "cohort_year": [year] * n,
            "case_number": [f"C{i}" for i in range(start, start + n)],
            "person_key": [f"p{i}" for i in range(start, start + n)],
            "status": list(statuses),
            "recidivism": [s == "Geïnterviewd" and i % 2 == 0 for i, s in enumerate(statuses)],
            "outcome_housing": ["Positief" if i % 3 else None for i in range(n)],
            "outcome_work": ["Neutraal"] * n,
            "outcome_debts": ["Negatief"] * n,
            "outcome_care": ["Onbekend"] * n,
        }
    )


def _cases(rows) -> pl.DataFrame:
    """``rows``: (region, person_key, registration date, Nazorg-plus)."""
    region, person, date, plus = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "region": region,
            "case_number": [f"K{i}" for i in range(len(rows))],
            "person_key": person,
            "registration_date": date,
            "nazorg_plus": plus,
        }
    )


def _outflow(rows) -> pl.DataFrame:
    schema = {"region": pl.Utf8, "year": pl.Int64, "persons": pl.Int64}
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def test_funnel_counts_distinct_persons_and_shares():
    d = dt.date
    cases = _cases(
        [
            (ML, "a", d(2020, 1, 5), "Gestart"),
            (ML, "a", d(2020, 6, 5), "Gestart"),  # same person twice: one person
            (ML, "b", d(2020, 2, 5), "Gestart"),
            (ML, "c", d(2020, 3, 5), "Aangemeld"),
            (ML, "d", d(2020, 4, 5), "Nee"),  # not nazorg-plus
            (ML, "e", d(2020, 5, 5), None),
            (ML, "f", d(2021, 1, 5), "Gestart"),  # another cohort year
            ("Noord-Limburg", "g", d(2020, 5, 5), "Aangemeld"),  # year without outflow
        ]
    )
    sample = _sample(["Geïnterviewd", "Onbereikbaar", "Weigering"])
    outflow = _outflow([(ML, 2020, 6), (ML, 2020, 4), (ML, 2021, 5)])
    con = _warehouse(cases, sample, outflow)
    funnel = con.sql(sql("kpi_reach_funnel")).pl()
    ReachFunnel.validate(funnel)
    got = {
        (r["region"], r["cohort_year"], r["stage"]): (
            r["persons"],
            r["share_of_released"],
            r["share_of_previous"],
        )
        for r in funnel.iter_rows(named=True)
    }
    assert got == {
        (ML, 2020, "released"): (10, 1.0, None),
        (ML, 2020, "gross_intake"): (3, 0.3, 0.3),
        (ML, 2020, "trajectory_started"): (2, 0.2, pytest.approx(2 / 3)),
        (ML, 2020, "sampled"): (3, 0.3, 1.5),  # not nested: shares may exceed 1
        (ML, 2020, "approached"): (2, 0.2, pytest.approx(2 / 3)),
        (ML, 2020, "interviewed"): (1, 0.1, 0.5),
        (ML, 2021, "released"): (5, 1.0, None),
        (ML, 2021, "gross_intake"): (1, 0.2, 0.2),
        (ML, 2021, "trajectory_started"): (1, 0.2, 1.0),
        # No outflow known: released is empty and so are the shares of it.
        ("Noord-Limburg", 2020, "released"): (None, None, None),
        ("Noord-Limburg", 2020, "gross_intake"): (1, None, None),
        ("Noord-Limburg", 2020, "trajectory_started"): (0, None, 0.0),
    }
    orders = funnel.filter(pl.col("cohort_year") == 2020, pl.col("region") == ML)
    assert orders.get_column("stage_order").to_list() == [1, 2, 3, 4, 5, 6]


def test_outcomes_count_every_outcome_of_the_interviewed():
    sample = _sample(["Geïnterviewd"] * 4 + ["Weigering"])
    con = _warehouse(_cases([(ML, "a", dt.date(2020, 1, 1), "Gestart")]), sample, _outflow([]))
    outcomes = con.sql(sql("kpi_cohort_outcomes")).pl()
    CohortOutcomes.validate(outcomes)
    got = {(r[2], r[3]): r[4] for r in outcomes.rows()}
    assert got[("housing", "Positief")] == 2
    assert got[("housing", "Onbekend")] == 2  # an empty cell counts as Onbekend
    assert got[("work_income", "Neutraal")] == 4
    assert got[("work_income", "Positief")] == 0  # every outcome is listed
    assert got[("debts", "Negatief")] == 4
    assert got[("recidivism", "Ja")] == 2 and got[("recidivism", "Nee")] == 2
    assert set(outcomes.get_column("interviewed")) == {4}
    assert outcomes.height == 4 * 5 + 2


# ------------------------------------------------------------------- MKBA config


def test_config_has_every_parameter_with_the_report_defaults():
    config_fields = MkbaConfig.model_fields
    for f in fields(MkbaParameters):
        assert f.name in config_fields, f.name
        assert config_fields[f.name].default == f.default, f.name
        assert config_fields[f.name].description, f.name
    assert set(config_fields) - {f.name for f in fields(MkbaParameters)} == {
        "bootstrap_draws",
        "bootstrap_seed",
    }
    assert config_fields["bootstrap_draws"].default == 10_000
    assert MkbaConfig().to_parameters() == MkbaParameters()


def test_config_overrides_map_onto_the_parameters():
    params = MkbaConfig(
        cost_per_offence=2000, discount_rate=0.0225, horizon_years=3
    ).to_parameters()
    assert params == MkbaParameters(cost_per_offence=2000.0, discount_rate=0.0225, horizon_years=3)
    assert MkbaConfig(attribution_override=1.0).to_parameters().attribution_override == 1.0


# ------------------------------------------------------------ the MKBA per cohort


@pytest.fixture(scope="module")
def demo_sample(tmp_path_factory) -> pl.DataFrame:
    """The demo follow-up, ingested against a registration of the 69 started cases."""
    raw = tmp_path_factory.mktemp("raw")
    write_cohort(build_population(), raw)
    numbers = [ml_case_number(i) for i in range(69)]
    result = ingest(raw, registry(numbers))
    assert result.rejected.height == 0 and result.warnings.height == 0
    frame = staging_frame(result)
    CohortSample.validate(frame)
    return frame


def _funnel(started=69) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region": [ML],
            "cohort_year": [2020],
            "stage": ["trajectory_started"],
            "persons": [started],
        }
    )


def _by(frame: pl.DataFrame, *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in frame.iter_rows(named=True)}


def test_demo_sample_has_the_reports_composition(demo_sample):
    counts = dict(demo_sample.group_by("status").len().rows())
    assert counts == {"Geïnterviewd": 12, "Onbereikbaar": 5, "Weigering": 2, "Afgezegd": 1}
    interviewed = demo_sample.filter(pl.col("status") == "Geïnterviewd")
    assert interviewed.get_column("recidivism").sum() == 5
    assert interviewed.get_column("offences").sum() == 7
    assert sorted(interviewed.get_column("police_incidents_per_year").drop_nulls()) == [5, 10, 20]
    assert interviewed.get_column("one_off_costs_eur").sum() == 4000
    assert (interviewed.get_column("outcome_work") == "Positief").sum() == 4
    assert (interviewed.get_column("outcome_work") == "Neutraal tot positief").sum() == 2
    assert (interviewed.get_column("outcome_housing") == "Positief").sum() == 8
    recidivists = interviewed.filter(pl.col("recidivism"))
    others = interviewed.filter(~pl.col("recidivism"))
    assert (others.get_column("intensity") == "Intensief").sum() == 6
    assert (recidivists.get_column("intensity") == "Weinig verbinding").sum() == 4
    assert len(sample_rows(build_population())) == 20 and len(INTERVIEWS) == 12


def test_demo_cohort_reproduces_the_published_balance(demo_sample):
    tables = compute_mkba(demo_sample, _funnel(), MkbaParameters(), draws=500, seed=1)
    summary = _by(tables.summary, "variant")
    for variant, published in PUBLISHED_SUMMARY.items():
        s = summary[(variant,)]
        assert (s["cohort_size"], s["sample_size"]) == (69, 12)
        assert s["extrapolation_factor"] == pytest.approx(5.75)
        for column, value in published.items():
            assert s[column] == pytest.approx(value, abs=10), (variant, column)
        assert round(s["benefit_cost_ratio"], 2) == PUBLISHED_RATIO[variant]
        assert s["benefits_excl_transfers"] == pytest.approx(PUBLISHED_EXCL[variant], abs=10)
    lines = _by(tables.benefit, "variant", "line")
    assert lines[("A", "avoided_offence_damage")]["amount_cohort"] == pytest.approx(25875)
    assert lines[("B", "avoided_police_effort")]["amount_cohort"] == pytest.approx(47495)
    assert tables.skipped == []


def test_doubling_the_cost_per_offence_doubles_the_offence_line(demo_sample):
    base = compute_mkba(demo_sample, _funnel(), MkbaConfig().to_parameters(), 200, 1)
    config = MkbaConfig(cost_per_offence=2000)
    doubled = compute_mkba(demo_sample, _funnel(), config.to_parameters(), 200, 1)
    key = ("A", "avoided_offence_damage")
    for column in ("amount_per_year_sample", "amount_sample_period", "amount_cohort"):
        assert _by(doubled.benefit, "variant", "line")[key][column] == pytest.approx(
            2 * _by(base.benefit, "variant", "line")[key][column]
        )
    # Variant B does not value offences; the parameters say what was used.
    assert _by(doubled.summary, "variant")[("B",)]["total_benefits"] == pytest.approx(
        _by(base.summary, "variant")[("B",)]["total_benefits"]
    )
    used = dict(doubled.parameters.select("parameter", "value").rows())
    assert used["cost_per_offence"] == 2000.0
    assert used["salary"] == 99000.0 and used["bootstrap_draws"] == 200.0
    assert set(used) >= {f.name for f in fields(MkbaParameters)} - {"attribution_override"}


def test_sensitivity_and_uncertainty_per_cohort(demo_sample):
    tables = compute_mkba(demo_sample, _funnel(), MkbaParameters(), draws=2000, seed=7)
    again = compute_mkba(demo_sample, _funnel(), MkbaParameters(), draws=2000, seed=7)
    assert tables.uncertainty.equals(again.uncertainty)
    for r in tables.uncertainty.iter_rows(named=True):
        assert r["ratio_p05"] <= r["ratio_p50"] <= r["ratio_p95"]
        assert r["draws"] == 2000 and r["seed"] == 7
        # the published ratio (A 1.30, B 2.28) lies inside the interval of the cases
        point = {"A": 158125 / 122000, "B": 278745 / 122000}[r["variant"]]
        assert r["ratio_p05"] < point < r["ratio_p95"], r
        assert abs(r["ratio_p50"] - point) < 0.25 * point, r
    sens = tables.sensitivity
    discounted = {
        r["variant"]: r["benefit_cost_ratio"]
        for r in sens.filter(
            (pl.col("parameter") == "discount_rate") & (pl.col("value") == 0.0225)
        ).iter_rows(named=True)
    }
    # by hand: the two-year crime lines shrink by (1 + 1/1.0225) / 2; the one year of
    # work (115 000) and the one-off line (17 250) are not discounted; costs 122 000
    f = (1 + 1 / 1.0225) / 2
    assert discounted["A"] == pytest.approx((25875 * f + 132250) / 122000)
    assert discounted["B"] == pytest.approx(((47495 + 99000) * f + 132250) / 122000)
    # the one break-even of the report's parameters: A's work lines jump across the costs
    # where 12 × 1 640 × a reaches 7 500 per case (see test_mkba)
    breaks = sens.filter(pl.col("kind") == "break_even").select("variant", "parameter", "value")
    assert breaks.rows() == [("A", "attribution", 0.382)]


def test_cohorts_without_interviews_or_started_trajectories_are_skipped(demo_sample):
    tables = compute_mkba(demo_sample, _funnel(started=0), MkbaParameters(), 10, 1)
    assert tables.summary.height == 0 and tables.parameters.height == 0
    assert "cohortgrootte N onbekend" in tables.skipped[0]
    none = demo_sample.filter(pl.col("status") != "Geïnterviewd")
    assert interviewed_cases(none) == []
    assert "geen geïnterviewde" in compute_mkba(none, _funnel(), MkbaParameters(), 10, 1).skipped[0]


# ------------------------------------------------------ the assets, without issue 3


def test_assets_write_the_tables_and_record_the_parameters(tmp_path):
    """staging/cohort_sample → kpi/reach_funnel → cohort_mkba on a warehouse that holds
    a hand-made registration and outflow, with a run config override."""
    from assets import kpi, staging
    from assets.resources import NazorgWarehouse

    raw = tmp_path / "raw"
    write_cohort(build_population(), raw)
    published = tmp_path / "nazorg.duckdb"
    numbers = [ml_case_number(i) for i in range(93)]
    cases = registry(numbers).with_columns(
        nazorg_plus=pl.Series(["Gestart"] * 69 + ["Aangemeld"] * 24)
    )
    outflow = _outflow([(ML, 2020, 285)])
    con = duckdb.connect(str(published))
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA kpi")
    con.register("cases_frame", cases)
    con.register("outflow_frame", outflow)
    con.execute("CREATE TABLE staging.cases AS SELECT * FROM cases_frame")
    con.execute("CREATE TABLE kpi.outflow AS SELECT * FROM outflow_frame")
    con.close()

    resource = NazorgWarehouse(raw_dir=str(raw), warehouse=str(published), pseudonym_key=TEST_KEY)
    result = dg.materialize(
        [staging.cohort_sample, kpi.kpi_tables, kpi.cohort_mkba],
        selection=dg.AssetSelection.assets(
            ["staging", "cohort_sample"], ["kpi", "reach_funnel"], ["kpi", "cohort_outcomes"]
        )
        | dg.AssetSelection.assets(*kpi.cohort_mkba.keys),
        resources={"nazorg": resource},
        run_config={
            "ops": {"cohort_mkba": {"config": {"cost_per_offence": 2000, "bootstrap_draws": 300}}}
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    (work,) = (tmp_path / ".work").glob("*.duckdb")
    con = duckdb.connect(str(work), read_only=True)
    try:
        funnel = dict(
            con.execute(
                "SELECT stage, persons FROM kpi.reach_funnel ORDER BY stage_order"
            ).fetchall()
        )
        assert list(funnel.values()) == [285, 93, 69, 20, 15, 12]
        used = dict(con.execute("SELECT parameter, value FROM kpi.cohort_parameters").fetchall())
        assert used["cost_per_offence"] == 2000 and used["bootstrap_draws"] == 300
        offence = con.execute(
            "SELECT amount_cohort FROM kpi.cohort_benefit WHERE line = 'avoided_offence_damage'"
        ).fetchall()
        assert offence == [(pytest.approx(2 * 25875),)]
        ledger = con.execute(
            "SELECT rows_read, rows_loaded, rows_rejected FROM quality.file_ledger WHERE source = 'cohort'"
        ).fetchall()
        assert ledger == [(20, 20, 0)]
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = 'kpi' "
            "AND table_name = 'cohort_benefit_summary' AND column_name = 'ratio_excl_transfers'"
        ).fetchall()
        assert comment and comment[0][0]
    finally:
        con.close()
