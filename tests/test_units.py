"""Unit tests of the pure rules of issue 2: BSN, dates, municipalities, episodes."""

import datetime as dt

import polars as pl
import pytest

from nazorg.bsn import (
    is_valid_bsn,
    normalise_bsn,
    passes_elfproef,
    pseudonymise,
    pseudonymise_one,
)
from nazorg.dates import parse_date
from nazorg.municipalities import normalise_code, resolve
from nazorg.sources.detentions import build_episodes, dpan_episodes, justid_episodes

D = dt.date


# --------------------------------------------------------------------------- 11-proef


@pytest.mark.parametrize(
    "value, valid",
    [
        ("999990007", True),  # first valid number of the test range
        ("999990019", True),
        ("123456789", False),  # the example's deliberately invalid BSN
        ("111222333", True),  # 9+8+7+12+10+8+9+6-3 = 66
        ("000000000", False),  # all zeros is never a BSN
        ("99999001", False),  # 8 digits: padded to 099999001, which fails
        ("10000008", True),  # 8 digits, lost leading zero: 010000008 passes
        ("10000008.0", True),  # a number cell read as text
        ("99999000A", False),
        ("", False),
    ],
)
def test_elfproef(value, valid):
    assert is_valid_bsn(value) is valid


def test_pseudonym_is_keyed_and_stable():
    bsns = pl.Series(["999990007", "999990019", "999990007"])
    a = pseudonymise(bsns, "key-a")
    assert a[0] == a[2] and a[0] != a[1]
    assert len(a[0]) == 64 and "999990007" not in a[0]
    assert pseudonymise(bsns, "key-b")[0] != a[0]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, expected",
    [
        ("03-02-2020", D(2020, 2, 3)),
        ("3-2-2020", D(2020, 2, 3)),
        ("2020-02-03", D(2020, 2, 3)),
        ("2013-01-16 00:00:00", D(2013, 1, 16)),  # a real date cell read as text
        ("41290", D(2013, 1, 16)),  # an Excel serial number
        ("41290.0", D(2013, 1, 16)),
        ("31-02-2020", None),  # not a date
        ("16/01/2013", D(2013, 1, 16)),
        ("morgen", None),
        (None, None),
    ],
)
def test_date_forms(text, expected):
    frame = pl.DataFrame({"d": [text]}, schema={"d": pl.Utf8})
    assert frame.select(parse_date(pl.col("d"))).item() == expected


# --------------------------------------------------------------------------- municipalities

# Hand-written expectations, independent of reference/municipalities.csv (a wrong code
# in the reference list would otherwise never be caught).
KNOWN_CODES = {
    "Hilversum": "GM0402",
    "Bussum": "GM0381",
    "Naarden": "GM0425",
    "Muiden": "GM0424",
    "Gooise Meren": "GM1942",
    "Weesp": "GM0457",
    "Roermond": "GM0957",
    "Weert": "GM0988",
    "Peel en Maas": "GM1894",
    "Venlo": "GM0983",
}


def _resolve(raw: str | None, on: dt.date) -> dict:
    frame = pl.DataFrame({"raw": [raw], "on": [on]}, schema={"raw": pl.Utf8, "on": pl.Date})
    return resolve(frame, "raw", "on").row(0, named=True)


@pytest.mark.parametrize("name, code", sorted(KNOWN_CODES.items()))
def test_reference_codes_match_independent_list(name, code):
    on = D(2013, 6, 1) if name != "Gooise Meren" else D(2020, 6, 1)
    if name in {"Peel en Maas", "Venlo"}:
        on = D(2020, 6, 1)
    assert _resolve(name, on)["municipality_code"] == code


@pytest.mark.parametrize("written", ["GM0402", "0402", "402", "gm0402", " 402 "])
def test_code_in_every_spelling(written):
    assert normalise_code(written) == "GM0402"
    assert _resolve(written, D(2013, 1, 1))["municipality_name"] == "Hilversum"


@pytest.mark.parametrize(
    "written", ["Hilversum", "HILVERSUM", "Gemeente Hilversum", "  hilversum ", "Hilver-sum"]
)
def test_names_ignore_case_spacing_punctuation_and_prefix(written):
    assert _resolve(written, D(2013, 1, 1))["municipality_code"] == "GM0402"


