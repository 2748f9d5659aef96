"""A PostgreSQL server of the test's own, on a free port, that the test may stop and start.

Made from the machine's binaries (`/usr/lib/postgresql/<version>/bin` or `PATH`). PostgreSQL
refuses to run as root, so as root it runs as the `postgres` OS user (`runuser`), in a data
directory that user owns; trust authentication, on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import free_port


def postgres_bin_dir() -> Path | None:
    """The newest installed server's bin directory, or None."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
    )
    if installed:
        return installed[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="trust-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        argv = [str(self.bin_dir / command[0]), *command[1:]]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if completed.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed:\n{completed.stdout}{completed.stderr}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def require_postgres_binaries() -> Path:
    """The bin directory; fail loudly without it (skip only when SKIP_POSTGRES_TESTS=1)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is not None:
        return bin_dir
    message = (
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql. "
        "Set SKIP_POSTGRES_TESTS=1 to skip this test."
    )
    if os.environ.get("SKIP_POSTGRES_TESTS") == "1":
        pytest.skip("SKIPPED ON PURPOSE (SKIP_POSTGRES_TESTS=1): " + message)
    pytest.fail(message, pytrace=False)
