"""Uploaded files in GridFS, streamed in and out in chunks (never whole in memory)."""

from pathlib import Path
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import CorruptGridFile, NoFile
from listflow.kit.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

CHUNK = 1024 * 1024
CHUNKS_PER_BATCH = 8


class FileStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._bucket = AsyncGridFSBucket(database, bucket_name="files", chunk_size_bytes=CHUNK)
        self._files = database["files.files"]
        self._chunks = database["files.chunks"]

    async def put(self, file_id: str, path: Path, filename: str, metadata: dict[str, Any]) -> None:
        async with self._bucket.open_upload_stream_with_id(
            file_id, filename, metadata=metadata
        ) as stream:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    await stream.write(chunk)

    async def fetch(self, file_id: str, path: Path) -> None:
        """Copy a stored file to `path`, a few chunks per round trip.

        GridFS's own reader asks for every chunk in one cursor, and FerretDB answers a first
        batch without MongoDB's 16 MiB cap: an 80 MB file came back as one reply over the
        48 MB wire-protocol limit, and the import failed. Reading the chunks with a bounded
        batch size works on both.
        """
        stored = await self._files.find_one({"_id": file_id})
        if stored is None:
            raise NoFile(f"no stored file {file_id}")
        expected = 0
        written = 0
        cursor = self._chunks.find(
            {"files_id": file_id}, sort=[("n", ASCENDING)], batch_size=CHUNKS_PER_BATCH
        )
        with path.open("wb") as target:
            async for chunk in cursor:
                if chunk["n"] != expected:
                    raise CorruptGridFile(f"chunk {expected} of {file_id} is missing")
                data: bytes = chunk["data"]
                target.write(data)
                written += len(data)
                expected += 1
        if written != stored["length"]:
            raise CorruptGridFile(f"{file_id} has {written} of its {stored['length']} bytes")
