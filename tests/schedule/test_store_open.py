"""Opening the store at start: each failure is a StoreOpenError of its own kind, password hidden."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.schedule import migrations
from bot.schedule.store import ReminderStore
from bot.schedule.store_open import StoreOpenError, open_store, shown


async def test_schema_from_a_newer_safeer_is_unsupported(db_url: str) -> None:
    store = await ReminderStore.open(db_url)
    async with store.engine.begin() as conn:
        await conn.execute(migrations.schema_version_table.insert().values(
            version=99, description="future", applied_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)))
    await store.close()
    with pytest.raises(StoreOpenError) as caught:
        await open_store(db_url)
    assert caught.value.problem == "unsupported" and "upgrade Safeer" in str(caught.value)


async def test_a_good_database_opens(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        await store.ping()
    finally:
        await store.close()


@pytest.mark.parametrize(("url", "problem"), [
    ("mysql://safeer:hunter2@db/safeer", "unsupported"),
    ("postgresql+psycopg2://safeer:hunter2@db/safeer", "unsupported"),
    ("sqlite+pysqlite:///x.db", "unsupported"),
])
async def test_unsupported_urls(url: str, problem: str) -> None:
    with pytest.raises(StoreOpenError) as caught:
        await open_store(url)
    assert caught.value.problem == problem and "hunter2" not in str(caught.value)


async def test_a_file_in_the_way_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")
    with pytest.raises(StoreOpenError) as caught:
        await open_store(f"sqlite:///{tmp_path}/state/safeer.sqlite3")
    assert caught.value.problem == "folder_unwritable" and "a file is in the way" in str(caught.value)


def test_shown_hides_the_password() -> None:
    assert shown("postgresql://safeer:hunter2@db:5432/safeer") == "postgresql://safeer:***@db:5432/safeer"
    assert "hunter2" not in shown("postgres://u:hunter2@h/d")
