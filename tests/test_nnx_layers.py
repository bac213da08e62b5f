"""helpers.nnx_layers: one layer's weights copied into its NNX twin; weights read back and compared."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax import nnx

from helpers.nnx_layers import copy_layer, max_difference, nnx_arrays, torch_arrays
from helpers.port import PortError


def test_copy_layer_makes_linear_outputs_agree():
    torch.manual_seed(0)
    torch_layer, nnx_layer = torch.nn.Linear(4, 3), nnx.Linear(4, 3, rngs=nnx.Rngs(0))
    copy_layer(torch_layer, nnx_layer)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(nnx_layer(x), torch_layer(torch.from_numpy(x)).detach(),
                               rtol=1e-6, atol=1e-6)


def test_copy_layer_carries_batchnorm_statistics():
    torch_layer = torch.nn.BatchNorm2d(2)
    with torch.no_grad():
        torch_layer.running_mean.fill_(0.5)
        torch_layer.running_var.fill_(2.0)
    nnx_layer = nnx.BatchNorm(2, rngs=nnx.Rngs(0))
    copy_layer(torch_layer, nnx_layer)
    np.testing.assert_array_equal(nnx_layer.mean[...], [0.5, 0.5])
    np.testing.assert_array_equal(nnx_layer.var[...], [2.0, 2.0])


def test_copy_layer_refuses_a_size_mismatch():
    with pytest.raises(PortError, match="shape mismatch at 'layer.kernel'"):
        copy_layer(torch.nn.Linear(4, 3), nnx.Linear(4, 2, rngs=nnx.Rngs(0)))


def test_copy_layer_refuses_an_unknown_layer_type():
    with pytest.raises(PortError, match="no layout for 'layer', a torch.nn.GRU"):
        copy_layer(torch.nn.GRU(2, 2), nnx.Linear(2, 2, rngs=nnx.Rngs(0)))


def test_copy_layer_refuses_non_modules():
    with pytest.raises(TypeError, match="torch_layer must be a torch.nn.Module"):
        copy_layer(np.zeros(3), nnx.Linear(2, 2, rngs=nnx.Rngs(0)))
    with pytest.raises(TypeError, match="nnx_layer must be an nnx.Module"):
        copy_layer(torch.nn.Linear(2, 2), np.zeros(3))


class TorchPair(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)


class NnxPair(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.a, self.b = nnx.Linear(2, 3, rngs=rngs), nnx.Linear(3, 1, rngs=rngs)


def test_max_difference_reads_both_models_in_nnx_layout():
    torch_model, nnx_model = TorchPair(), NnxPair(nnx.Rngs(0))
    names = {"a": "a", "b": "b"}
    copy_layer(torch_model.a, nnx_model.a)
    copy_layer(torch_model.b, nnx_model.b)
    assert set(nnx_arrays(nnx_model)) == set(torch_arrays(torch_model, names)) == {
        "a.kernel", "a.bias", "b.kernel", "b.bias"}
    assert max_difference(nnx_model, torch_model, names) == 0.0
    with torch.no_grad():
        torch_model.b.bias.add_(0.25)
    assert max_difference(nnx_model, torch_model, names) == pytest.approx(0.25)


def test_max_difference_refuses_models_with_different_tensors():
    with pytest.raises(ValueError, match="different tensors"):
        max_difference(NnxPair(nnx.Rngs(0)), TorchPair(), {"a": "a", "b": "c"})