def test_historic_names_resolve_at_the_event_date():
    assert _resolve("Bussum", D(2013, 5, 1))["municipality_code"] == "GM0381"  # still existed
    assert _resolve("Bussum", D(2017, 5, 1))["municipality_code"] == "GM1942"  # Gooise Meren
    assert _resolve("Weesp", D(2022, 3, 23))["municipality_code"] == "GM0457"
    weesp_later = _resolve("Weesp", D(2022, 3, 24))
    assert (
        weesp_later["municipality_code"] == "GM0363" and weesp_later["region"] is None
    )  # Amsterdam
    assert _resolve("Helden", D(2009, 6, 1))["municipality_code"] == "GM0918"
    assert _resolve("Helden", D(2011, 6, 1))["municipality_code"] == "GM1894"  # Peel en Maas


def test_unknown_and_ambiguous_names_are_warned_not_guessed():
    unknown = _resolve("Atlantis", D(2013, 1, 1))
    assert (
        unknown["municipality_code"] is None and "komt niet voor" in unknown["municipality_warning"]
    )
    bergen = _resolve("Bergen", D(2013, 1, 1))
    assert (
        bergen["municipality_code"] is None and "niet eenduidig" in bergen["municipality_warning"]
    )
    assert _resolve("Bergen (L.)", D(2013, 1, 1))["municipality_code"] == "GM0893"
    split = _resolve("Meerlo-Wanssum", D(2012, 1, 1))
    assert split["municipality_code"] is None and "opgeheven" in split["municipality_warning"]


# --------------------------------------------------------------------------- episodes


def _notification(
    nr,
    kind,
    date,
    person="p1",
    admission=dt.date(2020, 2, 3),
    release=None,
    place=None,
    file="a.csv",
    row=2,
):
    return {
        "notification_id": nr,
        "notification_kind": kind,
        "notification_date": date,
        "person_key": person,
        "birth_year": 1980,
        "sex": "M",
        "institution": "PI Roermond",
        "admission_date": admission,
        "expected_release_date": None,
        "release_date": release,
        "detention_title": None,
        "municipality_raw": place,
        "source_file": file,
        "source_row": row,
        "sheet": None,
    }


def test_notifications_pair_into_one_episode_and_leave_never_closes():
    rows = pl.DataFrame(
        [
            _notification("1", "admission", D(2020, 2, 3), place="GM0957"),
            _notification("2", "transfer", D(2020, 2, 10), place="0957"),
            _notification("3", "leave", D(2020, 3, 1)),
            _notification("4", "release", D(2020, 4, 28), release=D(2020, 4, 28)),
            _notification(
                "5", "leave", D(2020, 6, 1), person="p2", admission=D(2020, 5, 1), place="GM0988"
            ),
        ]
    )
    episodes = justid_episodes(rows).sort("person_key")
    assert episodes.height == 2
    first, second = episodes.rows(named=True)
    assert (
        first["is_release"]
        and first["release_date"] == D(2020, 4, 28)
        and first["notifications"] == 4
    )
    # The release names no place: the latest non-empty one of the episode is used.
    assert first["municipality_raw"] == "0957"
    assert not second["is_release"]  # leave is not a release


def test_release_without_admission_in_window_is_still_a_release():
    rows = pl.DataFrame(
        [
            _notification(
                "9",
                "release",
                D(2019, 1, 5),
                admission=D(2018, 11, 1),
                release=D(2019, 1, 5),
                place="GM0957",
            )
        ]
    )
    assert justid_episodes(rows)["is_release"].to_list() == [True]


def test_overlapping_exports_count_a_notification_once():
    rows = pl.DataFrame(
        [
            _notification("1", "admission", D(2020, 2, 3), file="q1.csv"),
            _notification("1", "admission", D(2020, 2, 3), file="q2.csv"),
            _notification("2", "release", D(2020, 4, 1), release=D(2020, 4, 1), file="q2.csv"),
        ]
    )
    assert justid_episodes(rows)["notifications"].to_list() == [2]


def _dpan(nr, admission, departure, reason, file="2012.xlsx", person="p1", place="Hilversum"):
    return {
        "dpan_id": nr,
        "person_key": person,
        "birth_year": 1980,
        "municipality_raw": place,
        "institution": "PI Utrecht",
        "admission_date": admission,
        "departure_date": departure,
        "departure_reason": reason,
        "need_id": None,
        "need_housing": True,
        "need_work_income": None,
        "need_debts": None,
        "need_care": None,
        "consent": True,
        "source_file": file,
        "source_row": 3,
        "sheet": "Export",
    }


