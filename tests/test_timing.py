"""helpers.timing: first call kept apart from steady state, and waiting for async work."""

from __future__ import annotations

import math
import time

import pytest

from helpers import timing


def test_first_call_is_reported_apart_from_steady_state():
    calls = []

    def slow_first():
        time.sleep(0.05 if not calls else 0.0)
        calls.append(1)
        return len(calls)

    result = timing.time_call(slow_first, repeats=3)
    assert len(calls) == 4
    assert len(result.steady_s) == 3
    assert result.first_call_s >= 0.05
    assert result.median_s < result.first_call_s
    assert result.compile_overhead_s == pytest.approx(result.first_call_s - result.median_s)


def test_jax_work_is_waited_for():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    @jax.jit
    def matmul(x):
        return x @ x

    x = jnp.ones((64, 64))
    result = timing.time_call(matmul, x, repeats=2)
    assert result.first_call_s > 0 and all(t > 0 for t in result.steady_s)
    out = timing.wait_for({"a": [matmul(x)]})
    assert float(out["a"][0][0, 0]) == 64.0


def test_torch_results_pass_through():
    torch = pytest.importorskip("torch")
    t = torch.ones(3)
    assert timing.wait_for(t) is t


@pytest.mark.parametrize("repeats", [0, -1, 1.5, True, "3"])
def test_bad_repeats_are_rejected(repeats):
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        timing.time_call(lambda: None, repeats=repeats)


def test_non_callable_is_rejected():
    with pytest.raises(TypeError, match="needs a callable"):
        timing.time_call(42)


def test_stopwatch_measures_a_block():
    with timing.Stopwatch() as sw:
        time.sleep(0.01)
    assert sw.seconds >= 0.01


@pytest.mark.parametrize("seconds, text", [
    (12.34, "12.3 s"), (0.0456, "45.6 ms"), (7.8e-6, "7.8 µs"), (9e-8, "90 ns"),
    (math.nan, "n/a"),
])
def test_format_seconds(seconds, text):
    assert timing.format_seconds(seconds) == text


@pytest.mark.parametrize("ratio, text", [
    (0.0384, "0.0384×"), (1.954, "1.95×"), (2360.4, "2,360×"), (math.nan, "n/a"),
])
def test_format_ratio(ratio, text):
    assert timing.format_ratio(ratio) == text


def test_one_convention_for_speed_ratios():
    assert timing.faster_header("stage 1") == "× faster than stage 1 (>1 means faster)"
    with pytest.raises(ValueError, match="reference must name"):
        timing.faster_header(" ")
