"""The XOR problem shared by every stage of the port: data and hyperparameters.

Kept in one place so that the seven stages differ only in how they train,
never in what they train on.
"""

from __future__ import annotations

# The four XOR samples as plain Python lists, exactly as each stage feeds them
# to its framework one at a time (inputs are floats, targets are integers).
SAMPLES: list[tuple[list[float], list[int]]] = [
    ([0.0, 0.0], [0]),
    ([0.0, 1.0], [1]),
    ([1.0, 0.0], [1]),
    ([1.0, 1.0], [0]),
]

SEED = 42  # torch.manual_seed(SEED) for PyTorch, jax.random.key(SEED) for JAX
LEARNING_RATE = 0.1  # plain SGD, one update per sample
EPOCHS = 10_000  # one epoch = one pass over the four samples
LOG_EVERY = 1_000  # the loss table prints epochs 0, 1000, ..., 9000
