"""Dagster's SQLite event log, with a connection pool per database file.

Dagster's own ``SqliteEventLogStorage`` builds a new SQLAlchemy engine, opens a new
SQLite connection and throws both away for every event it stores: a run of ``nightly``
stores about 250 events (a planned event, an output, a materialisation or a check
evaluation per table and check), and building and tearing down the engines took about
2.5 s of every run here, whether it computed anything or not (measured with the
orchestration floor, BENCHMARKS.md).

:class:`PooledSqliteEventLogStorage` stores the same events in the same files with the
same tables, through Dagster's own code: it changes only how a connection to a file is
obtained (one engine per file, its connections kept open between events, and SQLite's
``synchronous=NORMAL``, see :func:`_synchronous_normal`). Switching
back to Dagster's class (remove ``event_log_storage`` from ``dagster.yaml``) keeps the
whole history. It overrides ``_connect``, which is not Dagster's public API: Dagster is
pinned to one version in ``requirements.lock``, and ``tests/test_dagster_storage.py``
fails when an upgrade changes what the override relies on.

This module is loaded by Dagster when it reads ``dagster.yaml`` (in the CLI, the daemon
and the webserver), so it imports Dagster and SQLAlchemy only, not the pipeline.
"""

import atexit
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event

# A run writes to two files: its own and the index. A webserver reads many runs' files;
# beyond this many, the engine of the least recently used run file is closed.
MAX_RUN_ENGINES = 8


# Set in the process that made a temporary folder of events, for the processes it starts.
TEMPORARY_FOLDER_VARIABLE = "NAZORG_TEMPORARY_EVENT_LOG"
# The prefix of Dagster's own temporary instance folders (dagster._cli.utils).
TMP_DAGSTER_HOME_PREFIX = ".tmp_dagster_home_"


def _default_base_dir() -> str:
    home = os.environ.get("DAGSTER_HOME")
    if home:
        return os.path.join(home, "history", "runs")
    if folder := os.environ.get(TEMPORARY_FOLDER_VARIABLE):
        return folder
    # Like Dagster's temporary instance: in the working directory, under its prefix.
    folder = tempfile.mkdtemp(prefix=f"{TMP_DAGSTER_HOME_PREFIX}events_", dir=os.getcwd())
    os.environ[TEMPORARY_FOLDER_VARIABLE] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log storage keeping one engine per database file instead of one per
    event. Configured in ``dagster.yaml``::

        event_log_storage:
          module: instance.storage
          class: PooledSqliteEventLogStorage

    The files go where Dagster's own class puts them: ``$DAGSTER_HOME/history/runs``, or
    ``base_dir`` when configured (an instance whose folder is not ``DAGSTER_HOME``
    needs it). Without ``DAGSTER_HOME``, Dagster's command-line tools use a temporary
    instance and still read ``dagster.yaml`` from the working directory: the events
    then go to a temporary folder, shared with the processes it starts (``dagster
    dev``) and removed when the process that made it ends.
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir or _default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "PooledSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Same contract as Dagster's: one transaction per use, under the storage's lock
        # (the lock also makes it safe to hand a connection from thread to thread).
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():
            # A forked process must not use its parent's open SQLite connections.
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _synchronous_normal)
        self._engines[shard] = engine
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in runs[: max(0, len(runs) - MAX_RUN_ENGINES)]:
            self._engines.pop(name).dispose()
        return engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # Dagster deletes the run files: close every connection to them first.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def _synchronous_normal(dbapi_connection, _record) -> None:
    # Dagster keeps these files in WAL mode. There, NORMAL syncs at checkpoints instead
    # of at every commit: the file stays consistent, and only the last events before a
    # power failure (not a crash of the process) can be lost. ~0.5 s per run.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
