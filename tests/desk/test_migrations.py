"""The initial migration gives exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect

from desk.db import alembic_config, current_revision, make_engine, upgrade_engine
from desk.models import Base
from tests.conftest import ROOT


def differences(connection, metadata: MetaData) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_upgrade_gives_the_models_schema(engine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(differences, Base.metadata) == []
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


async def test_the_comparison_sees_a_change(engine) -> None:
    """The check above would notice a model the migrations do not make."""
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["staff_users"].append_column(Column("shift", Integer))
    async with engine.connect() as connection:
        found = await connection.run_sync(differences, changed)
    assert [(change[0], change[2], change[3].name) for change in found] == [("add_column", "staff_users", "shift")]


async def test_the_command_line_upgrades_and_downgrade_empties(database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desk.db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "latest revision" in done.stdout
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = make_engine(database_url)
    try:
        assert head is not None and await current_revision(engine) == head
        await upgrade_engine(engine)  # again: nothing to do
        assert await current_revision(engine) == head

        from alembic import command

        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(database_url, sync), "base"))
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert tables == {"alembic_version"}
    finally:
        await engine.dispose()


async def test_sqlite_by_default_in_a_folder_made_for_it(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from desk.settings import DeskSettings

    assert DeskSettings().database_url == f"sqlite+aiosqlite:///{ROOT / '.run' / 'hamyar.db'}"
    folder = tmp_path / "run"
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'hamyar.db'}")
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()
    assert (folder / "hamyar.db").is_file() and folder.stat().st_mode & 0o777 == 0o700
