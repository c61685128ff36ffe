"""The production deployment: Dagster on PostgreSQL, the systemd units and their
environment file (deploy/, docs/operations.md).

The PostgreSQL test starts a real server (tests/pg_server.py), runs ``nightly`` against
an instance configured by ``deploy/dagster.yaml`` exactly as shipped, and lets the real
``dagster-daemon`` make one tick of the export sensor against it.
"""

from __future__ import annotations

import configparser
import importlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import click
import dagster as dg
import pytest
import yaml

from assets.resources import NazorgWarehouse
from pipelines.definitions import build_defs
from tests.conftest import RAW, REPO, TEST_KEY
from tests.pg_server import postgres_server

DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
ENV_EXAMPLE = DEPLOY / "nazorg.env.example"
INSTALL_ROOT = "/opt/nazorg"  # where docs/operations.md puts the repository
DAEMON_TICK_SECONDS = 90


# --------------------------------------------------------------------------- instance


def test_the_production_instance_keeps_everything_in_postgresql():
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    db = config["storage"]["postgres"]["postgres_db"]
    assert {k: v for k, v in db.items() if k != "scheme"} == {
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    assert db["scheme"] == "postgresql+psycopg2"  # SQLAlchemy 2.1 (ecosystem notes)
    assert config["run_queue"]["max_concurrent_runs"] == 1
    assert config["run_monitoring"]["enabled"] is True
    assert config["telemetry"]["enabled"] is False
    assert config["compute_logs"]["class"] == "LocalComputeLogManager"
    # the repository's local default stays SQLite (instance/storage.py, tested apart)
    local = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert "storage" not in local and local["event_log_storage"]["module"] == "instance.storage"


def _ticks(instance: dg.DagsterInstance, name: str) -> list:
    """The finished ticks of a sensor (a tick is stored as STARTED, then completed)."""
    for state in instance.all_instigator_state():
        if state.name == name:
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id)
            return [t for t in ticks if t.status.value != "STARTED"]
    return []


def _cursor(instance: dg.DagsterInstance, name: str) -> str | None:
    for state in instance.all_instigator_state():
        if state.name == name and state.instigator_data is not None:
            return state.instigator_data.cursor
    return None


def test_nightly_and_a_sensor_tick_on_postgresql(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "warehouse" / "nazorg.duckdb"
    with postgres_server() as server:
        env = {
            **server.environment(),
            "DAGSTER_HOME": str(home),
            "DAGSTER_COMPUTE_LOG_DIR": str(home / "compute_logs"),
            "NAZORG_RAW_DIR": str(RAW),
            "NAZORG_WAREHOUSE": str(warehouse),
            "NAZORG_REPORTS_DIR": str(tmp_path / "reports"),
            "NAZORG_PSEUDONYM_KEY": TEST_KEY,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            storages = {
                type(s).__name__
                for s in (
                    instance.run_storage,
                    instance.event_log_storage,
                    instance.schedule_storage,
                )
            }
            assert storages == {
                "PostgresRunStorage",
                "PostgresEventLogStorage",
                "PostgresScheduleStorage",
            }
            resource = NazorgWarehouse(
                raw_dir=str(RAW), warehouse=str(warehouse), pseudonym_key=TEST_KEY
            )
            job = build_defs(resources={"nazorg": resource}).resolve_job_def("nightly")
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            assert result.success
            stored = instance.get_run_by_id(result.run_id)
            assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS
            events = instance.all_logs(result.run_id)
            assert len(events) > 100
            assert (
                instance.get_latest_materialization_event(
                    dg.AssetKey(["warehouse", "published"])
                ).run_id
                == result.run_id
            )
        assert warehouse.exists()

        # One tick of the export sensor by the real daemon, its cursor kept in PostgreSQL.
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", "workspace.yaml"],
            cwd=REPO,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its code server goes into the same group
        )
        try:
            with dg.DagsterInstance.from_config(str(home)) as instance:
                deadline = time.monotonic() + DAEMON_TICK_SECONDS
                # the tick is stored when it ends, the sensor's cursor just after
                while not (
                    _ticks(instance, "raw_exports_sensor")
                    and _cursor(instance, "raw_exports_sensor")
                ):
                    assert daemon.poll() is None, "dagster-daemon stopped"
                    assert time.monotonic() < deadline, "no sensor tick within time"
                    time.sleep(0.5)
                (tick,) = _ticks(instance, "raw_exports_sensor")[-1:]
                assert tick.status.value == "SKIPPED"
                assert "wacht" in (tick.skip_reason or "")  # the two-tick rule
                assert len(_cursor(instance, "raw_exports_sensor")) < 300
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
    assert not list(home.rglob("*.db"))  # no SQLite storage next to PostgreSQL


# --------------------------------------------------------------------------- systemd


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), line
            values[name] = value
    return values


