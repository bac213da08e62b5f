"""Retrain the stage-6 JAX network quickly with other settings, for the chapter's explorer.

The training loop is compiled whole with ``jax.lax.scan`` (the technique of a
later chapter), so 10,000 epochs take milliseconds and a slider feels live.
The pieces it trains with are stage 6's own functions.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from . import stage6_jax_jit_step as stage6
from .problem import SAMPLES


def _check(name: str, value, kinds: tuple[type, ...], low, high) -> None:
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = " or ".join(k.__name__ for k in kinds)
        raise ValueError(f"{name} must be a {kind} from {low} to {high}, got {value!r}")


def train(learning_rate: float = 0.1, epochs: int = 10_000, seed: int = 42,
          hidden: int = 2) -> tuple[list, np.ndarray]:
    """Train a 2-``hidden``-1 sigmoid network on XOR; return (params, mean loss per epoch)."""
    _check("learning_rate", learning_rate, (int, float), 1e-6, 100.0)
    _check("epochs", epochs, (int,), 1, 1_000_000)
    _check("seed", seed, (int,), 0, 2**31 - 1)
    _check("hidden", hidden, (int,), 1, 64)
    key_1, key_2 = jax.random.split(jax.random.key(seed))
    params = [stage6.init_layer(key_1, 2, hidden), stage6.init_layer(key_2, hidden, 1)]
    params, losses = _train_scan(params, float(learning_rate), epochs)
    return params, np.asarray(losses)


@partial(jax.jit, static_argnums=(2,))
def _train_scan(params, learning_rate, epochs):
    xs = jnp.array([x for x, _ in SAMPLES])
    ys = jnp.array([y for _, y in SAMPLES])

    def one_sample(params, sample):
        loss, grads = jax.value_and_grad(stage6.mse)(params, *sample)
        return stage6.sgd_step(params, grads, learning_rate), loss

    def one_epoch(params, _):
        params, losses = jax.lax.scan(one_sample, params, (xs, ys))
        return params, losses.mean()

    return jax.lax.scan(one_epoch, params, None, length=epochs)


def predict_batch(params, inputs: np.ndarray) -> np.ndarray:
    """Outputs of a trained network for a batch of inputs of shape (n, 2)."""
    return np.asarray(stage6.forward(params, inputs))[:, 0]
