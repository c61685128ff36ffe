"""The one resource every asset uses: where the inputs, the warehouse and the reports are.

Values not set explicitly come from the environment *when a run uses them*
(``NAZORG_RAW_DIR``, ``NAZORG_WAREHOUSE``, ``NAZORG_REPORTS_DIR``,
``NAZORG_PSEUDONYM_KEY``), so loading the definitions never depends on the
environment, and tests pass a ``tmp_path`` warehouse as an override.
"""

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from nazorg.builds import BUILDS_TABLE, files_fingerprint
from nazorg.settings import Settings
from nazorg.timing import mark_startup
from nazorg.warehouse import connect_work_file, ensure_schemas, table_exists

# Work files of runs that died are removed after this long.
STALE_WORK_FILE_SECONDS = 24 * 3600
# In the cache folder: the SHA-256 of every export as its file was last seen.
KNOWN_HASHES = "file_hashes.json"
# The asset that publishes a run's work file (assets/publish.py).
PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])
PUBLISH_STEP = "warehouse__published"


class NazorgWarehouse(dg.ConfigurableResource):
    """Paths and the pseudonym key; the private work file of a run."""

    raw_dir: str | None = None
    warehouse: str | None = None
    reports_dir: str | None = None
    pseudonym_key: str | None = None

    _warned: bool = PrivateAttr(default=False)
    # The run's work file stays open from its first step to publishing (see connect).
    _database: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _database_path: Path | None = PrivateAttr(default=None)
    # A re-execution's work file starts from the one of the run it re-executes (see
    # setup_for_execution); None: from the published warehouse.
    _start_from: Path | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        # The configured key is held to the same rule as NAZORG_PSEUDONYM_KEY.
        env = Settings.from_env(key=self.pseudonym_key)
        return Settings(
            raw_dir=Path(self.raw_dir) if self.raw_dir else env.raw_dir,
            warehouse=Path(self.warehouse) if self.warehouse else env.warehouse,
            reports_dir=Path(self.reports_dir) if self.reports_dir else env.reports_dir,
            pseudonym_key=env.pseudonym_key,
            uses_development_key=env.uses_development_key,
        )

    def key(self, log) -> str:
        settings = self.settings()
        if settings.uses_development_key and not self._warned:
            log.warning(
                "NAZORG_PSEUDONYM_KEY is niet gezet: de vaste ontwikkelsleutel wordt gebruikt. "
                "Zet een geheime sleutel voor echte gegevens (en NAZORG_ENV=production)."
            )
            self._warned = True
        return settings.pseudonym_key

    def cache_dir(self) -> Path:
        """Parsed input files by content hash (see nazorg.ingest.ParseCache)."""
        return self.settings().warehouse.parent / ".cache"

    def files_fingerprint(self, folders: list[str]) -> str:
        """:func:`nazorg.builds.files_fingerprint` of ``folders`` in raw/, with the hashes
        of unchanged files taken from the last run instead of read again."""
        return files_fingerprint(
            self.settings().raw_dir, folders, known_hashes=self.cache_dir() / KNOWN_HASHES
        )

    def work_file(self, run_id: str) -> Path:
        published = self.settings().warehouse
        return published.parent / ".work" / f"{published.stem}-{run_id}.duckdb"

    @contextmanager
    def connect(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-write connection to this run's private work file.

        A new work file starts as a copy of the published warehouse, so a run that
        materialises only some assets still publishes a complete warehouse; a
        re-execution starts from the work file of the run it re-executes instead.

        The database stays open between the steps of a run in one process (the
        in-process executor): each step gets a connection of its own to it, and closing
        that is cheap. Opening the file and checkpointing it when the last connection
        closed cost ~40 ms a step. The database is closed by :meth:`release`, before
        publishing, and at the end of the run (``teardown_after_execution``).
        """
        mark_startup()
        work = self.work_file(run_id)
        if self._database is None or self._database_path != work:
            self.release()
            from_parent = False
            if not work.exists():
                work.parent.mkdir(parents=True, exist_ok=True)
                self._remove_stale_work_files(work.parent)
                from_parent = self._start_from is not None and self._start_from.exists()
                start = self._start_from if from_parent else self.settings().warehouse
                if start.exists():
                    shutil.copyfile(start, work)
                wal = start.with_name(start.name + ".wal")  # a run that was killed
                if from_parent and wal.exists():
                    shutil.copyfile(wal, work.with_name(work.name + ".wal"))
            database = connect_work_file(work)
            ensure_schemas(database)
            if from_parent:
                forget_unchecked_builds(database)
            self._database, self._database_path = database, work
        con = self._database.cursor()
        try:
            yield con
        finally:
            con.close()

    def release(self) -> None:
        """Close the run's work file: everything written is in the file (checkpointed)."""
        database, self._database, self._database_path = self._database, None, None
        if database is not None:
            database.close()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """*Re-execute from failure* runs only the failed step and what follows it: the
        other steps' tables must be those the failed run built from the same exports, in
        its work file (kept after a failure), not the last published ones. Unless a run
        published since, which that file would set back."""
        run = context.run
        parent = run.parent_run_id if run is not None else None
        self._start_from = None
        if parent is None:
            return
        parent_work = self.work_file(parent)
        published = self.settings().warehouse
        if (
            parent_work.exists()
            and parent_work.stat().st_mtime > time.time() - STALE_WORK_FILE_SECONDS
            and (not published.exists() or parent_work.stat().st_mtime > published.stat().st_mtime)
        ):
            self._start_from = parent_work
            context.log.info(
                f"Heruitvoering van run {parent[:8]}: verder met de tabellen die die run "
                "bouwde (zijn werkbestand), niet met het gepubliceerde warehouse."
            )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        work = self._database_path  # None once published (publishing releases it)
        self.release()
        if work is not None and _built_tables_without_publishing(context):
            # "Materialize" on a few tables in the UI: they were built in this run's work
            # file, which nothing will publish. Say so rather than let the UI suggest that
            # the warehouse changed; the file is left to look at (and removed after a day).
            context.log.warning(
                "Deze run heeft niets gepubliceerd: warehouse/published zat niet in de "
                "selectie, dus het warehouse dat analisten openen is niet veranderd. De "
                f"gebouwde tabellen staan in {work} (na 24 uur opgeruimd); selecteer "
                "warehouse/published mee om ze te publiceren."
            )

    @staticmethod
    def _remove_stale_work_files(folder: Path) -> None:
        cutoff = time.time() - STALE_WORK_FILE_SECONDS
        for path in folder.glob("*.duckdb*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def _built_tables_without_publishing(context: dg.InitResourceContext) -> bool:
    """Whether the run materialised a table and publishing was not among its steps (a
    run of a job's every step, ``nightly``, has it; a run of checks alone built nothing)."""
    run = context.run
    if run is None or run.step_keys_to_execute is None or context.instance is None:
        return False
    if PUBLISH_STEP in run.step_keys_to_execute:
        return False  # planned: it ran, or a failure before it says why it did not
    built = context.instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1
    )
    return bool(built.records)


def forget_unchecked_builds(con: duckdb.DuckDBPyConnection) -> None:
    """Builds whose Pandera check did not pass (the failed run's broken table) are not
    kept by a re-execution: without their record the table is built and checked again."""
    if table_exists(con, BUILDS_TABLE):
        con.execute(f"DELETE FROM {BUILDS_TABLE} WHERE checked IS NULL")
