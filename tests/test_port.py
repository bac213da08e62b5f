"""helpers.port: PyTorch weights carried into Flax NNX give the same outputs; bad mappings fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax import nnx

from helpers.port import LAYOUTS, PortError, dotted_leaves, nnx_weights, port_weights


def torch_net() -> torch.nn.Module:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 5, 3), torch.nn.LayerNorm(3))
    with torch.no_grad():  # running statistics that are not the defaults
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
    return net.eval()


class NnxNet(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, hidden: int = 4):
        self.conv = nnx.Conv(2, hidden, (3, 3), padding=1, rngs=rngs)
        self.norm = nnx.BatchNorm(hidden, momentum=0.9, epsilon=1e-5, rngs=rngs)
        self.head = nnx.Linear(hidden * 5 * 5, 3, rngs=rngs)
        self.out_norm = nnx.LayerNorm(3, epsilon=1e-5, rngs=rngs)

    def __call__(self, x):  # x: NHWC
        x = nnx.relu(self.norm(self.conv(x)))
        x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)  # flatten as PyTorch does (C, H, W)
        return self.out_norm(self.head(x))


NAMES = {"0": "conv", "1": "norm", "4": "head", "5": "out_norm"}


def test_ported_model_computes_the_same_outputs():
    net, model = torch_net(), NnxNet(nnx.Rngs(1))
    port_weights(net, model, NAMES)
    model.eval()
    x = np.random.default_rng(0).normal(size=(6, 2, 5, 5)).astype(np.float32)
    expected = net(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(model(x.transpose(0, 2, 3, 1)))  # NCHW -> NHWC
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_layouts_transpose_linear_and_conv_weights():
    weights = nnx_weights(torch_net(), NAMES)
    assert weights["conv.kernel"].shape == (3, 3, 2, 4)  # HWIO from OIHW
    assert weights["head.kernel"].shape == (100, 3)  # (in, out) from (out, in)
    assert set(weights) >= {"norm.mean", "norm.var", "norm.scale", "norm.bias"}
    assert "Conv2d" in LAYOUTS and "BatchNorm2d" in LAYOUTS


def test_an_unmapped_torch_tensor_is_named():
    message = r"tensor '5\.bias' is not mapped: add its module '5' to the names \(2 tensors"
    with pytest.raises(PortError, match=message):
        nnx_weights(torch_net(), {k: v for k, v in NAMES.items() if k != "5"})


def test_an_unknown_torch_submodule_is_named():
    with pytest.raises(PortError, match=r"no PyTorch submodule named 'fc'"):
        nnx_weights(torch_net(), {**NAMES, "fc": "head"})


def test_a_layer_type_without_a_layout_is_named():
    net = torch.nn.Sequential(torch.nn.GRU(2, 3))
    with pytest.raises(PortError, match=r"no layout for '0', a torch.nn.GRU"):
        nnx_weights(net, {"0": "rnn"})


def test_a_shape_that_does_not_fit_is_named():
    with pytest.raises(PortError, match=r"shape mismatch at 'conv.kernel'.*\(3, 3, 2, 8\).*\(3, 3, 2, 4\)"):
        port_weights(torch_net(), NnxNet(nnx.Rngs(1), hidden=8), NAMES)


def test_an_nnx_variable_left_unset_is_named():
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(100, 3))
    with pytest.raises(PortError, match=r"NNX variable 'out_norm\.(bias|scale)' got no value"):
        port_weights(net, NnxNet(nnx.Rngs(1)), {"0": "conv", "1": "norm", "4": "head"})


def test_a_mapping_to_a_missing_nnx_attribute_is_named():
    with pytest.raises(PortError, match=r"no variable 'classifier.kernel'"):
        port_weights(torch_net(), NnxNet(nnx.Rngs(1)), {**NAMES, "4": "classifier"})


def test_a_dtype_of_another_kind_is_named_and_float64_is_cast():
    net = torch_net().double()  # float64 weights: same kind as the model's float32, so cast
    model = NnxNet(nnx.Rngs(1))
    port_weights(net, model, NAMES)
    assert model.conv.kernel[...].dtype == np.float32
    net = torch_net()
    net[1].running_mean = torch.zeros(4, dtype=torch.int64)  # a buffer of another kind
    with pytest.raises(PortError, match=r"dtype mismatch at 'norm.mean'.*float32.*int64"):
        port_weights(net, NnxNet(nnx.Rngs(1)), NAMES)


def test_dotted_leaves_flattens_nested_mappings_depth_first():
    tree = {"conv1": {"kernel": 1, "bias": 2}, "blocks": {0: {"norm": {"scale": 3}}}, "step": 4}
    assert list(dotted_leaves(tree)) == [("conv1.kernel", 1), ("conv1.bias", 2),
                                         ("blocks.0.norm.scale", 3), ("step", 4)]
