"""helpers.port.mapping and nnx_weights(tensors=...), and the CNN's flatten order (porting chapter)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax import nnx

from helpers import digits
from helpers.port import PortError, mapping, nnx_weights


def test_mapping_lists_every_state_dict_tensor_with_both_shapes():
    model = digits.torch_cnn()
    rows = mapping(model, digits.TORCH_TO_NNX)
    assert [row[0] for row in rows] == list(model.state_dict())
    by_key = {key: (shape, path, nnx_shape) for key, shape, path, nnx_shape in rows}
    assert by_key["conv1.weight"] == ((16, 1, 3, 3), "conv1.kernel", (3, 3, 1, 16))
    assert by_key["fc.weight"] == ((10, 128), "fc.kernel", (128, 10))
    assert by_key["bn1.running_var"] == ((16,), "bn1.var", (16,))
    assert by_key["bn1.num_batches_tracked"][1] == "(not carried)"


def test_mapping_refuses_an_incomplete_names_mapping():
    names = {k: v for k, v in digits.TORCH_TO_NNX.items() if k != "fc"}
    with pytest.raises(PortError, match=r"'fc\.(weight|bias)' is not mapped"):
        mapping(digits.torch_cnn(), names)


def test_tensors_converts_gradients_in_the_same_layouts():
    model = digits.torch_cnn()
    x = torch.from_numpy(np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32))
    model(x).sum().backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    converted = nnx_weights(model, digits.TORCH_TO_NNX, tensors=grads)
    assert set(converted) == {f"{m}.{v}" for m, v in [
        ("conv1", "kernel"), ("conv1", "bias"), ("bn1", "scale"), ("bn1", "bias"),
        ("conv2", "kernel"), ("conv2", "bias"), ("bn2", "scale"), ("bn2", "bias"),
        ("fc", "kernel"), ("fc", "bias")]}
    np.testing.assert_array_equal(converted["fc.kernel"], model.fc.weight.grad.numpy().T)


def test_flatten_order_changes_the_logits_but_no_shape():
    x = np.random.default_rng(1).random((3, 8, 8, 1), dtype=np.float32)
    chw = digits.nnx_cnn(nnx.Rngs(0))
    hwc = digits.nnx_cnn(nnx.Rngs(0), flatten="hwc")
    chw.eval()
    hwc.eval()
    a, b = np.asarray(chw(x)), np.asarray(hwc(x))
    assert a.shape == b.shape == (3, 10)
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="flatten must be"):
        digits.nnx_cnn(nnx.Rngs(0), flatten="nchw")
