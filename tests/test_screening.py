"""Screening forms: parsing, linking to detention episodes, the KPI SQL on small frames,
and the example export of the input contract."""

import datetime as dt
import shutil

import duckdb
import polars as pl
import pytest

from assets.sql import sql
from nazorg.ingest import ingest_source
from nazorg.sources import screening as scr
from schemas.screening import NeedsAtIntake, ScreeningCoverage, Screenings
from tests.conftest import EXAMPLES, TEST_KEY, run_nightly

D = dt.date
ALICE = "a" * 64
BOB = "b" * 64


# --------------------------------------------------------------------------- parsing


@pytest.fixture(scope="module")
def example_forms(tmp_path_factory) -> pl.DataFrame:
    raw = tmp_path_factory.mktemp("screening_raw")
    shutil.copytree(EXAMPLES / "screening", raw / "screening")
    result = ingest_source(raw, scr.SCREENING, scr.parse_screening, TEST_KEY)
    assert result.ledger.get_column("status").to_list() == ["loaded"]
    assert result.rejected.height == 0
    return result.rows.sort("source_row")


def test_example_file_ingests_with_consent_and_unknown_answers(example_forms):
    forms = example_forms
    assert forms.height == 3
    assert "bsn" not in forms.columns
    assert forms.get_column("consent").to_list() == [True, False, True]
    first, no_consent, third = forms.to_dicts()
    # Onbekend is neither a need nor a no-need: NULL, not answered, but counted as unknown.
    assert first["wish_debts"] is None
    assert (first["wish_housing"], first["wish_id"]) == (True, False)
    assert (first["answered_domains"], first["unknown_domains"]) == (5, 1)
    # The form without consent left every wish empty: nothing answered, nothing unknown.
    assert all(no_consent[f] is None for f in scr.WISH_FIELDS)
    assert (no_consent["answered_domains"], no_consent["unknown_domains"]) == (0, 0)
    assert third["wish_social_network"] is None and third["unknown_domains"] == 1
    assert (first["admission_date"], first["form_date"]) == (D(2020, 2, 3), D(2020, 2, 7))


def test_consent_is_required_and_only_ja_nee(tmp_path):
    folder = tmp_path / "screening"
    folder.mkdir()
    header = ";".join(
        [
            "BSN",
            "Inrichting",
            "Datum insluiting",
            "Datum formulier",
            "Toestemming gegevensuitwisseling",
        ]
    )
    (folder / "f.csv").write_text(
        header
        + "\n999990019;PI Roermond;3-2-2020;7-2-2020;\n"
        + "999990032;PI Roermond;2020-03-15;17-03-2020;Onbekend\n"
        + "999990056;PI Vught;01-10-2020;05-10-2020;nee\n",
        encoding="utf-8",
    )
    result = ingest_source(tmp_path, scr.SCREENING, scr.parse_screening, TEST_KEY)
    assert result.rows.get_column("consent").to_list() == [False]
    assert result.rejected.select("row_number", "rule").rows() == [
        (2, "required"),
        (3, "yes_no"),
    ]
    # The wish columns are optional: missing altogether means not answered.
    assert result.rows.get_column("answered_domains").to_list() == [0]


# --------------------------------------------------------------------------- linking


def _forms(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"person_key": pl.Utf8, "admission_date": pl.Date, "form_date": pl.Date},
        orient="row",
    )


def _episodes(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"episode_id": pl.Utf8, "person_key": pl.Utf8, "admission_date": pl.Date},
        orient="row",
    )


def _links(forms: pl.DataFrame, episodes: pl.DataFrame) -> list[tuple]:
    return scr.link_forms(forms, episodes).select("episode_id", "link_method").rows()


EPISODES = _episodes(
    ("alice-jan", ALICE, D(2020, 1, 1)),
    ("alice-jan10", ALICE, D(2020, 1, 10)),
    ("alice-mar", ALICE, D(2020, 3, 1)),
    ("bob-mar", BOB, D(2020, 3, 5)),
)


def test_same_date_link_wins_over_a_nearer_admission():
    forms = _forms((ALICE, D(2020, 1, 1), D(2020, 1, 12)))
    assert _links(forms, EPISODES) == [("alice-jan", "same_date")]


def test_fallback_links_the_nearest_admission_before_the_form_date():
    forms = _forms(
        (ALICE, D(2020, 3, 2), D(2020, 3, 10)),  # typed a day off: March 1 is 9 days before
        (ALICE, D(2020, 1, 8), D(2020, 1, 12)),  # Jan 10 (2 days) is nearer than Jan 1 (11)
        (ALICE, D(2020, 2, 28), D(2020, 3, 1)),  # admitted on the form date itself: 0 days
    )
    assert _links(forms, EPISODES) == [
        ("alice-mar", "nearest_admission_14d"),
        ("alice-jan10", "nearest_admission_14d"),
        ("alice-mar", "nearest_admission_14d"),
    ]


