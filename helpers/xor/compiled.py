"""The XOR network trained with no Python per step: the whole loop under one
jit.

``lax.scan`` runs the epochs, and inside each epoch another scan runs the four
samples, one SGD update each, exactly as stage 6 does. The update is stage 6's
own ``mse`` and ``sgd_step``, so the two cannot drift apart. ``jax.vmap``
then trains many networks (one per seed, or per learning rate) at once.

The samples are arguments, not constants baked into the compiled program, as
in ``torch_fast``: the same executable would train on any four samples.
"""

from __future__ import annotations

import re
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..validate import positive_int
from . import stage6_jax_jit_step as stage6
from .problem import SAMPLES


def init_params(seed: int, hidden: int = 2) -> list[dict[str, jax.Array]]:
    """Stage 6's initial parameters for ``jax.random.key(seed)`` and
    ``hidden`` units."""
    key_1, key_2 = jax.random.split(jax.random.key(seed))
    return [stage6.init_layer(key_1, 2, hidden),
            stage6.init_layer(key_2, hidden, 1)]


def data() -> tuple[jax.Array, jax.Array]:
    """The four XOR samples as arrays: inputs (4, 2) and targets (4,)."""
    return (jnp.array([x for x, _ in SAMPLES]),
            jnp.array([y for _, y in SAMPLES]))


def _epoch_losses(params, xs, ys, learning_rate, epochs):
    def one_sample(params, sample):
        loss, grads = jax.value_and_grad(stage6.mse)(params, *sample)
        return stage6.sgd_step(params, grads, learning_rate), loss

    def one_epoch(params, _):
        params, losses = jax.lax.scan(one_sample, params, (xs, ys))
        return params, losses.mean()

    return jax.lax.scan(one_epoch, params, None, length=epochs)


@partial(jax.jit, static_argnums=4)
def train(params, xs, ys, learning_rate, epochs: int):
    """Train for ``epochs`` epochs in one compiled call; return (params, mean
    loss per epoch)."""
    return _epoch_losses(params, xs, ys, learning_rate, epochs)


@partial(jax.jit, static_argnums=4)
def train_many(stacked_params, xs, ys, learning_rates, epochs: int):
    """``train`` for a batch of networks: parameters stacked on a leading
    axis, one rate each.

    Every network trains on the same samples (``in_axes`` None for them).
    """
    many = jax.vmap(_epoch_losses, in_axes=(0, None, None, 0, None))
    return many(stacked_params, xs, ys, learning_rates, epochs)


@jax.jit
def one_epoch(params, xs, ys, learning_rate):
    """One epoch per compiled call (the inner scan over the four samples);
    (params, mean loss).

    The control for the whole loop: the same compiled body as ``train``'s, but
    called from a Python loop once per epoch, as PyTorch's compiled epoch is.
    """
    params, means = _epoch_losses(params, xs, ys, learning_rate, 1)
    return params, means[0]


def train_per_epoch(params, xs, ys, learning_rate, epochs: int):
    """``train`` with the loop over epochs in Python: one dispatch of
    ``one_epoch`` per epoch.

    The losses stay on the device and are gathered once, at the end (one sync).
    """
    positive_int("epochs", epochs)
    means = []
    for _ in range(epochs):
        params, mean = one_epoch(params, xs, ys, learning_rate)
        means.append(mean)
    return params, jnp.stack(means)


def hlo_op_counts(compiled_text: str) -> dict[str, int]:
    """How many of each HLO op an XLA executable holds:
    ``jit(f).lower(...).compile().as_text()``.

    Counts every instruction (``%name = type op(...)``) in every computation,
    fused ones included, by op name (``fusion``, ``while``, ``dot``, ...).
    """
    counts: dict[str, int] = {}
    instruction = r"^\s*(?:ROOT )?%?[\w.-]+ = .*? ([a-z][\w-]*)\("
    for match in re.finditer(instruction, compiled_text, re.MULTILINE):
        counts[match[1]] = counts.get(match[1], 0) + 1
    return counts


def stack_params(seeds, hidden: int = 2):
    """Initial parameters for each seed, stacked leaf by leaf on a new leading
    axis.

    One ``vmap``-ed call of ``init_params`` over the seeds rather than a Python
    loop of calls: the same numbers (a test checks), one dispatch.
    """
    seeds = jnp.asarray(list(seeds), dtype=jnp.uint32)
    if seeds.size == 0:
        raise ValueError("stack_params needs at least one seed")
    return jax.vmap(init_params, in_axes=(0, None))(seeds, hidden)


def epochs_to_reach(losses, threshold: float = 0.01) -> np.ndarray:
    """First epoch whose mean loss is below ``threshold`` (per row), or -1 if
    never."""
    losses = np.asarray(losses)
    below = losses < threshold
    first = below.argmax(axis=-1)
    return np.where(below.any(axis=-1), first, -1)
