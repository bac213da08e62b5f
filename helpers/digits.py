"""The second act's model: a small CNN for scikit-learn's 8x8 digits, in
PyTorch and in Flax NNX.

The two classes are the same network layer for layer, so that a trained
PyTorch model's weights carry over with :func:`helpers.port.port_weights` and
:data:`TORCH_TO_NNX`. The data ships with scikit-learn (1,797 images), so
nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSES = 10
# PyTorch submodule -> NNX attribute, for helpers.port.port_weights.
TORCH_TO_NNX = {"conv1": "conv1", "bn1": "bn1", "conv2": "conv2",
                "bn2": "bn2", "fc": "fc"}


@dataclass(frozen=True)
class Split:
    """Images as (N, 1, 8, 8) float32 in [0, 1] (PyTorch's NCHW) and labels
    as int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def nhwc(self, x: np.ndarray) -> np.ndarray:
        """The same images in Flax's layout, (N, 8, 8, 1)."""
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def load(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's digits, split into train and test sets with every class
    in both."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, "
                         f"got {test_fraction!r}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    parts = train_test_split(images, digits.target.astype(np.int64),
                             test_size=test_fraction, random_state=seed,
                             stratify=digits.target)
    x_train, x_test, y_train, y_test = parts
    return Split(x_train, y_train, x_test, y_test)


def torch_cnn(dropout: float = 0.25) -> Any:
    """The CNN as an ``nn.Module`` (input NCHW, output logits)."""
    import torch
    from torch import nn

    class TorchCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            # momentum 0.1: weight of the *new* batch
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(32)
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(32 * 2 * 2, CLASSES)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.bn1(self.conv1(x)))
            x = nn.functional.max_pool2d(x, 2)
            x = torch.relu(self.bn2(self.conv2(x)))
            x = nn.functional.max_pool2d(x, 2)
            return self.fc(self.dropout(torch.flatten(x, 1)))

    return TorchCNN()


def nnx_cnn(rngs: Any, dropout: float = 0.25, flatten: str = "chw") -> Any:
    """The same CNN as an ``nnx.Module`` (input NHWC, output logits).

    ``flatten="hwc"`` flattens the last feature map in Flax's own (H, W, C)
    order instead of PyTorch's (C, H, W): the porting chapter's trap, where
    every shape still fits but the ported ``fc`` weights meet the wrong
    inputs.
    """
    if flatten not in ("chw", "hwc"):
        raise ValueError(f'flatten must be "chw" (as PyTorch) or "hwc", '
                         f'got {flatten!r}')
    from flax import nnx

    class NnxCNN(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.conv1 = nnx.Conv(1, 16, (3, 3), padding=1, rngs=rngs)
            # momentum 0.9: weight of the *running* average, i.e. PyTorch's 0.1
            self.bn1 = nnx.BatchNorm(16, momentum=0.9, epsilon=1e-5,
                                     rngs=rngs)
            self.conv2 = nnx.Conv(16, 32, (3, 3), padding=1, rngs=rngs)
            self.bn2 = nnx.BatchNorm(32, momentum=0.9, epsilon=1e-5,
                                     rngs=rngs)
            self.dropout = nnx.Dropout(dropout, rngs=rngs)
            self.fc = nnx.Linear(32 * 2 * 2, CLASSES, rngs=rngs)

        def __call__(self, x: Any) -> Any:
            pool = (2, 2)
            x = nnx.relu(self.bn1(self.conv1(x)))
            x = nnx.max_pool(x, pool, strides=pool)
            x = nnx.relu(self.bn2(self.conv2(x)))
            x = nnx.max_pool(x, pool, strides=pool)
            if flatten == "chw":
                # Flatten in PyTorch's (C, H, W) order, so that fc's weights
                # carry over as they are.
                x = x.transpose(0, 3, 1, 2)
            x = x.reshape(x.shape[0], -1)
            return self.fc(self.dropout(x))

    return NnxCNN(rngs)


def train_torch(model: Any, split: Split, epochs: int = 10,
                batch_size: int = 64, learning_rate: float = 1e-2,
                seed: int = 0) -> list[float]:
    """Train with Adam and cross-entropy; return the mean training loss of
    each epoch."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, "
                         f"got {epochs} and {batch_size}")
    import torch

    from helpers.progress import stable_bar

    generator = torch.Generator().manual_seed(seed)
    x, y = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    bar = stable_bar(epochs, "training the PyTorch CNN", "epochs")
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[batch]),
                                                     y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(x))
        bar.set_postfix_str(f"loss {losses[-1]:.4f}")
        bar.update()
    bar.close()
    model.eval()
    return losses


def accuracy(logits: Any, labels: np.ndarray) -> float:
    """The fraction of rows whose largest logit is the label (works for torch
    and JAX arrays)."""
    if hasattr(logits, "detach"):
        logits = logits.detach()
    predicted = np.asarray(logits).argmax(axis=1)
    if predicted.shape != labels.shape:
        raise ValueError(f"{predicted.shape[0]} predictions for "
                         f"{labels.shape[0]} labels")
    return float((predicted == labels).mean())
