"""One contract for each of ingest's other stores, the in-memory fake and MongoDB (FerretDB
here) alike: stored files, previews and saved mappings (the uploads and their ledger have
theirs in test_upload_repository_contract.py)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gridfs.errors import NoFile
from listflow.ingest.adapters.file_store import FileStore
from listflow.ingest.adapters.mapping_repository import MappingRepository, name_key
from listflow.ingest.adapters.memory_stores import (
    InMemoryFileStore,
    InMemoryPreviewStore,
    InMemorySavedMappings,
)
from listflow.ingest.adapters.preview_store import PreviewStore
from listflow.ingest.ports import FileStorage, PreviewRepository, SavedMappings

from tests.conftest import fresh_database

SPRING: dict[str, Any] = {
    "_id": "m1",
    "tenant_id": "t1",
    "name": "Spring  Export",
    "name_key": name_key("Spring  Export"),
    "columns": [{"column": "E-Mail", "field": "email"}],
}


@pytest.fixture(params=["memory", "ferretdb"])
async def stores(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FileStorage, PreviewRepository, SavedMappings]]:
    if request.param == "memory":
        yield InMemoryFileStore(), InMemoryPreviewStore(), InMemorySavedMappings(SPRING)
        return
    async with fresh_database() as db:
        mappings = MappingRepository(db)
        await mappings.ensure_indexes()
        await mappings.insert(dict(SPRING))
        yield FileStore(db), PreviewStore(db), mappings


async def test_a_stored_file_comes_back_byte_for_byte(
    stores: tuple[FileStorage, PreviewRepository, SavedMappings], tmp_path: Path
) -> None:
    files, _, _ = stores
    data = bytes(range(256)) * 9000  # over two GridFS chunks
    (tmp_path / "in").write_bytes(data)
    await files.put("f1", tmp_path / "in", "list.csv", {"tenant_id": "t1"})
    await files.fetch("f1", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    with pytest.raises(NoFile):
        await files.fetch("nope", tmp_path / "missing")


async def test_a_preview_is_the_tenants_and_only_its_current_run_writes_it(
    stores: tuple[FileStorage, PreviewRepository, SavedMappings],
) -> None:
    _, previews, _ = stores
    await previews.replace({"_id": "u1", "tenant_id": "t1", "run_id": "r1", "status": "running"})
    await previews.replace({"_id": "u1", "tenant_id": "t1", "run_id": "r2", "status": "running"})
    await previews.update("u1", "r1", {"status": "completed"})  # superseded: writes nothing
    assert (await previews.get("t1", "u1") or {})["status"] == "running"
    await previews.update("u1", "r2", {"status": "completed", "rows_checked": 3})
    got = await previews.get("t1", "u1") or {}
    assert (got["status"], got["rows_checked"], got["run_id"]) == ("completed", 3, "r2")
    assert await previews.get("t2", "u1") is None


async def test_a_saved_mapping_is_found_by_id_or_by_name_in_its_tenant_only(
    stores: tuple[FileStorage, PreviewRepository, SavedMappings],
) -> None:
    _, _, mappings = stores
    by_id = await mappings.find("t1", "m1")
    by_name = await mappings.find("t1", "  spring export ")
    assert by_id is not None and by_name is not None
    assert by_id["columns"] == by_name["columns"] == SPRING["columns"]
    assert await mappings.find("t2", "m1") is None
    assert await mappings.find("t2", "Spring Export") is None
    assert await mappings.find("t1", "Autumn") is None
