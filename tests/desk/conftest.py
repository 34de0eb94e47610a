"""Database fixtures: every test here runs on SQLite and on a real PostgreSQL server, each time in
a fresh database brought to the latest migration.

The PostgreSQL server is Debian's (``make test`` installs the package), started once per test
session in a temporary folder on a free loopback port, with trust authentication for loopback and
its socket in that folder; PostgreSQL refuses to run as root, so as root it runs as ``postgres``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator, Optional

import pytest
from cryptography.fernet import Fernet

from agencies.sealing import Sealer
from desk.db import make_engine, session_factory, upgrade_engine
from desk.settings import DeskSettings
from tests.conftest import free_port, wait_until


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make test` installs it (Debian package postgresql)"
        )
    return Path(found[-1]).parent


def unprivileged_user() -> Optional[pwd.struct_passwd]:
    """Whom to run PostgreSQL as: nobody else when not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this test session; its URL without a database name."""
    binaries = postgres_bin()
    user = unprivileged_user()
    # Not under pytest's tmp folder: that is readable by root alone.
    folder = Path(tempfile.mkdtemp(prefix="hamyar-postgres-"))
    as_user: dict = {}
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data, port = folder / "data", free_port()
    initdb = subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
        cwd=folder,
        capture_output=True,
        text=True,
        **as_user,
    )
    assert initdb.returncode == 0, initdb.stdout + initdb.stderr
    log = open(folder / "postgres.log", "w")
    if user is not None:
        os.chown(folder / "postgres.log", user.pw_uid, user.pw_gid)
    # Durability is not under test: no fsync, which makes CREATE DATABASE per test quick.
    process = subprocess.Popen(
        [
            str(binaries / "postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(folder),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        **as_user,
    )  # fmt: skip

    def ready() -> bool:
        probe = [str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        return subprocess.run(probe, capture_output=True).returncode == 0

    try:
        wait_until(ready, 60, "postgres", process)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    except BaseException:
        log.flush()
        print((folder / "postgres.log").read_text()[-4000:])
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # fast shutdown: ends open connections
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


async def _postgres_admin(server: str, statement: str) -> None:
    import asyncpg

    port = int(server.rsplit(":", 1)[1])
    connection = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"desk_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(server, f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    await _postgres_admin(server, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database_url: str):
    """An engine on a fresh database at the latest migration."""
    engine = make_engine(database_url)
    await upgrade_engine(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine):
    async with session_factory(engine)() as session:
        yield session


@pytest.fixture
def desk_settings(database_url: str) -> DeskSettings:
    return DeskSettings(database_url=database_url, desk_max_failed_logins=3, desk_lockout_minutes=15, handoff_retention_days=90)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(Fernet.generate_key().decode())
