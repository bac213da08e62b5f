"""Time JAX and PyTorch calls correctly: wait for the work, and keep compile apart.

Speed ratios follow one convention in the whole book (:func:`faster_header`):
the reference's time over the variant's, so that above 1 means faster.

JAX dispatches work asynchronously and returns before the numbers exist, and
CUDA does the same for PyTorch; a timer that does not wait measures only the
dispatch. The first call of a jitted or compiled function also pays for tracing
and compilation, so it is reported on its own, never mixed into the median.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .validate import positive_int


@dataclass(frozen=True)
class Timing:
    """First-call time (includes any compilation) and steady-state times, in seconds."""

    first_call_s: float
    steady_s: tuple[float, ...]

    @property
    def median_s(self) -> float:
        """Median of the steady-state calls: the number to compare."""
        return statistics.median(self.steady_s)

    @property
    def compile_overhead_s(self) -> float:
        """How much longer the first call took than a typical later call."""
        return max(0.0, self.first_call_s - self.median_s)

    def __str__(self) -> str:
        return (
            f"first call {format_seconds(self.first_call_s)}, "
            f"then median {format_seconds(self.median_s)} over {len(self.steady_s)} calls"
        )


def wait_for(result: Any) -> Any:
    """Block until ``result`` (any pytree of arrays or tensors) is computed; return it."""
    jax = sys.modules.get("jax")
    if jax is not None:
        result = jax.block_until_ready(result)
    torch = sys.modules.get("torch")
    if torch is not None:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        mps = getattr(torch, "mps", None)
        if mps is not None and torch.backends.mps.is_available():
            mps.synchronize()
    return result


def time_call(fn: Callable[..., Any], *args: Any, repeats: int = 5, **kwargs: Any) -> Timing:
    """Call ``fn(*args, **kwargs)`` once, then ``repeats`` more times, waiting for each."""
    if not callable(fn):
        raise TypeError(f"time_call needs a callable, got {type(fn).__name__}")
    positive_int("repeats", repeats)
    first = _timed(fn, args, kwargs)
    steady = tuple(_timed(fn, args, kwargs) for _ in range(repeats))
    return Timing(first_call_s=first, steady_s=steady)


def _timed(fn: Callable[..., Any], args: tuple, kwargs: dict) -> float:
    start = time.perf_counter()
    wait_for(fn(*args, **kwargs))
    return time.perf_counter() - start


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``; waits for ``sw.result`` if set."""

    def __init__(self) -> None:
        self.seconds: float = float("nan")
        self.result: Any = None
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wait_for(self.result)
        self.seconds = time.perf_counter() - self._start


def format_seconds(seconds: float) -> str:
    """Human units: 12.3 s, 45.6 ms, 7.8 µs, 90 ns."""
    if seconds != seconds:  # NaN
        return "n/a"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(ratio: float) -> str:
    """A ratio without exponent notation: 0.042×, 1.95×, 2,360×; n/a for NaN."""
    if ratio != ratio:  # NaN
        return "n/a"
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.3g}×"


def faster_header(reference: str) -> str:
    """The book's one convention for speed ratios, spelled out for a table header.

    Every ratio in the book's timing tables is the reference's time divided by
    the variant's time, so that above 1 means faster than the reference.
    """
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError(f"reference must name what the ratio compares with, got {reference!r}")
    return f"× faster than {reference} (>1 means faster)"
