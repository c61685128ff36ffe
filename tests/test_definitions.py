"""The code location loads, every job resolves, and the asset keys are deliberate."""

from pathlib import Path

from pipelines import defs

EXPECTED_KEYS = Path(__file__).with_name("asset_keys.txt")


def test_definitions_load_and_jobs_resolve():
    jobs = {j.name: j for j in defs.resolve_all_job_defs()}
    # nightly, and the implicit job Dagster makes for "Materialize" in the UI
    assert sorted(jobs) == ["__ASSET_JOB", "nightly"]
    nightly = defs.resolve_job_def("nightly")
    steps = {node.name for node in nightly.graph.node_defs}
    # every layer, and publishing before the workbooks
    assert {"staging__detentions", "kpi_tables", "cohort_mkba", "warehouse__published"} <= steps
    assert "reports__region_workbooks" in steps
    for name, job in jobs.items():
        resolved = defs.resolve_job_def(name)
        assert {n.name for n in resolved.graph.node_defs} == {n.name for n in job.graph.node_defs}


def test_asset_keys_equal_the_checked_in_list():
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    expected = [line for line in EXPECTED_KEYS.read_text().splitlines() if line.strip()]
    assert keys == expected, (
        "asset keys changed: update tests/asset_keys.txt if the rename is deliberate"
    )


def test_every_table_asset_has_a_schema_check():
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key for key in graph.asset_check_keys if key.name == "matches_schema"}
    tables = {k for k in graph.get_all_asset_keys() if k.path[0] in {"staging", "kpi", "quality"}}
    assert tables <= checked, (
        f"tables without a Pandera check: {sorted(t.to_user_string() for t in tables - checked)}"
    )
