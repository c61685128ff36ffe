"""A tiny run of the benchmark: it completes and reports every stage (never a timing)."""

from bench.run import median, report, run
from nazorg.timing import STAGES


def test_benchmark_smoke_run_reports_every_stage(tmp_path):
    rounds = run(size=0.002, seed=7, data_dir=tmp_path / "data")
    assert set(rounds) == {"floor", "full", "incremental", "same_work", "baseline"}
    chosen = {name: median(ms) for name, ms in rounds.items()}
    assert all(m.exit_code == 0 for m in chosen.values())
    for stage in STAGES:
        assert stage in chosen["full"].stages, f"stage {stage} not timed"
    assert all(m.peak_rss_mib > 0 and m.wall_seconds > 0 for m in chosen.values())
    assert chosen["full"].stages["startup"] > 0
    # every step of the job is timed, in the real run and in the floor alike
    assert {"staging__detentions", "kpi_tables", "reports__region_workbooks"} <= set(
        chosen["full"].steps
    )
    assert set(chosen["floor"].steps) == set(chosen["full"].steps)
    # the ratio compares equal figures: the baseline computed what the pipeline did
    assert chosen["baseline"].stages["agreement"] == 0
    assert chosen["baseline"].stages["agreement_same_work"] == 0
    text = report(rounds, 0.002, tmp_path / "data" / "raw", "make bench")
    assert "naive baseline" in text and all(f"| {s} |" in text for s in STAGES)
    assert "Baseline agrees with the pipeline: yes" in text
    assert "orchestration floor" in text
    assert "A night's run (one new daily export) against the same baseline" in text
    assert "| kpi_tables |" in text
    assert "The same work as the baseline" in text
