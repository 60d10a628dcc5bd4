"""A real PostgreSQL server for the tests: initdb in a temporary directory, pg_ctl on a free
loopback port, a fresh database per test (CREATE DATABASE from an empty template), stopped
when the session ends. initdb refuses root, so as root the server runs as the OS user
`postgres`."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

BINARIES = ("/usr/local/bin",)
USER = "werkmatch"


def _binary(name: str) -> str:
    """A PostgreSQL program: /usr/local/bin, Debian's versioned folders, then PATH."""
    for folder in (*BINARIES, *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)):
        if (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} not found: run `make postgres`")
    return found


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One server on loopback; `new_database()` gives the URL of a fresh, empty database."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="werkmatch-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            shutil.chown(self.folder, "postgres")
            self.folder.chmod(0o700)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, cwd=self.folder)

    def start(self) -> PostgresServer:
        self._run(
            _binary("initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        log = str(self.folder / "server.log")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        with self._admin() as conn:
            conn.execute("CREATE DATABASE werkmatch_template")
        return self

    def _admin(self) -> psycopg.Connection:
        dsn = f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres"
        return psycopg.connect(dsn, autocommit=True)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def new_database(self) -> str:
        """The SQLAlchemy URL of a new, empty database."""
        name = f"test_{next(self._names)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE werkmatch_template')
        return self.url(name)

    def stop(self) -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
