"""One training step of the second act's CNN, timed four ways from the same ported weights.

Variants (names for :func:`run`'s ``variants``):

- ``"pytorch eager"``: ``zero_grad``, forward, cross-entropy, ``backward``, ``step``;
- ``"pytorch compile"``: the same step with the **model + loss** under
  ``torch.compile`` (default Inductor mode); ``backward`` runs the compiled
  backward graph, ``optimizer.step()`` stays eager;
- ``"jax.jit"``: :func:`helpers.training.jax_train_step` (a functional step on
  the ``nnx.split`` state with Optax) under ``jax.jit``;
- ``"nnx.jit"``: an NNX step with ``nnx.Optimizer(model, tx, wrt=nnx.Param)``
  and ``optimizer.update(model, grads)`` under ``nnx.jit``.

Every variant starts from the same PyTorch initialisation (ported to NNX with
:func:`helpers.port.port_weights`), uses Adam 1e-3 and the same batches of 64,
with dropout off so the four can be checked step for step: the losses of the
first :data:`CHECK_STEPS` steps must agree with eager PyTorch's
(``rtol=RTOL, atol=ATOL``: float32 with different summation orders) before
anything is timed, else :class:`LossMismatch` is raised.

Method, as ``helpers.xor.benchmark``: both runtimes are warmed first; each
variant's first call (tracing and compilation) is timed apart; the steady
calls are **interleaved** (one call of each variant per round, the starting
variant rotating), for at least :data:`MIN_ROUNDS` rounds and until the
``budget_s`` is spent. JAX results are waited for with ``block_until_ready``,
PyTorch's by reading the loss (``.item()``).
"""

from __future__ import annotations

import copy
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from helpers.timing import faster_header, format_ratio, format_seconds

VARIANTS = ("pytorch eager", "pytorch compile", "jax.jit", "nnx.jit")
REFERENCE = "pytorch eager"
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
DROPOUT = 0.0  # off: PyTorch and JAX draw different masks, and the losses are compared
CHECK_STEPS = 3
RTOL, ATOL = 1e-4, 1e-5
MIN_ROUNDS = 5
MAX_ROUNDS = 10_000
SPEEDUP_HEADER = faster_header("PyTorch eager") + ", median (range)"


class LossMismatch(AssertionError):
    """A variant's losses do not agree with eager PyTorch's from the same start."""


@dataclass
class Result:
    name: str
    framework: str
    first_call_s: float  # the first step: tracing and compilation included
    compiles: bool
    times_s: tuple[float, ...]  # every steady step, in the order they ran
    check_losses: tuple[float, ...]  # the first CHECK_STEPS losses (the first call's included)
    speedup: float = float("nan")  # eager PyTorch's median over this one's: >1 is faster
    speedup_range: tuple[float, float] = (float("nan"), float("nan"))

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)

    @property
    def spread_s(self) -> tuple[float, float]:
        return min(self.times_s), max(self.times_s)

    @property
    def compile_s(self) -> float | None:
        """The first call's excess over the median; None for eager PyTorch."""
        return max(0.0, self.first_call_s - self.median_s) if self.compiles else None


class Results(list):
    """The :class:`Result` rows plus the run's setup (versions, threads, budget, tolerance)."""

    def __init__(self, rows: Sequence[Result] = (), setup: dict | None = None) -> None:
        super().__init__(rows)
        self.setup: dict = dict(setup or {})


