"""Uploaded files in GridFS, streamed in and out in chunks (never whole in memory)."""

from pathlib import Path
from typing import Any

from gridfs import AsyncGridFSBucket
from listflow.kit.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

CHUNK = 1024 * 1024


class FileStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._bucket = AsyncGridFSBucket(database, bucket_name="files", chunk_size_bytes=CHUNK)

    async def put(self, file_id: str, path: Path, filename: str, metadata: dict[str, Any]) -> None:
        async with self._bucket.open_upload_stream_with_id(
            file_id, filename, metadata=metadata
        ) as stream:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    await stream.write(chunk)

    async def fetch(self, file_id: str, path: Path) -> None:
        stream = await self._bucket.open_download_stream(file_id)
        with path.open("wb") as target:
            while chunk := await stream.readchunk():
                target.write(chunk)
