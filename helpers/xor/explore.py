"""Retrain the stage-6 JAX network quickly with other settings, for the chapter's explorer.

The training loop is compiled whole (``helpers.xor.compiled``, the subject of
a later chapter), so 10,000 epochs take milliseconds and a slider feels live.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from . import stage6_jax_jit_step as stage6


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
    params, losses = compiled.train(compiled.init_params(seed, hidden), *compiled.data(),
                                    float(learning_rate), epochs)
    return params, np.asarray(losses)


def predict_batch(params, inputs: np.ndarray) -> np.ndarray:
    """Outputs of a trained network for a batch of inputs of shape (n, 2)."""
    return np.asarray(stage6.forward(params, inputs))[:, 0]
