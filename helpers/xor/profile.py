"""Where the time goes in the JAX stages, the one-line fixes, and what
torch.compile did."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from ..timing import wait_for
from ..validate import positive_int
from . import stage4_jax_eager, stage5_jax_jit_pieces, stage6_jax_jit_step
from .problem import LEARNING_RATE, SAMPLES, SEED

_MODULES = {4: stage4_jax_eager, 5: stage5_jax_jit_pieces,
            6: stage6_jax_jit_step}
PARTS = ("convert inputs", "gradient and update", "read loss (.item)")


def _initial_params(module):
    key_1, key_2 = jax.random.split(jax.random.key(SEED))
    return [module.init_layer(key_1, 2, 2), module.init_layer(key_2, 2, 1)]


def step_breakdown(stage: int, epochs: int = 50) -> dict[str, float]:
    """Mean seconds per sample-step spent in each part of a stage's inner loop.

    Each part is timed on its own and waited for, after one warm-up epoch so
    that compilation is not counted (it is measured separately).
    """
    if stage not in _MODULES:
        raise ValueError(f"step_breakdown covers the JAX stages "
                         f"{sorted(_MODULES)}, got {stage!r}")
    positive_int("epochs", epochs)
    module = _MODULES[stage]
    params = _initial_params(module)
    totals: Counter[str] = Counter()
    for epoch in range(epochs + 1):
        for x, y in SAMPLES:
            t0 = time.perf_counter()
            xa, ya = wait_for((jnp.array(x), jnp.array(y)))
            t1 = time.perf_counter()
            if stage == 6:
                params, loss = wait_for(
                    module.train_step(params, xa, ya, LEARNING_RATE))
            else:
                loss, grads = jax.value_and_grad(module.mse)(params, xa, ya)
                params = wait_for(
                    module.sgd_step(params, grads, LEARNING_RATE))
            t2 = time.perf_counter()
            loss.item()
            t3 = time.perf_counter()
            if epoch > 0:  # epoch 0 is the warm-up
                totals[PARTS[0]] += t1 - t0
                totals[PARTS[1]] += t2 - t1
                totals[PARTS[2]] += t3 - t2
    steps = epochs * len(SAMPLES)
    return {part: totals[part] / steps for part in PARTS}


# The stage-6 loop as the post wrote it, and two one-line fixes.

def loop_as_written(params, epochs):
    for _ in range(epochs):
        losses = []
        for x, y in SAMPLES:
            params, loss = stage6_jax_jit_step.train_step(
                params, jnp.array(x), jnp.array(y), LEARNING_RATE)
            losses.append(loss.item())
    return params, losses


def loop_inputs_once(params, epochs):
    data = [(jnp.array(x), jnp.array(y)) for x, y in SAMPLES]  # fix 1
    for _ in range(epochs):
        losses = []
        for x, y in data:
            params, loss = stage6_jax_jit_step.train_step(
                params, x, y, LEARNING_RATE)
            losses.append(loss.item())
    return params, losses


def loop_no_sync(params, epochs):
    data = [(jnp.array(x), jnp.array(y)) for x, y in SAMPLES]  # fix 1
    for _ in range(epochs):
        losses = []
        for x, y in data:
            params, loss = stage6_jax_jit_step.train_step(
                params, x, y, LEARNING_RATE)
            losses.append(loss)  # fix 2: no .item() per step
    return params, [float(v) for v in losses]


LOOPS = {"as written": loop_as_written,
         "inputs converted once": loop_inputs_once,
         "and no .item() per step": loop_no_sync}


def time_interleaved(loops: Mapping[str, Callable], epochs: int,
                     repeats: int = 5
                     ) -> dict[str, tuple[float, float, float]]:
    """Seconds per epoch of each loop: (median, fastest, slowest) over
    ``repeats`` rounds.

    Each ``loop(params, epochs)`` starts from stage 6's initial parameters.
    Every loop is called once to warm up (compilation is not timed); then each
    round calls every loop once, in turn, so that a change in the machine's
    load falls on all of them alike.
    """
    positive_int("epochs", epochs)
    positive_int("repeats", repeats)
    for loop in loops.values():
        wait_for(loop(_initial_params(stage6_jax_jit_step), 1))
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(repeats):
        for name, loop in loops.items():
            params = _initial_params(stage6_jax_jit_step)
            start = time.perf_counter()
            wait_for(loop(params, epochs))
            times[name].append((time.perf_counter() - start) / epochs)
    return {name: (statistics.median(t), min(t), max(t))
            for name, t in times.items()}


def same_result_for_every_loop(epochs: int = 20) -> bool:
    """The fixes change speed only: every variant ends with bitwise identical
    parameters."""
    start = _initial_params(stage6_jax_jit_step)
    ends = [jax.tree.leaves(loop(start, epochs)[0]) for loop in LOOPS.values()]
    return all(bool(jnp.array_equal(a, b))
               for other in ends[1:] for a, b in zip(ends[0], other))


# A control for stages 4 to 6: the same training with the inputs converted once
# and no .item(), so that only where the gradient is computed changes.

def _pieces(value_and_grad, sgd_step):
    """A loop over epochs that computes each step as two calls: the gradient,
    then the update."""
    def loop(params, epochs):
        data = [(jnp.array(x), jnp.array(y)) for x, y in SAMPLES]
        for _ in range(epochs):
            for x, y in data:
                _, grads = value_and_grad(params, x, y)
                params = sgd_step(params, grads, LEARNING_RATE)
        return params
    return loop


def _one_step(params, epochs):
    """Stage 6: the loss, the gradient and the update in one jitted call per
    step."""
    data = [(jnp.array(x), jnp.array(y)) for x, y in SAMPLES]
    for _ in range(epochs):
        for x, y in data:
            params, _ = stage6_jax_jit_step.train_step(
                params, x, y, LEARNING_RATE)
    return params


# Against stage 5, the control changes only where the differentiation happens
# (traced once and compiled, not redone in Python on every call); against
# stage 6, only the number of compiled calls per step (two, not one).
GRADIENT_CONTROLS = {
    "stage 4: all eager": _pieces(jax.value_and_grad(stage4_jax_eager.mse),
                                  stage4_jax_eager.sgd_step),
    "stage 5: grad of a jitted mse": _pieces(
        jax.value_and_grad(stage5_jax_jit_pieces.mse),
        stage5_jax_jit_pieces.sgd_step),
    "control: jit(value_and_grad), update apart": _pieces(
        jax.jit(jax.value_and_grad(stage5_jax_jit_pieces.mse)),
        stage5_jax_jit_pieces.sgd_step),
    "stage 6: one jitted step": _one_step,
}


def first_call_seconds() -> float:
    """Trace-and-compile time of stage 6's train_step for the XOR shapes
    (caches cleared)."""
    jax.clear_caches()
    params = _initial_params(stage6_jax_jit_step)
    x, y = jnp.array(SAMPLES[0][0]), jnp.array(SAMPLES[0][1])
    start = time.perf_counter()
    stage6_jax_jit_step.train_step.lower(params, x, y, LEARNING_RATE).compile()
    return time.perf_counter() - start