def batches(count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` training batches of 64 (NCHW images, int64 labels), in a seeded order."""
    from helpers import digits

    split = digits.load()
    order = np.random.default_rng(seed).permutation(len(split.y_train))
    if count * BATCH_SIZE > len(order):
        raise ValueError(f"at most {len(order) // BATCH_SIZE} batches of {BATCH_SIZE}, got {count}")
    return [(split.x_train[order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]],
             split.y_train[order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]]) for i in range(count)]


# ------------------------------------------------------------------ the four steps
# Each builder returns step(i) -> float: one training step on batch i, synchronised.

def _torch_step(start: Any, data: list, compiled: bool) -> Callable[[int], float]:
    import torch

    model = copy.deepcopy(start)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]

    def loss_of(x: Any, y: Any) -> Any:
        return torch.nn.functional.cross_entropy(model(x), y)

    loss_fn = torch.compile(loss_of) if compiled else loss_of

    def step(i: int) -> float:
        x, y = tensors[i % len(tensors)]
        optimizer.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def _nnx_model(start: Any) -> Any:
    from flax import nnx

    from helpers import digits, port

    model = digits.nnx_cnn(nnx.Rngs(0), dropout=DROPOUT)
    port.port_weights(start, model, digits.TORCH_TO_NNX)
    return model


def _jax_data(data: list) -> list:
    import jax.numpy as jnp

    return [(jnp.asarray(np.ascontiguousarray(x.transpose(0, 2, 3, 1))), jnp.asarray(y.astype(np.int32)))
            for x, y in data]


def _jax_jit_step(start: Any, data: list) -> Callable[[int], float]:
    import jax
    import optax
    from flax import nnx

    from helpers import training

    graphdef, params, rest = nnx.split(_nnx_model(start), nnx.Param, ...)
    tx = optax.adam(LEARNING_RATE)
    state = {"params": params, "rest": rest, "opt": tx.init(params)}
    train_step = jax.jit(training.jax_train_step(graphdef, tx))
    arrays = _jax_data(data)

    def step(i: int) -> float:
        nonlocal state
        state, loss = train_step(state, *arrays[i % len(arrays)])
        return float(jax.block_until_ready(loss))

    return step


def _nnx_jit_step(start: Any, data: list) -> Callable[[int], float]:
    import jax
    import optax
    from flax import nnx

    model = _nnx_model(start)
    optimizer = nnx.Optimizer(model, optax.adam(LEARNING_RATE), wrt=nnx.Param)
    arrays = _jax_data(data)

    @nnx.jit
    def train_step(model: Any, optimizer: Any, x: Any, y: Any) -> Any:
        def loss_fn(model: Any) -> Any:
            return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    def step(i: int) -> float:
        return float(jax.block_until_ready(train_step(model, optimizer, *arrays[i % len(arrays)])))

    return step


BUILDERS: dict[str, tuple[str, bool, Callable[[Any, list], Callable[[int], float]]]] = {
    "pytorch eager": ("PyTorch", False, lambda s, d: _torch_step(s, d, compiled=False)),
    "pytorch compile": ("PyTorch", True, lambda s, d: _torch_step(s, d, compiled=True)),
    "jax.jit": ("JAX", True, _jax_jit_step),
    "nnx.jit": ("JAX", True, _nnx_jit_step),
}


# ------------------------------------------------------------------ running

def warm_up() -> dict[str, float]:
    """Pay JAX's backend start, PyTorch's first optimizer step and Dynamo/Inductor's import."""
    import jax
    import jax.numpy as jnp
    import torch

    costs = {}
    start = time.perf_counter()
    jax.block_until_ready(jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x) ** 2)))(jnp.ones(4)))
    costs["jax"] = time.perf_counter() - start
    start = time.perf_counter()
    layer = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.1)
    layer(torch.ones(2)).sum().backward()
    optimizer.step()
    costs["torch"] = time.perf_counter() - start
    start = time.perf_counter()
    torch.compile(lambda t: torch.sin(t) * 2)(torch.ones(4))
    costs["torch.compile"] = time.perf_counter() - start
    return costs


def describe(threads: int) -> dict:
    """Versions, machine and threads, for the JSON."""
    import flax
    import jax
    import optax
    import torch

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "versions": {"python": platform.python_version(), "jax": jax.__version__,
                     "jaxlib": getattr(sys.modules.get("jaxlib"), "__version__", "?"),
                     "flax": flax.__version__, "optax": optax.__version__,
                     "torch": torch.__version__, "numpy": np.__version__},
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpus_usable": cpus, "jax_devices": [str(d) for d in jax.devices()]},
        "threads": {"torch_set_num_threads": threads, "torch_intra_op": torch.get_num_threads(),
                    "xla_flags": os.environ.get("XLA_FLAGS", ""),
                    "note": "XLA's CPU thread pool uses the usable CPUs unless XLA_FLAGS says otherwise"},
    }


def _check_args(variants: Sequence[str], budget_s: float, min_rounds: int, threads: int) -> list[str]:
    if isinstance(variants, str):
        variants = [variants]
    chosen = list(variants)
    unknown = [v for v in chosen if v not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}; the variants are {', '.join(VARIANTS)}")
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"variants must name each of {', '.join(VARIANTS)} at most once, got {chosen}")
    if REFERENCE not in chosen:
        chosen.insert(0, REFERENCE)  # the losses are checked, and speeds compared, against it
    if isinstance(budget_s, bool) or not isinstance(budget_s, (int, float)) or not budget_s > 0:
        raise ValueError(f"budget_s must be a positive number of seconds, got {budget_s!r}")
    for name, value in (("min_rounds", min_rounds), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return chosen


def run(variants: Sequence[str] = VARIANTS, budget_s: float = 20.0, min_rounds: int = MIN_ROUNDS,
        threads: int = 1, seed: int = 0, progress: Callable[[str], None] | None = None) -> Results:
    """Check the variants' losses against eager PyTorch's, then time their steps interleaved.

    ``budget_s`` bounds the steady-state phase (all variants together); at
    least ``min_rounds`` rounds run whatever it says. ``threads`` goes to
    ``torch.set_num_threads``. Eager PyTorch is always included (the reference).
    """
    chosen = _check_args(variants, budget_s, min_rounds, threads)
    say = progress or (lambda line: None)
    import torch

    from helpers import digits

    torch.set_num_threads(threads)
    setup = describe(threads)
    say("warming up both runtimes")
    setup["warm_up_s"] = warm_up()
    torch.manual_seed(seed)
    start_model = digits.torch_cnn(dropout=DROPOUT)
    data = batches(8, seed)
    steps, first, losses = {}, {}, {}
    for name in chosen:
        say(f"building and checking {name}")
        steps[name] = BUILDERS[name][2](start_model, data)
        began = time.perf_counter()
        losses[name] = [steps[name](0)]
        first[name] = time.perf_counter() - began
        losses[name] += [steps[name](i) for i in range(1, CHECK_STEPS)]
    check_losses(losses)
    times: dict[str, list[float]] = {name: [] for name in chosen}
    counters = dict.fromkeys(chosen, CHECK_STEPS)
    began, rounds = time.perf_counter(), 0
    while rounds < min_rounds or (time.perf_counter() - began < budget_s and rounds < MAX_ROUNDS):
        for k in range(len(chosen)):
            name = chosen[(rounds + k) % len(chosen)]
            t0 = time.perf_counter()
            steps[name](counters[name])
            times[name].append(time.perf_counter() - t0)
            counters[name] += 1
        rounds += 1
    say(f"{rounds} rounds in {time.perf_counter() - began:.1f} s")
    setup.update(budget_s=budget_s, rounds=rounds, batch_size=BATCH_SIZE,
                 learning_rate=LEARNING_RATE, dropout=DROPOUT, check_steps=CHECK_STEPS,
                 rtol=RTOL, atol=ATOL, torch_compile="model + loss, default Inductor mode; "
                 "optimizer.step() eager")
    results = Results([Result(name, BUILDERS[name][0], first[name], BUILDERS[name][1],
                              tuple(times[name]), tuple(losses[name])) for name in chosen], setup)
    add_speedups(results)
    return results


def check_losses(losses: dict[str, Sequence[float]], rtol: float = RTOL, atol: float = ATOL) -> None:
    """Raise :class:`LossMismatch` unless every variant's losses match eager PyTorch's."""
    reference = np.asarray(losses[REFERENCE], dtype=np.float64)
    for name, values in losses.items():
        values = np.asarray(values, dtype=np.float64)
        if values.shape != reference.shape or not np.allclose(values, reference, rtol=rtol, atol=atol):
            raise LossMismatch(f"{name}'s losses {values.tolist()} do not match {REFERENCE}'s "
                               f"{reference.tolist()} (rtol={rtol}, atol={atol}): the variants do not "
                               "compute the same step, so their times are not comparable")


def add_speedups(results: Sequence[Result]) -> None:
    """Eager PyTorch's median over each variant's; the range pairs the extremes (worst, best)."""
    base = next(r for r in results if r.name == REFERENCE)
    b_fast, b_slow = base.spread_s
    for r in results:
        r_fast, r_slow = r.spread_s
        r.speedup = base.median_s / r.median_s
        r.speedup_range = (b_fast / r_slow, b_slow / r_fast)


def table(results: Sequence[Result]) -> str:
    """Plain text, one variant a line: compile, median per step (min–max), speed against eager."""
    header = ["variant", "compile (first call − median)", "per step: median", "min–max",
              SPEEDUP_HEADER]
    rows = [header]
    for r in results:
        fast, slow = r.spread_s
        low, high = r.speedup_range
        rows.append([r.name, "— (eager)" if r.compile_s is None else format_seconds(r.compile_s),
                     format_seconds(r.median_s), f"{format_seconds(fast)}–{format_seconds(slow)}",
                     f"{format_ratio(r.speedup)} ({format_ratio(low)}–{format_ratio(high)})"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    setup = getattr(results, "setup", {})
    if setup:
        lines.append(f"torch.set_num_threads({setup['threads']['torch_set_num_threads']}), "
                     f"{setup.get('rounds')} interleaved rounds, batch {BATCH_SIZE}, "
                     f"losses checked over {CHECK_STEPS} steps (rtol {RTOL}, atol {ATOL})")
    return "\n".join(lines)


def to_json(results: Sequence[Result]) -> dict:
    """A JSON-ready dict: setup (versions, machine, threads) and every variant's times."""
    rows = []
    for r in results:
        row = asdict(r)
        row.update(times_s=list(r.times_s), check_losses=list(r.check_losses),
                   speedup_range=list(r.speedup_range), median_s=r.median_s,
                   spread_s=list(r.spread_s), compile_s=r.compile_s, repeats=len(r.times_s))
        rows.append(row)
    return {"benchmark": "digits CNN training step", "reference": REFERENCE,
            "setup": dict(getattr(results, "setup", {})), "results": rows}
