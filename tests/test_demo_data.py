"""The committed demo data is exactly what the generator makes."""

from nazorg.demo.__main__ import generate
from tests.conftest import RAW


def test_committed_demo_exports_match_the_generator(tmp_path):
    written = generate(tmp_path)
    assert written
    fresh = {
        p.relative_to(tmp_path).as_posix(): p.read_bytes()
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    committed = {
        p.relative_to(RAW).as_posix(): p.read_bytes()
        for p in RAW.rglob("*")
        if p.is_file()
        and p.relative_to(RAW).parts[0] in {"justid", "dpan", "screening", "caseload", "cohort"}
    }
    assert sorted(fresh) == sorted(committed), "files added or missing: run `make demo-data`"
    drifted = [name for name in fresh if fresh[name] != committed[name]]
    assert drifted == [], (
        f"demo exports differ from the generator: {drifted[:5]}; run `make demo-data`"
    )