def test_dpan_transfer_and_release_are_one_episode():
    rows = pl.DataFrame(
        [
            _dpan("D1", D(2013, 2, 2), D(2013, 2, 20), "Overplaatsing", place="BUSSUM"),
            _dpan("D2", D(2013, 2, 2), D(2013, 6, 30), "Ontslag", place=None),
        ]
    )
    (episode,) = dpan_episodes(rows).rows(named=True)
    assert episode["is_release"] and episode["release_date"] == D(2013, 6, 30)
    assert episode["municipality_raw"] == "BUSSUM" and episode["dpan_screened"]


def test_dpan_open_row_in_one_export_closed_in_the_next_counts_once_as_released():
    rows = pl.DataFrame(
        [
            _dpan("D1", D(2012, 12, 1), None, None, file="2012.xlsx"),
            _dpan("D1", D(2012, 12, 1), D(2013, 1, 10), "Ontslag", file="2013.xlsx"),
        ]
    )
    (episode,) = dpan_episodes(rows).rows(named=True)
    assert episode["is_release"] and episode["release_date"] == D(2013, 1, 10)


def test_dpan_suspension_is_not_a_release():
    rows = pl.DataFrame([_dpan("D1", D(2013, 2, 2), D(2013, 3, 1), "Schorsing")])
    (episode,) = build_episodes(pl.DataFrame(), rows).rows(named=True)
    assert not episode["is_release"] and episode["end_reason"] == "Schorsing"


def test_an_episode_in_both_systems_keeps_the_release_either_system_knows():
    admitted = D(2018, 11, 1)
    # JustID saw the admission only; DPAN knows the release: the episode is released.
    justid = pl.DataFrame([_notification("1", "admission", admitted, admission=admitted)])
    dpan = pl.DataFrame([_dpan("D1", admitted, D(2018, 12, 20), "Ontslag", place="Weert")])
    (episode,) = build_episodes(justid, dpan).rows(named=True)
    assert episode["is_release"] and episode["release_date"] == D(2018, 12, 20)
    assert episode["municipality_raw"] == "Weert" and episode["source_system"] == "DPAN"
    # JustID knows the release but names no place: DPAN's known address is used, and
    # DPAN's screening is kept.
    justid = pl.DataFrame(
        [_notification("2", "release", D(2019, 1, 5), admission=admitted, release=D(2019, 1, 5))]
    )
    dpan = pl.DataFrame([_dpan("D1", admitted, None, None, place="Roermond")])
    (episode,) = build_episodes(justid, dpan).rows(named=True)
    assert episode["release_date"] == D(2019, 1, 5) and episode["end_reason"] == "Ontslag"
    assert episode["municipality_raw"] == "Roermond"
    assert episode["need_housing"] is True and episode["dpan_screened"]


def test_vectorised_pseudonym_equals_standard_hmac():
    from nazorg.bsn import pseudonymise_one

    bsns = ["999990007", "010000008", "999990019"]
    for key in ["k", "a" * 100, "sleutel-met-ë"]:
        assert pseudonymise(pl.Series(bsns), key).to_list() == [
            pseudonymise_one(b, key) for b in bsns
        ]


def test_pseudonyms_of_many_bsns_keep_their_order_across_hash_batches():
    """DuckDB hashes large inputs in parallel batches; every pseudonym must still land on
    its own BSN (and repeated BSNs get the same one)."""
    from nazorg.bsn import HASH_BATCH, pseudonymise_one

    bsns = [f"{n:09d}" for n in range(100_000_000, 100_000_000 + 3 * HASH_BATCH + 17)]
    series = pl.Series(bsns[::-1] + bsns[:5])
    got = pseudonymise(series, "k").to_list()
    assert got == [pseudonymise_one(b, "k") for b in series.to_list()]


# ------------------------------------------- more of the rules, value by value


def test_iso_dates_with_a_t_and_nulls_in_a_batch():
    frame = pl.DataFrame({"d": ["2013-01-16T00:00:00", None, "16-01-2013", "20000", "60001"]})
    assert frame.select(parse_date(pl.col("d"))).to_series().to_list() == [
        D(2013, 1, 16),
        None,
        D(2013, 1, 16),
        D(1954, 10, 3),  # the first serial number taken as a date
        None,  # past 2064: a number, not a date
    ]