def test_fallback_window_is_14_days_inclusive():
    episodes = _episodes(("e", ALICE, D(2020, 3, 1)))
    forms = _forms(
        (ALICE, D(2020, 3, 3), D(2020, 3, 15)),  # 14 days after admission: links
        (ALICE, D(2020, 3, 3), D(2020, 3, 16)),  # 15 days: no link
    )
    assert _links(forms, episodes) == [("e", "nearest_admission_14d"), (None, None)]


def test_no_link_for_other_persons_or_admissions_after_the_form():
    forms = _forms(
        (BOB, D(2020, 1, 1), D(2020, 1, 5)),  # Alice's admission date, but Bob's form
        (BOB, D(2020, 3, 6), D(2020, 3, 4)),  # Bob's admission lies after the form date
        ("c" * 64, D(2020, 3, 5), D(2020, 3, 6)),  # a person without any detention
    )
    assert _links(forms, EPISODES) == [(None, None), (None, None), (None, None)]


def test_link_keeps_rows_and_columns_of_the_forms():
    forms = _forms(
        (BOB, D(2020, 3, 5), D(2020, 3, 6)), (ALICE, D(2019, 1, 1), D(2019, 1, 2))
    ).with_columns(extra=pl.Series([1, 2]))
    linked = scr.link_forms(forms, EPISODES)
    assert linked.get_column("extra").to_list() == [1, 2]
    assert linked.get_column("linked_admission_date").to_list() == [D(2020, 3, 5), None]


def _loaded(*rows: dict) -> pl.DataFrame:
    base = {
        "person_key": ALICE,
        "institution": "PI Roermond",
        "admission_date": D(2020, 3, 1),
        "form_date": D(2020, 3, 4),
        "consent": True,
        **dict.fromkeys(scr.WISH_FIELDS),
        "answered_domains": 0,
        "unknown_domains": 0,
        "source_file": "screening/a.csv",
        "source_row": 2,
        "sheet": None,
    }
    return pl.DataFrame([base | r for r in rows])


def test_build_screenings_dedupes_overlapping_exports_and_keeps_unlinked_forms():
    rows = _loaded(
        {},
        {"source_file": "screening/b.csv"},  # the same form in an overlapping export
        {"source_row": 3, "consent": False},  # a second, different form that day
        {"source_row": 4, "person_key": BOB, "admission_date": D(2021, 1, 1)},
    )
    built = scr.build_screenings(rows, EPISODES)
    Screenings.validate(built)
    assert built.height == 3
    assert built.get_column("source_file").to_list() == ["screening/a.csv"] * 3
    ids = built.get_column("screening_id").to_list()
    assert len(set(ids)) == 3 and ids[1] == ids[0] + "-2"
    assert built.get_column("link_method").to_list() == ["same_date", "same_date", None]
    warnings = scr.unlinked_warnings(built)
    assert warnings.select("file", "row_number", "rule").rows() == [
        ("screening/a.csv", 4, "screening_unlinked")
    ]
    assert "14 dagen" in warnings.item(0, "message")
    summary = scr.link_summary(built)
    assert summary.rows() == [(2020, 3, 2, 0, 1, 1 / 3)]


def test_build_screenings_without_files_gives_an_empty_valid_table():
    built = scr.build_screenings(pl.DataFrame(), EPISODES)
    assert built.height == 0
    Screenings.validate(built)


def test_schema_rejects_a_fallback_link_outside_the_window():
    built = scr.build_screenings(_loaded({"admission_date": D(2020, 3, 2)}), EPISODES)
    assert built.item(0, "link_method") == "nearest_admission_14d"
    Screenings.validate(built)
    broken = built.with_columns(form_date=pl.lit(D(2020, 3, 20)))
    with pytest.raises(Exception, match="link_respects_the_rule"):
        Screenings.validate(broken, lazy=True)


# --------------------------------------------------------------------------- KPI SQL


DETENTION_COLUMNS = {
    "episode_id": pl.Utf8,
    "person_key": pl.Utf8,
    "admission_date": pl.Date,
    "is_release": pl.Boolean,
    "release_date": pl.Date,
    "last_event_date": pl.Date,
    "region": pl.Utf8,
    "need_id": pl.Boolean,
    "need_housing": pl.Boolean,
    "need_work_income": pl.Boolean,
    "need_debts": pl.Boolean,
    "need_care": pl.Boolean,
    "consent": pl.Boolean,
    "dpan_screened": pl.Boolean,
}
ML = "Midden-Limburg"
GOOI = "Gooi en Vechtstreek"