def _in_repository(path: str) -> Path:
    assert path.startswith(INSTALL_ROOT + "/"), path
    return REPO / path.removeprefix(INSTALL_ROOT + "/")


def test_there_is_a_unit_for_the_daemon_and_one_for_the_webserver():
    commands = {Path(shlex.split(_unit(u)["Service"]["ExecStart"])[0]).name for u in UNITS}
    assert commands == {"dagster-daemon", "dagster-webserver"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_a_unit_runs_a_command_that_exists_as_its_own_user(unit):
    service = _unit(unit)["Service"]
    assert service["User"] == "nazorg" and service["Group"] == "nazorg"
    assert service["Restart"] in ("always", "on-failure")
    assert service["EnvironmentFile"] == "/etc/nazorg/nazorg.env"
    assert "/etc/nazorg/nazorg.env" in ENV_EXAMPLE.read_text()
    assert _in_repository(service["WorkingDirectory"] + "/.") == REPO / "."
    program, *arguments = shlex.split(service["ExecStart"])
    # the program is the virtual environment's console script of that name
    installed = Path(sys.executable).with_name(Path(program).name)
    assert program == f"{INSTALL_ROOT}/.venv/bin/{installed.name}" and installed.exists()
    workspace = arguments[arguments.index("-w") + 1]
    assert _in_repository(workspace).is_file()
    if installed.name == "dagster-webserver":
        assert arguments[arguments.index("-h") + 1] == "127.0.0.1"  # behind the proxy only
    # the command line parses: the console script's own (click) command accepts it
    local = [str(REPO / "workspace.yaml") if a == workspace else a for a in arguments]
    (script,) = entry_points(group="console_scripts", name=installed.name)
    command = importlib.import_module(script.module).cli  # what its main() runs
    while isinstance(command, click.Group):  # dagster-daemon run
        command, local = command.commands[local[0]], local[1:]
    command.make_context(installed.name, local)  # raises on an unknown option or value
    # it may write only where the environment file puts its state
    writable = service["ReadWritePaths"].split()
    env = _env_example()
    for name in (
        "DAGSTER_HOME",
        "DAGSTER_COMPUTE_LOG_DIR",
        "NAZORG_WAREHOUSE",
        "NAZORG_REPORTS_DIR",
    ):
        assert any(env[name].startswith(folder + "/") for folder in writable), name


def _product_sources() -> str:
    files = [
        *REPO.glob("pipelines/*.py"),
        *REPO.glob("assets/*.py"),
        *REPO.glob("nazorg/*.py"),
        *REPO.glob("instance/*.py"),
        DEPLOY / "dagster.yaml",
    ]
    return "\n".join(p.read_text() for p in files)


# Read by the product but deliberately not in the production environment file.
NOT_FOR_PRODUCTION = {
    "NAZORG_TIMINGS_FILE",  # the benchmark's timings
    "NAZORG_TEMPORARY_EVENT_LOG",  # set by instance/storage.py for its own children
}


def test_the_environment_file_names_variables_that_exist_and_all_that_production_needs():
    env = _env_example()
    sources = _product_sources()
    for name in env:
        assert re.search(rf"\b{name}\b", sources), f"{name} is read nowhere"
    read = set(re.findall(r"\b((?:NAZORG|DAGSTER_PG)_[A-Z0-9_]+)\b", sources))
    read |= set(re.findall(r"env: (\w+)", (DEPLOY / "dagster.yaml").read_text()))
    missing = read - set(env) - NOT_FOR_PRODUCTION
    assert not missing, f"not in {ENV_EXAMPLE.name}: {sorted(missing)}"
    for needed in (
        "DAGSTER_HOME",
        "NAZORG_ENV",
        "NAZORG_PSEUDONYM_KEY",
        "NAZORG_RAW_DIR",
        "NAZORG_WAREHOUSE",
        "NAZORG_ALERT_EMAIL",
        "NAZORG_SMTP_HOST",
        "NAZORG_SMTP_PORT",
    ):
        assert needed in env


def test_the_steps_install_the_environment_file_readable_by_root_only():
    steps = (REPO / "docs" / "operations.md").read_text()
    install = "install -m 0600 -o root -g root deploy/nazorg.env.example /etc/nazorg/nazorg.env"
    assert install in steps and install in ENV_EXAMPLE.read_text()
    for unit in UNITS:
        assert f"deploy/systemd/{unit.name}" in steps  # every unit is installed
    assert "install -o nazorg -g nazorg -m 0640 deploy/dagster.yaml" in steps
