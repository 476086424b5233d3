"""In-memory adapters of ingest's other ports, for use-case tests on fakes: stored files,
saved mappings, previews, and contacts' match counts."""

import asyncio
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridfs.errors import NoFile
from listflow.ingest.adapters.mapping_repository import name_key
from listflow.ingest.domain.previews import MatchCounts
from listflow.ingest.ports import MAX_VALUES
from listflow.schemas.values import MatchKey


class InMemoryFileStore:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str, dict[str, Any]]] = {}

    async def put(self, file_id: str, path: Path, filename: str, metadata: dict[str, Any]) -> None:
        self.files[file_id] = (await asyncio.to_thread(path.read_bytes), filename, dict(metadata))

    async def fetch(self, file_id: str, path: Path) -> None:
        if file_id not in self.files:
            raise NoFile(f"no stored file {file_id}")
        await asyncio.to_thread(path.write_bytes, self.files[file_id][0])


class InMemorySavedMappings:
    """Saved mappings by id, found by id or by name as the Mongo repository finds them."""

    def __init__(self, *mappings: dict[str, Any]) -> None:
        self._mappings = {m["_id"]: copy.deepcopy(m) for m in mappings}

    async def find(self, tenant_id: str, name_or_id: str) -> dict[str, Any] | None:
        for doc in self._mappings.values():
            if doc["tenant_id"] == tenant_id and (
                doc["_id"] == name_or_id or name_key(doc["name"]) == name_key(name_or_id)
            ):
                return copy.deepcopy(doc)
        return None


class InMemoryPreviewStore:
    def __init__(self) -> None:
        self.previews: dict[str, dict[str, Any]] = {}

    async def replace(self, doc: dict[str, Any]) -> None:
        self.previews[doc["_id"]] = copy.deepcopy(doc)

    async def update(self, upload_id: str, run_id: str, fields: Mapping[str, Any]) -> None:
        doc = self.previews.get(upload_id)
        if doc is not None and doc["run_id"] == run_id:
            doc.update(copy.deepcopy(dict(fields)))

    async def get(self, tenant_id: str, upload_id: str) -> dict[str, Any] | None:
        doc = self.previews.get(upload_id)
        return copy.deepcopy(doc) if doc and doc["tenant_id"] == tenant_id else None


@dataclass
class KnownContacts:
    """Match counts from a fixed set of stored match values (each found once)."""

    values: set[str] = field(default_factory=set)
    calls: list[tuple[str, MatchKey, int]] = field(default_factory=list)

    async def match_counts(self, api_key: str, key: MatchKey, values: list[str]) -> MatchCounts:
        if len(values) > MAX_VALUES:
            raise ValueError(f"at most {MAX_VALUES} values per call")
        self.calls.append((api_key, key, len(values)))
        found = sum(v in self.values for v in values)
        return MatchCounts(no_match=len(values) - found, one_match=found)

    async def close(self) -> None:
        return None
