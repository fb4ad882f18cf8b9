"""Timing helper shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_medians(*fns: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    """Median wall time of each function, in seconds.

    The functions are timed interleaved (a, b, a, b, ...) rather than one after the other, so a
    ratio between them is not skewed by whatever else the machine does meanwhile (seen here:
    sequential timing under a background job moved a ratio from 1.05 to 1.8).
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, bucket in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]
