"""Row checking in worker processes, so that validation uses more than one core and runs
ahead of publishing.

Validation is pure Python (phone parsing alone is ~50 µs a number), so threads would share
one core through the GIL. Workers are started with `spawn` (forking a process that runs an
event loop, Kafka and MongoDB clients would copy their threads' locks mid-use). A batch
crosses the process boundary as cells in and encoded event bytes out: pickling the pydantic
events instead would cost more than validating them.
"""

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from listflow.ingest.adapters.reader import FileRejected
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


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """End this worker when ingest dies, however it dies.

    A kill -9 of ingest runs none of its shutdown, and a worker blocked reading the task
    queue never sees the queue close (every worker holds the queue's write end too), so it
    would live on, holding memory, until the machine restarts. On Linux the kernel sends
    SIGKILL when the parent goes (PR_SET_PDEATHSIG: it follows the thread that started the
    worker, which is the event loop's, alive as long as ingest is); elsewhere a thread
    watches the parent's pid. Either way a parent gone before this ran is caught here.
    """
    armed = False
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if os.getppid() != parent:
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _start_worker(pii_secret: str, parent: int | None = None) -> None:
    global _protector
    if parent is not None:
        _die_with(parent)
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


def _ready() -> int:
    """Nothing: run in a new worker, it has imported what checking needs once it returns."""
    return os.getpid()


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

    def start(self) -> list[Future[int]]:
        """Start every worker now, in the background, rather than with the first upload: a
        spawned worker spends ~0.3 s of CPU importing the service's modules before it checks
        a row, which the first file after a start would otherwise wait for. Returns each
        worker's first task (its pid)."""
        if self.workers == 0:
            return []
        pool = self._pool()
        # Submitted together, before any worker is up, each task has a new worker spawned.
        return [pool.submit(_ready) for _ in range(self.workers)]

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
                initargs=(self._secret, os.getpid()),
            )
        return self._executor

    async def check(self, spec: CheckSpec, batch: Sequence[Row | BrokenRow]) -> CheckedBatch:
        return await self._run(_check, spec, batch)

    async def checked_ahead(
        self, spec: CheckSpec, batches: Iterator[Sequence[Row | BrokenRow]], max_rows: int
    ) -> AsyncGenerator[CheckedBatch]:
        """The file's batches checked, in file order, with `window` of them in the workers at
        once: reading, checking and what the caller does with each batch overlap. A file of
        more than `max_rows` rows is rejected as soon as the batch past the limit is read,
        before the caller is handed the batches still in the workers."""
        in_flight: deque[asyncio.Future[CheckedBatch]] = deque()
        rows_seen = 0
        try:
            while True:
                while len(in_flight) < self.window:
                    batch = await asyncio.to_thread(next, batches, None)
                    if batch is None:
                        break
                    rows_seen += len(batch)
                    if rows_seen > max_rows:
                        raise FileRejected(f"the file has more than {max_rows:,} rows, the limit")
                    in_flight.append(asyncio.ensure_future(self.check(spec, batch)))
                if not in_flight:
                    return
                yield await in_flight.popleft()
        finally:
            for pending in in_flight:
                pending.cancel()

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
