"""Checks for the cheat-sheet rows of the porting chapter (book/porting.ipynb).

Each check runs the PyTorch side and the JAX side on the same numbers. The
ported CNN computes in float32 on both sides, summed in different orders: the
tolerance (2e-5) allows a few roundings. Reordering and sharing memory move
numbers without arithmetic, so those checks are exact.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import torch
from flax import nnx

from helpers import digits
from helpers.port import port_weights
from table_checks import row

PAGE = "cheatsheet"


@row(PAGE, "`model.load_state_dict(state_dict)`")
def check_port_weights():
    torch.manual_seed(0)
    source = digits.torch_cnn()
    with torch.no_grad():  # running statistics that are not the defaults
        source.bn1.running_mean.uniform_(-1, 1)
        source.bn1.running_var.uniform_(0.5, 2)
    copy = digits.torch_cnn()
    copy.load_state_dict(source.state_dict())
    ported = digits.nnx_cnn(nnx.Rngs(1))
    port_weights(source, ported, digits.TORCH_TO_NNX)
    source.eval()
    copy.eval()
    ported.eval()
    x = np.random.default_rng(0).random((8, 1, 8, 8), dtype=np.float32)
    with torch.no_grad():
        expected = source(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(copy(torch.from_numpy(x)).numpy(), expected)
    got = np.asarray(ported(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-5)


@row(PAGE, "`torch.flatten(x, 1)` on NCHW before a ported `nn.Linear`")
def check_flatten_order():
    nchw = np.random.default_rng(1).normal(size=(3, 4, 2, 2)).astype(np.float32)
    nhwc = jnp.asarray(nchw.transpose(0, 2, 3, 1))
    expected = torch.flatten(torch.from_numpy(nchw), 1).numpy()
    got = nhwc.transpose(0, 3, 1, 2).reshape(len(nhwc), -1)
    np.testing.assert_array_equal(np.asarray(got), expected)
    assert not np.array_equal(np.asarray(nhwc.reshape(len(nhwc), -1)), expected)


@row(PAGE, "`torch.from_dlpack(x)`")
def check_dlpack():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    shared = jax.dlpack.from_dlpack(t)
    assert shared.unsafe_buffer_pointer() == t.data_ptr()
    np.testing.assert_array_equal(np.asarray(shared), t.numpy())
    back = torch.from_dlpack(shared)
    assert back.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(back.numpy(), t.numpy())
