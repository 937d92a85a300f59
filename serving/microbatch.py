"""Concurrent single-item requests answered by one batch call: whatever queued meanwhile.

There is no timer: the first request of a quiet period is run on the event loop's next turn,
with whatever else has queued by then, and the requests that arrive while a batch runs form
the next batch (at most `max_batch`). A lone client waits for nothing, and under load the
per-call costs (booster call, calibrator, reason ranking) are paid once per batch instead of
once per request.

Batches run one at a time on a thread of their own, so the event loop keeps reading, parsing
and answering requests while the booster (which releases the GIL) computes: the two halves of
the work overlap on two cores.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["MAX_BATCH", "MicroBatcher"]

log = logging.getLogger(__name__)

# Most requests one batch carries: a 64-row booster call takes ~50 ms on one core here, which
# bounds how long the last request of a full queue waits behind the others.
MAX_BATCH = 64
Item = TypeVar("Item")
Result = TypeVar("Result")


class MicroBatcher(Generic[Item, Result]):
    """Runs `run_batch(items) -> results` (same length, same order) for concurrent callers.

    A result that is an exception is raised to its caller alone: one item's failure (a customer
    lookup that could not be made) does not fail the others of its batch.
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
        max_batch: int = MAX_BATCH,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.observe = observe  # called with each batch's size (e.g. a histogram's observe)
        self._queue: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="micro-batch")
        self.batches = 0
        self.items = 0

    async def __call__(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            size = min(len(self._queue), self.max_batch)
            taken = [self._queue.popleft() for _ in range(size)]
            # a caller that went away (timed out, hung up) leaves a cancelled future: not scored
            batch = [(item, future) for item, future in taken if not future.done()]
            if not batch:
                continue
            size = len(batch)
            started = time.perf_counter()
            try:
                items = [item for item, _ in batch]
                results = await loop.run_in_executor(self._executor, self.run_batch, items)
                if len(results) != len(batch):
                    raise RuntimeError(
                        f"batch function returned {len(results)} results for {len(batch)} items"
                    )
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # a caller that went away leaves a cancelled future
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            self.batches += 1
            self.items += size
            if self.observe is not None:
                self.observe(size)
            log.debug(
                "micro-batch of %d in %.2f ms (%d queued)",
                size,
                (time.perf_counter() - started) * 1000,
                len(self._queue),
            )

    @property
    def mean_batch(self) -> float:
        """Items per batch so far (0 before the first batch)."""
        return self.items / self.batches if self.batches else 0.0

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
