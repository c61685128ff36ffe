"""The pooled SQLite event log (instance/storage.py), configured in dagster.yaml.

It must store what Dagster's own SQLite event log stores, in the same files (so that
either class reads the other's history), while building one engine per database file
instead of one per event. These tests fail when a Dagster upgrade stops routing its
connections through the overridden ``_connect``.
"""

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

import instance.storage as pooled
from instance.storage import PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parent.parent
PRAGMAS = ("journal_mode", "synchronous")


@dg.asset
def table_a() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(deps=[table_a], check_specs=[dg.AssetCheckSpec("positive", asset="table_b")])
def table_b():
    yield dg.MaterializeResult(metadata={"rows": 2})
    yield dg.AssetCheckResult(check_name="positive", passed=True, metadata={"failed": 0})


def _home(tmp_path: Path, monkeypatch, config: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(config, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _history(instance: dg.DagsterInstance, run_id: str) -> list[tuple]:
    return [
        (e.dagster_event_type, e.step_key, e.message)
        for e in instance.all_logs(run_id)
        if e.is_dagster_event
    ]


def test_the_repository_instance_uses_the_pooled_event_log(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, REPO / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert Path(storage._base_dir) == home / "history" / "runs"  # Dagster's default place


def test_a_run_is_stored_through_one_engine_per_file_and_reads_back(tmp_path, monkeypatch):
    created = []
    real_create_engine = pooled.create_engine
    monkeypatch.setattr(
        pooled, "create_engine", lambda *a, **k: created.append(a[0]) or real_create_engine(*a, **k)
    )
    home = _home(tmp_path, monkeypatch, REPO / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([table_a, table_b], instance=instance)
        assert result.success
        run_id = result.run_id
        history = _history(instance, run_id)
        # every event of the run went through the pool: the index and the run's file
        assert len(history) == 20  # planned events, steps, outputs, materialisations, check
        assert sorted(set(created)) == sorted(
            {instance.event_log_storage.conn_string_for_shard(s) for s in ("index", run_id)}
        )
        assert len(created) == 2
        with instance.event_log_storage.run_connection(run_id) as conn:
            pragmas = [conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in PRAGMAS]
        assert pragmas == ["wal", 1]  # WAL (Dagster's), synchronous=NORMAL (ours)
        materialization = instance.get_latest_materialization_event(dg.AssetKey("table_b"))
        assert materialization.run_id == run_id
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("table_b"), "positive")]
        )
        assert [c.run_id for c in check.values()] == [run_id]
        assert [c.status.value for c in check.values()] == ["SUCCEEDED"]

    # Dagster's own event log reads the same history from the same files.
    plain = yaml.safe_load((REPO / "dagster.yaml").read_text())
    del plain["event_log_storage"]
    (home / "dagster.yaml").write_text(yaml.safe_dump(plain))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert _history(instance, run_id) == history
        assert instance.get_latest_materialization_event(dg.AssetKey("table_b")).run_id == run_id


def test_engines_of_old_runs_are_closed_and_wipe_lets_go_of_the_files(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, REPO / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        run_ids = [dg.materialize([table_a], instance=instance).run_id for _ in range(3)]
        monkeypatch.setattr(pooled, "MAX_RUN_ENGINES", 2)
        dg.materialize([table_a], instance=instance)
        assert len(storage._engines) == 3  # the index and the two latest runs
        assert "index" in storage._engines and run_ids[0] not in storage._engines
        index_engine = storage._engines["index"]
        storage.wipe()
        # only the index is open again (Dagster empties it after deleting the run files)
        assert list(storage._engines) == ["index"]
        assert storage._engines["index"] is not index_engine
        assert not list((home / "history" / "runs").glob("????????-*.db"))
        # and it goes on storing after the wipe
        assert dg.materialize([table_a], instance=instance).success


def test_a_forked_process_does_not_reuse_its_parents_connections(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, REPO / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        dg.materialize([table_a], instance=instance)
        inherited = dict(storage._engines)
        assert inherited
        # as after os.fork(): another process id
        monkeypatch.setattr(pooled.os, "getpid", lambda: -1)
        with storage.index_connection():
            pass
        assert list(storage._engines) == ["index"]
        assert storage._engines["index"] is not inherited["index"]


def test_a_failed_statement_rolls_back_and_the_pool_goes_on(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, REPO / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        with pytest.raises(Exception, match="no such table"):
            with storage.index_connection() as conn:
                conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
        assert dg.materialize([table_a], instance=instance).success


def test_without_dagster_home_the_events_go_to_a_temporary_folder(tmp_path, monkeypatch):
    """Dagster's command-line tools make a temporary instance when DAGSTER_HOME is not
    set, and still read dagster.yaml from the working directory (the repository)."""
    from dagster._core.instance.ref import InstanceRef

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv(pooled.TEMPORARY_FOLDER_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    registered = []
    monkeypatch.setattr(pooled.atexit, "register", lambda *a, **k: registered.append(a))
    ref = InstanceRef.from_dir(str(tmp_path / "temporary_home"), config_dir=str(REPO))
    with dg.DagsterInstance.from_ref(ref) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        folder = Path(storage._base_dir)
        assert folder.parent == tmp_path and folder.name.startswith(".tmp_dagster_home_")
        assert dg.materialize([table_a], instance=instance).success
        # a process it starts (dagster dev: webserver, daemon, runs) finds the same folder
        with dg.DagsterInstance.from_ref(ref) as child:
            assert Path(child.event_log_storage._base_dir) == folder
    assert (shutil.rmtree, str(folder)) in registered  # removed when the process ends
