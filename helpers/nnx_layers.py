"""Compare single PyTorch layers with their Flax NNX twins: copy the weights, read them back.

The chapter on Flax NNX builds each layer twice and checks that the outputs
agree. That needs the *same* weights on both sides, so :func:`copy_layer`
carries one ``torch.nn`` layer's tensors into one ``nnx`` layer through
:func:`helpers.port.port_weights` (with its layout changes and its checks),
and :func:`nnx_arrays` / :func:`torch_arrays` read a whole model's weights
back as flat ``{"dotted.path": array}`` dicts in NNX layout, so that two
models can be compared tensor by tensor after some optimiser steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from helpers.port import dotted_leaves, nnx_weights, port_weights


def copy_layer(torch_layer: Any, nnx_layer: Any) -> None:
    """Copy one PyTorch layer's parameters (and running statistics) into an NNX layer, in place.

    Both layers must be of a kind :data:`helpers.port.LAYOUTS` knows and have
    the same sizes; anything else raises :class:`helpers.port.PortError`.
    """
    import torch
    from flax import nnx

    if not isinstance(torch_layer, torch.nn.Module):
        raise TypeError(f"torch_layer must be a torch.nn.Module, got {type(torch_layer).__name__}")
    if not isinstance(nnx_layer, nnx.Module):
        raise TypeError(f"nnx_layer must be an nnx.Module, got {type(nnx_layer).__name__}")

    class Holder(nnx.Module):  # port_weights maps submodules: give the layer a name
        def __init__(self, layer: Any) -> None:
            self.layer = layer

    port_weights(torch.nn.ModuleDict({"layer": torch_layer}), Holder(nnx_layer),
                 {"layer": "layer"})


def nnx_arrays(nnx_model: Any) -> dict[str, np.ndarray]:
    """An NNX model's parameters and batch statistics as ``{"body.kernel": array}``."""
    from flax import nnx

    state = nnx.state(nnx_model, nnx.Any(nnx.Param, nnx.BatchStat))
    return {path: np.asarray(value) for path, value in dotted_leaves(nnx.to_pure_dict(state))}


def torch_arrays(torch_model: Any, names: Mapping[str, str]) -> dict[str, np.ndarray]:
    """A PyTorch model's tensors in NNX layout and naming (see :func:`helpers.port.nnx_weights`)."""
    return nnx_weights(torch_model, names)


def max_difference(nnx_model: Any, torch_model: Any, names: Mapping[str, str]) -> float:
    """The largest absolute difference between the two models' weights, after the layout change.

    Raises ``ValueError`` if the two models do not hold the same tensors.
    """
    ours, theirs = nnx_arrays(nnx_model), torch_arrays(torch_model, names)
    if set(ours) != set(theirs):
        raise ValueError(f"the models hold different tensors: NNX only {sorted(set(ours) - set(theirs))}, "
                         f"PyTorch only {sorted(set(theirs) - set(ours))}")
    return max(float(np.max(np.abs(ours[k] - theirs[k]))) for k in ours)
