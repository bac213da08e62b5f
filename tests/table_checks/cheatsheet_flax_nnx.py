"""Checks for the cheat-sheet rows of the Flax NNX chapter (book/flax_nnx.ipynb).

Each check builds the PyTorch side and the Flax NNX / Optax side from the same
weights (copied with helpers.nnx_layers / helpers.port) and compares what the
row promises. float32 on both sides, summed in different orders: the
tolerances (1e-5 or 1e-6) allow a few roundings and nothing more.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
import torch.nn.functional as F
from flax import nnx
from torch import nn

from helpers.nnx_layers import copy_layer, max_difference
from helpers.port import port_weights
from table_checks import row

PAGE = "cheatsheet"
RNG = np.random.default_rng(0)


def _data(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


class _TorchMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(4, 8), nn.Linear(8, 3)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


class _NnxMLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.body, self.head = nnx.Linear(4, 8, rngs=rngs), nnx.Linear(8, 3, rngs=rngs)

    def __call__(self, x):
        return self.head(nnx.relu(self.body(x)))


NAMES = {"body": "body", "head": "head"}
X, Y = _data(16, 4), RNG.integers(0, 3, size=16)


def _pair():
    torch.manual_seed(0)
    pair = _TorchMLP(), _NnxMLP(nnx.Rngs(0))
    port_weights(*pair, NAMES)
    return pair


def _loss(model):
    return optax.softmax_cross_entropy_with_integer_labels(model(X), Y).mean()


def _run(torch_model, torch_opt, nnx_model, nnx_opt, steps=3, clip=None, scheduler=None,
         wrt=nnx.Param):
    """A few steps of both; the weights must agree after each."""
    for _ in range(steps):
        torch_opt.zero_grad()
        F.cross_entropy(torch_model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(torch_model.parameters(), clip)
        torch_opt.step()
        if scheduler is not None:
            scheduler.step()
        grads = nnx.grad(_loss, argnums=nnx.DiffState(0, wrt))(nnx_model)
        nnx_opt.update(nnx_model, grads)
        assert max_difference(nnx_model, torch_model, NAMES) <= 1e-6


@row(PAGE, "`nn.Module` subclass with `forward`")
def check_module():
    torch_model, nnx_model = _pair()
    np.testing.assert_allclose(nnx_model(X), torch_model(torch.from_numpy(X)).detach(),
                               rtol=1e-6, atol=1e-6)
    assert not hasattr(nnx_model, "forward")


@row(PAGE, "`nn.Linear(i, o)`: `weight` (out, in)")
def check_linear():
    torch_layer, nnx_layer = nn.Linear(4, 3), nnx.Linear(4, 3, rngs=nnx.Rngs(0))
    assert tuple(torch_layer.weight.shape) == (3, 4) and nnx_layer.kernel[...].shape == (4, 3)
    copy_layer(torch_layer, nnx_layer)
    x = _data(2, 4)
    np.testing.assert_allclose(nnx_layer(x), torch_layer(torch.from_numpy(x)).detach(),
                               rtol=1e-6, atol=1e-6)


@row(PAGE, "`nn.Conv2d(i, o, k)`: NCHW, OIHW, `padding=0`")
def check_conv():
    torch_layer = nn.Conv2d(2, 3, 3)
    nnx_layer = nnx.Conv(2, 3, (3, 3), rngs=nnx.Rngs(0))
    assert nnx_layer.padding == "SAME"
    assert nnx.Conv(2, 3, (3, 3), padding=0, rngs=nnx.Rngs(0))(jnp.zeros((1, 6, 6, 2))).shape \
        == (1, 4, 4, 3)
    nnx_layer = nnx.Conv(2, 3, (3, 3), padding=0, rngs=nnx.Rngs(0))
    copy_layer(torch_layer, nnx_layer)
    x = _data(2, 2, 6, 6)
    np.testing.assert_allclose(np.asarray(nnx_layer(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2),
                               torch_layer(torch.from_numpy(x)).detach(), rtol=1e-5, atol=1e-5)


@row(PAGE, "`nn.BatchNorm2d(c)` (momentum 0.1)")
def check_batchnorm():
    torch_layer = nn.BatchNorm2d(3)
    nnx_layer = nnx.BatchNorm(3, momentum=0.9, epsilon=1e-5, rngs=nnx.Rngs(0))
    for _ in range(2):
        x = _data(4, 3, 5, 5)
        np.testing.assert_allclose(
            np.asarray(nnx_layer(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2),
            torch_layer(torch.from_numpy(x)).detach(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nnx_layer.mean[...], torch_layer.running_mean, rtol=1e-6, atol=1e-7)
    torch_layer.eval()
    nnx_layer.eval()
    copy_layer(torch_layer, nnx_layer)
    x = _data(4, 3, 5, 5)
    np.testing.assert_allclose(
        np.asarray(nnx_layer(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2),
        torch_layer(torch.from_numpy(x)).detach(), rtol=1e-6, atol=1e-6)


@row(PAGE, "`nn.Dropout(p)`: torch's global generator")
def check_dropout():
    ones = np.ones(20_000, np.float32)
    torch.manual_seed(0)
    torch_mask = nn.Dropout(0.5)(torch.from_numpy(ones)).numpy()
    nnx_layer = nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=0))
    nnx_mask = np.asarray(nnx_layer(ones))
    replay = np.asarray(nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=0))(ones))
    np.testing.assert_array_equal(replay, nnx_mask)
    for mask in (torch_mask, nnx_mask):
        assert set(np.unique(mask)) == {0.0, 2.0}
        assert abs(mask.mean() - 1) < 0.05
    assert not np.array_equal(torch_mask, nnx_mask)
    nnx_layer.eval()
    np.testing.assert_array_equal(nnx_layer(ones), ones)


@row(PAGE, "`nn.LayerNorm(d)` (eps 1e-5)")
def check_layernorm():
    torch_layer = nn.LayerNorm(16)
    nnx_layer = nnx.LayerNorm(16, epsilon=1e-5, rngs=nnx.Rngs(0))
    assert nnx.LayerNorm(16, rngs=nnx.Rngs(0)).epsilon == 1e-6 and torch_layer.eps == 1e-5
    copy_layer(torch_layer, nnx_layer)
    x = RNG.normal(0, 0.01, size=(4, 16)).astype(np.float32)
    np.testing.assert_allclose(nnx_layer(x), torch_layer(torch.from_numpy(x)).detach(),
                               rtol=1e-5, atol=1e-5)


@row(PAGE, "`nn.Embedding(n, d)`")
def check_embedding():
    torch_layer, nnx_layer = nn.Embedding(10, 4), nnx.Embed(10, 4, rngs=nnx.Rngs(0))
    copy_layer(torch_layer, nnx_layer)
    tokens = np.array([[1, 5, 9]])
    np.testing.assert_array_equal(nnx_layer(tokens), torch_layer(torch.from_numpy(tokens)).detach())
    assert np.isnan(np.asarray(nnx_layer(jnp.array([10])))).all()
    with pytest.raises(IndexError):  # torch refuses an index out of range
        torch_layer(torch.tensor([10]))


@row(PAGE, "`F.scaled_dot_product_attention(q, k, v, is_causal=True)`, (batch, heads, seq, dim)")
def check_attention():
    q, k, v = _data(3, 2, 4, 6, 8)
    torch_out = F.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)), is_causal=True)
    jax_out = jax.nn.dot_product_attention(*(a.transpose(0, 2, 1, 3) for a in (q, k, v)),
                                           is_causal=True)
    np.testing.assert_allclose(np.asarray(jax_out).transpose(0, 2, 1, 3), torch_out.numpy(),
                               rtol=1e-5, atol=1e-5)


@row(PAGE, "`model.train()`, `model.eval()`")
def check_train_eval():
    torch_layer = nn.Dropout(0.5)
    nnx_layer = nnx.Dropout(0.5, rngs=nnx.Rngs(0))
    torch_layer.eval()
    nnx_layer.eval()
    assert not torch_layer.training and nnx_layer.deterministic
    torch_layer.train()
    nnx_layer.train()
    assert torch_layer.training and not nnx_layer.deterministic


@row(PAGE, "`torch.func.functional_call(model, params, x)`")
def check_split_merge():
    torch_model, nnx_model = _pair()
    graphdef, state = nnx.split(nnx_model)
    jax_out = jax.jit(lambda s, x: nnx.merge(graphdef, s)(x))(state, X)
    torch_out = torch.func.functional_call(torch_model, dict(torch_model.named_parameters()),
                                           torch.from_numpy(X))
    np.testing.assert_allclose(jax_out, torch_out.detach(), rtol=1e-6, atol=1e-6)


@row(PAGE, "`optimizer.step()` over `model.parameters()`")
def check_optimizer():
    torch_model, nnx_model = _pair()
    _run(torch_model, torch.optim.Adam(torch_model.parameters(), lr=1e-2),
         nnx_model, nnx.Optimizer(nnx_model, optax.adam(1e-2), wrt=nnx.Param))


def _torch_rates(make, steps=8):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler, rates = make(optimizer), []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@row(PAGE, "`lr_scheduler.CosineAnnealingLR(opt, T_max)`")
def check_cosine():
    # Steps 0 to T_max: past it PyTorch's cosine climbs again, Optax's stays at its end.
    torch_rates = _torch_rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6),
                               steps=7)
    schedule = optax.cosine_decay_schedule(0.1, decay_steps=6)
    np.testing.assert_allclose([schedule(i) for i in range(7)], torch_rates, rtol=1e-6, atol=1e-9)


@row(PAGE, "`lr_scheduler.StepLR(opt, step_size, gamma)`")
def check_step_lr():
    torch_rates = _torch_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5))
    schedule = optax.exponential_decay(0.1, transition_steps=3, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose([schedule(i) for i in range(8)], torch_rates, rtol=1e-6)


@row(PAGE, "`torch.optim.AdamW(params, lr)`")
def check_adamw():
    assert torch.optim.AdamW([torch.zeros(1)]).defaults["weight_decay"] == 0.01
    torch_model, nnx_model = _pair()
    _run(torch_model, torch.optim.AdamW(torch_model.parameters(), lr=1e-2),
         nnx_model, nnx.Optimizer(nnx_model, optax.adamw(1e-2, weight_decay=0.01), wrt=nnx.Param))


@row(PAGE, "`nn.utils.clip_grad_norm_(params, max_norm)`")
def check_clipping():
    torch_model, nnx_model = _pair()
    norm = float(optax.tree.norm(nnx.grad(_loss)(nnx_model)))
    assert norm > 0.05  # so that clipping acts
    tx = optax.chain(optax.clip_by_global_norm(0.05), optax.sgd(0.5))
    _run(torch_model, torch.optim.SGD(torch_model.parameters(), lr=0.5),
         nnx_model, nnx.Optimizer(nnx_model, tx, wrt=nnx.Param), clip=0.05)


@row(PAGE, 'param groups, `[{"params": ..., "lr": ...}, ...]`')
def check_param_groups():
    torch_model, nnx_model = _pair()
    torch_opt = torch.optim.Adam([{"params": torch_model.body.parameters(), "lr": 1e-3},
                                  {"params": torch_model.head.parameters(), "lr": 1e-2}])

    def labels(params):
        return jax.tree_util.tree_map_with_path(lambda path, _: path[0].key, params)

    tx = optax.multi_transform({"body": optax.adam(1e-3), "head": optax.adam(1e-2)}, labels)
    _run(torch_model, torch_opt, nnx_model, nnx.Optimizer(nnx_model, tx, wrt=nnx.Param))


@row(PAGE, "`layer.requires_grad_(False)`")
def check_freezing():
    torch_model, nnx_model = _pair()
    before = np.asarray(nnx_model.body.kernel[...])
    torch_model.body.requires_grad_(False)
    trainable = nnx.All(nnx.Param, nnx.PathContains("head"))
    _run(torch_model, torch.optim.Adam(torch_model.parameters(), lr=1e-2),
         nnx_model, nnx.Optimizer(nnx_model, optax.adam(1e-2), wrt=trainable), wrt=trainable)
    np.testing.assert_array_equal(nnx_model.body.kernel[...], before)
