"""A real PostgreSQL server for the tests: the distribution's binaries (`initdb`, `pg_ctl`)
into a temporary folder, on a free loopback port, stopped after the session.

Not pytest-postgresql: initdb refuses to run as root, and CI runs as root; this starts the
server as the `postgres` user the Debian package makes (with `runuser`) when the tests run
as root, and as the test's own user otherwise. `.ci/run` installs the package; without it
and without CI set the tests that need it are skipped, with CI set they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in `folder`, listening on 127.0.0.1:`port`, user `picker`."""

    USER = "picker"

    def __init__(self, folder: Path, durable: bool = False) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError("no PostgreSQL here: apt-get install postgresql")
        self.bin = found
        self.folder = folder
        self.durable = durable  # fsync on, as a server that must survive the machine (bench/)
        self.data = folder / "data"
        self.port = _free_port()
        self.as_other = os.geteuid() == 0  # initdb and postgres refuse root
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_other:
            shutil.chown(folder, "postgres", "postgres")

    def _run(self, *argv: str) -> None:
        cmd = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_other:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> PgServer:
        """Start the server (made on its first start; started again after `stop`, on the same
        port, with its data)."""
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", self.USER, "-A", "trust",
                      "--no-sync", "-E", "UTF8", "--locale", "C")  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c max_connections=200"
            + ("" if self.durable else " -c fsync=off -c full_page_writes=off")
        )  # no fsync: the tests stop the server, never the machine. But synchronous_commit
        # stays on: off, a commit is answered before its WAL is written, and a server stopped
        # with -m immediate loses the last ones a device was told were applied.
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, template: str = "") -> str:
        """A new database of the test's own (empty, or a copy of database `template`, which
        nobody may be connected to); its address."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
        return self.dsn(name)
