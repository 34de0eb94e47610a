"""Upgrades started at once on a fresh database (gateway workers, Kubernetes replicas and their
init containers) migrate it once: the others wait, then find it at the latest revision. Without
desk/db.py's lock_for_migration these fail on PostgreSQL (two transactions create alembic_version)
and on SQLite (each CREATE TABLE commits on its own)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from desk.db import alembic_config, make_engine, upgrade_engine
from desk.models import Base
from desk.runtime import SharedDatabaseRequired, open_runtime
from desk.settings import DeskSettings
from tests.conftest import ROOT

UPGRADES = 4
# Upgrades that interleave may also wait on each other for ever (Alembic's context is global to
# the process): a failure, not a hang.
DEADLINE = 30
# `python -m desk.db upgrade`, held at a gate once its imports are done, so that two processes
# start migrating together rather than one import time apart.
GATED_UPGRADE = """
import runpy, sys
import aiosqlite, alembic.command, asyncpg, desk.models, sqlalchemy.ext.asyncio
print("ready", flush=True)
sys.stdin.readline()
sys.argv = ["desk.db", "upgrade"]
runpy.run_module("desk.db", run_name="__main__", alter_sys=True)
"""


async def versions_and_tables(url: str) -> tuple[list[str], list[str]]:
    """The rows of alembic_version and the tables, each name as often as the database has it."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            versions = list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
            tables = await connection.run_sync(lambda sync: sorted(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    return versions, tables


def expected(url: str) -> tuple[list[str], list[str]]:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return [head], sorted([*Base.metadata.tables, "alembic_version"])


async def test_upgrades_at_once_in_one_process(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(UPGRADES)]
    try:
        await asyncio.wait_for(asyncio.gather(*(upgrade_engine(engine) for engine in engines)), DEADLINE)
    finally:
        for engine in engines:
            await engine.dispose()
    assert await versions_and_tables(database_url) == expected(database_url)


async def test_two_processes_upgrading_at_once(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", GATED_UPGRADE],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n", process.communicate()[1]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, (out, err) in zip(processes, outcomes):
        assert process.returncode == 0 and "latest revision" in out, err
    assert await versions_and_tables(database_url) == expected(database_url)


# Under Kubernetes every replica would write a SQLite file of its own.


def test_the_command_refuses_sqlite_under_kubernetes(tmp_path) -> None:
    database = tmp_path / "run" / "desk.db"
    done = subprocess.run(
        [sys.executable, "-m", "desk.db", "upgrade"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "DATABASE_URL is SQLite" in done.stderr and "hamyar-secrets" in done.stderr
    assert not database.parent.exists()


async def test_the_gateway_refuses_sqlite_under_kubernetes(tmp_path, monkeypatch, redis, caplog) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    settings = DeskSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    with pytest.raises(SharedDatabaseRequired):
        open_runtime(redis, settings)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and "DATABASE_URL is SQLite" in r.getMessage()]


async def test_the_gateway_opens_postgresql_under_kubernetes(postgres_server: str, monkeypatch, redis) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    runtime = open_runtime(redis, DeskSettings(database_url=f"{postgres_server}/postgres"))
    await runtime.engine.dispose()
