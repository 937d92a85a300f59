"""The micro-batcher: concurrent callers share batch calls and each gets its own result."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from serving.microbatch import MicroBatcher


class Recorder:
    """A batch function that doubles its inputs and remembers each batch it saw."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()
        self.delay = delay

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.threads.add(threading.current_thread().name)
        if self.delay:
            threading.Event().wait(self.delay)
        return [2 * i for i in items]


def test_a_lone_call_is_run_at_once_in_a_batch_of_one() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch=8)
    try:
        assert asyncio.run(batcher(21)) == 42
    finally:
        batcher.close()
    assert recorder.batches == [[21]]
    assert recorder.threads and not recorder.threads & {threading.current_thread().name}


def test_calls_arriving_during_a_batch_share_the_next_and_keep_their_own_results() -> None:
    recorder = Recorder(delay=0.05)
    batcher = MicroBatcher(recorder, max_batch=64)
    observed: list[int] = []
    batcher.observe = observed.append

    async def main() -> list[int]:
        first = asyncio.ensure_future(batcher(0))
        await asyncio.sleep(0.01)  # the first batch is running
        rest = await asyncio.gather(*(batcher(i) for i in range(1, 20)))
        return [await first, *rest]

    try:
        results = asyncio.run(main())
    finally:
        batcher.close()
    assert results == [2 * i for i in range(20)]
    assert recorder.batches == [[0], list(range(1, 20))]
    assert observed == [len(batch) for batch in recorder.batches]
    assert batcher.mean_batch == pytest.approx(20 / len(recorder.batches))


def test_no_batch_is_larger_than_max_batch() -> None:
    recorder = Recorder(delay=0.02)
    batcher = MicroBatcher(recorder, max_batch=3)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(batcher(i) for i in range(10))))

    try:
        assert asyncio.run(main()) == [2 * i for i in range(10)]
    finally:
        batcher.close()
    assert max(len(batch) for batch in recorder.batches) == 3


def test_a_failing_batch_fails_its_callers_and_the_next_batch_still_runs() -> None:
    def explode_on_negative(items: Sequence[int]) -> list[int]:
        if any(i < 0 for i in items):
            raise ValueError("negative input")
        return list(items)

    batcher = MicroBatcher(explode_on_negative, max_batch=1)

    async def main() -> list[object]:
        return list(await asyncio.gather(batcher(-1), batcher(5), return_exceptions=True))

    try:
        failed, fine = asyncio.run(main())
    finally:
        batcher.close()
    assert isinstance(failed, ValueError) and "negative input" in str(failed)
    assert fine == 5


def test_an_exception_result_fails_only_its_own_caller() -> None:
    def refuse_odd(items: Sequence[int]) -> list[int | BaseException]:
        return [LookupError(f"no {i}") if i % 2 else i for i in items]

    batcher = MicroBatcher(refuse_odd, max_batch=8)

    async def main() -> list[object]:
        return list(await asyncio.gather(*(batcher(i) for i in range(4)), return_exceptions=True))

    try:
        results = asyncio.run(main())
    finally:
        batcher.close()
    assert results[0] == 0 and results[2] == 2
    assert isinstance(results[1], LookupError) and str(results[1]) == "no 1"
    assert isinstance(results[3], LookupError)
    assert batcher.batches == 1


def test_a_batch_function_returning_the_wrong_count_is_an_error_naming_both_counts() -> None:
    batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: [], max_batch=4)
    try:
        with pytest.raises(RuntimeError, match="0 results for 1 items"):
            asyncio.run(batcher(1))
    finally:
        batcher.close()


def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    recorder = Recorder(delay=0.05)
    batcher = MicroBatcher(recorder, max_batch=64)

    async def main() -> list[int]:
        first = asyncio.ensure_future(batcher(1))
        await asyncio.sleep(0)
        quitter = asyncio.ensure_future(batcher(2))
        others = [asyncio.ensure_future(batcher(i)) for i in (3, 4)]
        await asyncio.sleep(0.01)
        quitter.cancel()
        return [await first, *[await o for o in others]]

    try:
        assert asyncio.run(main()) == [2, 6, 8]
    finally:
        batcher.close()


def test_max_batch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1, got 0"):
        MicroBatcher(lambda items: list(items), max_batch=0)


def test_a_caller_that_went_away_while_queued_is_not_run() -> None:
    """A timed-out or hung-up request leaves a cancelled future: its item is never scored."""
    recorder = Recorder(delay=0.05)
    batcher = MicroBatcher(recorder, max_batch=64)

    async def main() -> list[int]:
        first = asyncio.ensure_future(batcher(0))
        await asyncio.sleep(0.01)  # the first batch is running; the next ones queue
        gone = asyncio.ensure_future(batcher(1))
        stays = asyncio.ensure_future(batcher(2))
        await asyncio.sleep(0)
        gone.cancel()
        return [await first, await stays]

    try:
        assert asyncio.run(main()) == [0, 4]
    finally:
        batcher.close()
    assert recorder.batches == [[0], [2]]