def test_elfproef_of_empty_cells_is_false_not_null():
    frame = pl.DataFrame({"bsn": [None, "999990007", "12345678901"]}, schema={"bsn": pl.Utf8})
    valid = frame.select(passes_elfproef(normalise_bsn(pl.col("bsn")))).to_series()
    assert valid.dtype == pl.Boolean and valid.to_list() == [False, True, False]


def test_last_day_of_a_merged_municipality_is_still_itself():
    """A municipality exists up to and including its valid_to date; the successor takes
    over the day after. Several rows and spellings in one frame, by name and by code."""
    frame = pl.DataFrame(
        {
            "raw": ["Bussum", "GM0381", "Naarden", "Bussum", "0425", "Helden", "Helden", "Weesp"],
            "on": [
                D(2015, 12, 31),
                D(2015, 12, 31),
                D(2015, 12, 31),
                D(2016, 1, 1),
                D(2016, 1, 1),
                D(2009, 12, 31),
                D(2010, 1, 1),
                D(2022, 3, 23),
            ],
        }
    )
    out = resolve(frame, "raw", "on")
    assert out["municipality_code"].to_list() == [
        "GM0381",
        "GM0381",
        "GM0425",
        "GM1942",
        "GM1942",
        "GM0918",
        "GM1894",
        "GM0457",
    ]
    assert out["municipality_name"].to_list()[3] == "Gooise Meren"


def test_resolve_adds_exactly_four_columns_with_region_and_no_warning():
    frame = pl.DataFrame(
        {"raw": ["Hilversum", "Atlantis", None, "Peel & Maas"], "on": [D(2013, 1, 1)] * 4}
    )
    out = resolve(frame, "raw", "on")
    assert out.columns == [
        "raw",
        "on",
        "municipality_code",
        "municipality_name",
        "region",
        "municipality_warning",
    ]
    assert out.rows() == [
        ("Hilversum", D(2013, 1, 1), "GM0402", "Hilversum", "Gooi en Vechtstreek", None),
        (
            "Atlantis",
            D(2013, 1, 1),
            None,
            None,
            None,
            "gemeentenaam 'Atlantis' komt niet voor in de referentielijst",
        ),
        (None, D(2013, 1, 1), None, None, None, None),
        ("Peel & Maas", D(2013, 1, 1), "GM1894", "Peel en Maas", "Noord-Limburg", None),
    ]


def test_resolve_with_a_reference_of_its_own():
    """The reference list can be passed in (tests, a newer CBS list): a spelling that two
    municipalities share is ambiguous, a municipality that ended without a successor is
    named in the warning."""
    reference = pl.DataFrame(
        {
            "code": ["GM0001", "GM0002", "GM0003"],
            "name": ["Oostdorp", "Westdorp", "Zuiddorp"],
            "region": ["Regio", "Regio", None],
            "valid_from": [None, None, None],
            "valid_to": [None, None, D(2010, 12, 31)],
            "successor_code": [None, None, None],
            "variants": ["Dorp|Oost", "Dorp", None],
            "source_note": ["", "", ""],
        },
        schema_overrides={"valid_from": pl.Date, "valid_to": pl.Date},
    )
    frame = pl.DataFrame({"raw": ["oost", "Dorp", "Zuiddorp"], "on": [D(2011, 1, 1)] * 3})
    out = resolve(frame, "raw", "on", reference=reference)
    assert out["municipality_code"].to_list() == ["GM0001", None, None]
    assert out["municipality_warning"].to_list() == [
        None,
        "gemeentenaam 'Dorp' is niet eenduidig",
        "gemeente GM0003 was in 2011 al opgeheven zonder eenduidige opvolger",
    ]


@pytest.mark.parametrize("length", [63, 64, 65, 100])
def test_pseudonym_with_keys_around_the_hmac_block_size(length):
    """HMAC hashes a key longer than SHA-256's 64-byte block first, and uses one of 64
    bytes as it is: the vectorised pseudonym must agree on both sides of the edge."""
    key = "k" * length
    bsns = pl.Series(["999990007", "010000008"])
    assert pseudonymise(bsns, key).to_list() == [pseudonymise_one(b, key) for b in bsns]
