"""Row checking in worker processes, so that validation uses more than one core and runs
ahead of publishing.

Validation is pure Python (phone parsing alone is ~50 µs a number), so threads would share
one core through the GIL. Workers are started with `spawn` (forking a process that runs an
event loop, Kafka and MongoDB clients would copy their threads' locks mid-use). A batch
crosses the process boundary as cells in and encoded event bytes out: pickling the pydantic
events instead would cost more than validating them.
"""

import asyncio
import multiprocessing
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from listflow.ingest.domain.batches import CheckedBatch, CheckSpec, RowChecker
from listflow.ingest.domain.file_rows import BrokenRow, Row
from listflow.kit.logging import get_logger
from listflow.kit.pii import Protector

_T = TypeVar("_T")
_log = get_logger(__name__)

_KEPT_CHECKERS = 4

# Worker-process state: the protector (made once from the secret sent at start) and the
# checkers of the imports this worker has recently seen (a validator caches parsed phones).
_protector: Protector | None = None
_checkers: OrderedDict[str, RowChecker] = OrderedDict()


def _start_worker(pii_secret: str) -> None:
    global _protector
    _protector = Protector(pii_secret)


def _checker(spec: CheckSpec, protector: Protector) -> RowChecker:
    checker = _checkers.get(spec.run_id)
    if checker is None:
        checker = _checkers[spec.run_id] = RowChecker(spec, protector)
        while len(_checkers) > _KEPT_CHECKERS:
            _checkers.popitem(last=False)
    else:
        _checkers.move_to_end(spec.run_id)
    return checker


def _check(spec: CheckSpec, batch: Sequence[Row | BrokenRow]) -> CheckedBatch:
    assert _protector is not None
    return _checker(spec, _protector).check(batch)


def _keys(spec: CheckSpec, batch: Sequence[Row | BrokenRow]) -> list[tuple[int, str]]:
    assert _protector is not None
    return _checker(spec, _protector).keys(batch)


class CheckerPool:
    """Checks batches in `workers` processes; with 0 workers, in a thread of this process."""

    def __init__(self, workers: int, pii_secret: str) -> None:
        self.workers = workers
        self._secret = pii_secret
        self._executor: ProcessPoolExecutor | None = None
        if workers == 0:
            _start_worker(pii_secret)

    @property
    def window(self) -> int:
        """How many batches an import keeps in flight: one per worker, plus one to publish."""
        return self.workers + 1

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._secret,),
            )
        return self._executor

    async def check(self, spec: CheckSpec, batch: Sequence[Row | BrokenRow]) -> CheckedBatch:
        return await self._run(_check, spec, batch)

    async def keys(
        self, spec: CheckSpec, batch: Sequence[Row | BrokenRow]
    ) -> list[tuple[int, str]]:
        return await self._run(_keys, spec, batch)

    async def _run(
        self,
        function: Callable[[CheckSpec, Sequence[Row | BrokenRow]], _T],
        spec: CheckSpec,
        batch: Sequence[Row | BrokenRow],
    ) -> _T:
        if self.workers == 0:
            return await asyncio.to_thread(function, spec, batch)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), function, spec, batch)
        except BrokenProcessPool:
            # A worker died (killed, out of memory) and took the pool with it: start a new
            # pool and check this batch once more there.
            _log.warning("row checker pool broke; starting a new one", upload_id=spec.upload_id)
            self.close()
            return await loop.run_in_executor(self._pool(), function, spec, batch)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