def _detention(episode_id, admission, release, region=ML, **dpan):
    row = dict.fromkeys(DETENTION_COLUMNS)
    needs = {k: dpan.get(k) for k in ("need_id", "need_housing", "need_work_income")}
    return row | {
        "episode_id": episode_id,
        "person_key": episode_id.ljust(64, "x"),
        "admission_date": admission,
        "is_release": release is not None,
        "release_date": release,
        "last_event_date": release or admission,
        "region": region,
        **needs,
        "need_debts": dpan.get("need_debts"),
        "need_care": dpan.get("need_care"),
        "consent": dpan.get("consent"),
        "dpan_screened": any(v is not None for v in dpan.values()),
    }


def _form(episode_id, form_date, consent, **wishes):
    return {
        "episode_id": episode_id,
        "form_date": form_date,
        "consent": consent,
        **{f: wishes.get(f) for f in scr.WISH_FIELDS},
        "source_file": "screening/x.csv",
        "source_row": 2,
    }


@pytest.fixture
def kpi_con():
    """An in-memory warehouse with hand-made staging rows; the KPI SQL runs on it."""
    detentions = pl.DataFrame(  # noqa: F841 - read by DuckDB
        [
            _detention("twice", D(2020, 1, 5), D(2020, 4, 1)),  # two forms: the later counts
            _detention("refused", D(2020, 2, 1), D(2020, 5, 1)),
            _detention("no_form", D(2019, 12, 1), D(2020, 6, 1)),
            _detention("detained", D(2020, 11, 1), None),  # needs yes, coverage no
            _detention("elsewhere", D(2020, 3, 1), D(2020, 7, 1), region=None),
            _detention("dpan_yes", D(2012, 12, 1), D(2013, 2, 1), GOOI, need_id=True, consent=True),
            _detention("dpan_unknown", D(2013, 1, 1), D(2013, 3, 1), GOOI, need_housing=False),
            _detention("dpan_no", D(2013, 2, 1), D(2013, 4, 1), GOOI, consent=False),
            _detention("dpan_none", D(2013, 3, 1), D(2013, 5, 1), GOOI),
            # Admitted under DPAN, released under JustID: the form wins over DPAN.
            _detention("both", D(2013, 4, 1), D(2013, 6, 1), GOOI, consent=False, need_id=True),
        ],
        schema=DETENTION_COLUMNS,
    )
    screenings = pl.DataFrame(  # noqa: F841 - read by DuckDB
        [
            _form("twice", D(2020, 1, 6), False),
            _form("twice", D(2020, 1, 20), True, wish_id=True, wish_debts=False),
            _form("refused", D(2020, 2, 2), False),
            _form("detained", D(2020, 11, 3), True, wish_id=False, wish_social_network=True),
            _form("elsewhere", D(2020, 3, 2), True, wish_id=True),
            _form(None, D(2020, 3, 2), True, wish_id=True),  # unlinked: in no KPI
            _form("both", D(2013, 4, 2), True, wish_id=False),
        ]
    )
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.detentions AS SELECT * FROM detentions")
    con.execute("CREATE TABLE staging.screenings AS SELECT * FROM screenings")
    yield con
    con.close()


def test_coverage_counts_episodes_forms_and_consent(kpi_con):
    frame = kpi_con.sql(sql("kpi_screening_coverage")).pl()
    ScreeningCoverage.validate(frame)
    rows = {(r["region"], r["year"]): r for r in frame.to_dicts()}
    assert set(rows) == {(ML, 2020), (GOOI, 2013)}
    ml = rows[(ML, 2020)]
    # twice (latest form: consent), refused (Nee), no_form; not the one without region.
    assert (ml["released_detentions"], ml["with_form"], ml["no_consent"]) == (3, 2, 1)
    assert ml["share_with_form"] == pytest.approx(2 / 3)
    assert ml["share_no_consent"] == pytest.approx(1 / 2)
    gooi = rows[(GOOI, 2013)]
    # dpan_yes, dpan_unknown (empty Toestemming is not Nee), dpan_no, both (form: Ja).
    assert (gooi["released_detentions"], gooi["with_form"], gooi["no_consent"]) == (5, 4, 1)
    assert (gooi["with_linked_form"], gooi["with_dpan_screening"]) == (1, 3)


def test_coverage_share_no_consent_is_null_without_screenings(kpi_con):
    kpi_con.execute("DELETE FROM staging.screenings")
    frame = kpi_con.sql(sql("kpi_screening_coverage")).pl()
    ml = frame.filter(pl.col("region") == ML).to_dicts()[0]
    assert (ml["with_form"], ml["share_with_form"], ml["share_no_consent"]) == (0, 0.0, None)


def test_needs_at_intake_per_admission_year_and_domain(kpi_con):
    frame = kpi_con.sql(sql("kpi_needs_at_intake")).pl()
    NeedsAtIntake.validate(frame)
    got = {
        (r["region"], r["year"], r["life_domain"]): (r["forms"], r["answered"], r["with_need"])
        for r in frame.to_dicts()
    }
    # ML 2020 admissions: twice (latest form), refused (no answers), detained.
    assert got[(ML, 2020, "id")] == (3, 2, 1)
    assert got[(ML, 2020, "debts")] == (3, 1, 0)
    assert got[(ML, 2020, "social_network")] == (3, 1, 1)
    assert got[(ML, 2020, "housing")] == (3, 0, 0)
    # 'no_form' (admitted 2019) was never screened: no 2019 row at all.
    assert not any(k[:2] == (ML, 2019) for k in got)
    # DPAN: admitted 2012 (one screening) and 2013 (dpan_unknown, dpan_no, both-by-form).
    assert got[(GOOI, 2012, "id")] == (1, 1, 1)
    assert got[(GOOI, 2013, "id")] == (3, 1, 0)  # 'both' answers from its form: Nee
    assert got[(GOOI, 2013, "housing")] == (3, 1, 0)
    assert got[(GOOI, 2012, "social_network")] == (1, 0, 0)
    shares = {(r["region"], r["year"], r["life_domain"]): r["share"] for r in frame.to_dicts()}
    assert shares[(GOOI, 2012, "social_network")] is None
    assert shares[(ML, 2020, "id")] == pytest.approx(0.5)
    assert [r["life_domain"] for r in frame.filter(pl.col("year") == 2020).to_dicts()] == list(
        scr.LIFE_DOMAINS
    )


# --------------------------------------------------------------------------- examples


@pytest.fixture(scope="module")
def example_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screening_examples")
    raw = folder / "raw"
    shutil.copytree(EXAMPLES, raw, ignore=shutil.ignore_patterns("README.md"))
    result = run_nightly(raw, folder / "nazorg.duckdb")
    assert result.success
    con = duckdb.connect(str(folder / "nazorg.duckdb"), read_only=True)
    yield con
    con.close()


def test_example_forms_link_and_count(example_warehouse):
    con = example_warehouse
    assert con.execute(
        "SELECT link_method, count(*) FROM staging.screenings GROUP BY ALL"
    ).fetchall() == [("same_date", 3)]
    coverage = con.execute(
        "SELECT released_detentions, with_form, share_with_form, no_consent, share_no_consent "
        "FROM kpi.screening_coverage WHERE region = 'Midden-Limburg' AND year = 2020"
    ).fetchall()
    # Roermond and Weert released in 2020, both screened; the Weert form says Nee. The
    # third form's detention ended without an address: in no region.
    assert coverage == [(2, 2, 1.0, 1, 0.5)]


def test_example_needs_leave_onbekend_out_of_the_answers(example_warehouse):
    rows = example_warehouse.execute(
        "SELECT life_domain, forms, answered, with_need, share FROM kpi.needs_at_intake "
        "WHERE region = 'Midden-Limburg' AND year = 2020"
    ).fetchall()
    assert rows == [
        ("id", 2, 1, 0, 0.0),
        ("housing", 2, 1, 1, 1.0),
        ("work_income", 2, 1, 1, 1.0),
        ("debts", 2, 0, 0, None),  # Onbekend, and the form without consent: no answer
        ("care", 2, 1, 0, 0.0),
        ("social_network", 2, 1, 0, 0.0),
    ]


def test_every_screening_table_and_column_is_described(example_warehouse):
    tables = [
        "staging.screenings",
        "kpi.screening_coverage",
        "kpi.needs_at_intake",
        "quality.unlinked_screenings",
    ]
    for table in tables:
        schema, name = table.split(".")
        (comment,) = example_warehouse.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchone()
        assert comment, table
        columns = example_warehouse.execute(
            "SELECT column_name, comment FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
        assert columns and all(c for _, c in columns), table
    (answered,) = example_warehouse.execute(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'kpi' "
        "AND table_name = 'needs_at_intake' AND column_name = 'answered'"
    ).fetchone()
    assert "Onbekend" in answered
