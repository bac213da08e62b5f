"""Checks for the cheat-sheet rows of the chapters on vmap and autodiff beyond grad.

Each check runs the PyTorch habit and its JAX counterpart on the same float32
inputs and compares the numbers with ``np.testing.assert_allclose``
(``rtol=1e-5``: a few float32 operations that may round differently), or checks
the behaviour the row states (a frozen parameter does not move).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch

from table_checks import row

PAGE = "cheatsheet"
TOL = {"rtol": 1e-5, "atol": 1e-6}  # a few float32 operations on each side

X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
W = np.float32([0.5, -0.25, 1.0])
V = np.float32([1.0, 0.0, -1.0])


def _close(jax_value, torch_value) -> None:
    got = np.asarray(jax_value)
    want = torch_value.detach().numpy() if isinstance(torch_value, torch.Tensor) else torch_value
    np.testing.assert_allclose(got, want, **TOL)


def _f_jax(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[2]) + x[0] ** 2])


def _f_torch(x):
    return torch.stack([x[0] * x[1], torch.sin(x[2]) + x[0] ** 2])


def _loss_jax(w, x):
    return jnp.tanh(x @ w) ** 2


def _loss_torch(w, x):
    return torch.tanh(x @ w) ** 2


@row(PAGE, "`torch.vmap(f, in_dims=...)`, `torch.func.vmap`")
def vmap():
    def dot_jax(w, x):
        return jnp.tanh(w @ x)

    def dot_torch(w, x):
        return torch.tanh(w @ x)

    a = jax.vmap(dot_jax, in_axes=(None, 0))(W, X)
    t = torch.vmap(dot_torch, in_dims=(None, 0))(torch.tensor(W), torch.tensor(X))
    assert torch.vmap is torch.func.vmap
    assert a.shape == tuple(t.shape) == (4,)
    _close(a, t)


@row(PAGE, "`torch.func.vmap(torch.func.grad(f))`")
def per_example_gradients():
    a = jax.vmap(jax.grad(_loss_jax), in_axes=(None, 0))(W, X)
    t = torch.func.vmap(torch.func.grad(_loss_torch), in_dims=(None, 0))(
        torch.tensor(W), torch.tensor(X))
    assert a.shape == tuple(t.shape) == (4, 3)  # one gradient per example
    _close(a, t)


@row(PAGE, "`x.detach()`")
def detach():
    x = torch.tensor(3.0, requires_grad=True)
    (x * x.detach()).backward()
    a = jax.grad(lambda x: x * jax.lax.stop_gradient(x))(3.0)
    assert float(a) == x.grad.item() == 3.0  # not 2x = 6


@row(PAGE, "`p.requires_grad_(False)`")
def freeze():
    params = {"body": jnp.asarray(W), "head": jnp.float32(2.0)}

    def loss(p, x):
        return jnp.mean((jnp.tanh(x @ p["body"]) * p["head"]) ** 2)

    body = torch.nn.Parameter(torch.tensor(W)).requires_grad_(False)
    head = torch.nn.Parameter(torch.tensor(2.0))
    opt = torch.optim.AdamW([body, head], lr=0.1, weight_decay=0.01)
    torch.mean((torch.tanh(torch.tensor(X) @ body) * head) ** 2).backward()
    opt.step()

    optimizer = optax.multi_transform(
        {"train": optax.adamw(0.1, weight_decay=0.01), "frozen": optax.set_to_zero()},
        {"body": "frozen", "head": "train"})
    updates, _ = optimizer.update(jax.grad(loss)(params, X), optimizer.init(params), params)
    after = optax.apply_updates(params, updates)
    assert body.grad is None
    np.testing.assert_array_equal(body.detach().numpy(), W)
    np.testing.assert_array_equal(after["body"], W)
    _close(after["head"], head)
    stopped = jax.grad(lambda p, x: loss({**p, "body": jax.lax.stop_gradient(p["body"])}, x))
    assert np.all(np.asarray(stopped(params, X)["body"]) == 0)


@row(PAGE, "`torch.func.jvp`, `torch.func.vjp`")
def jvp_vjp():
    x, u = jnp.asarray(W), jnp.float32([1.0, 2.0])
    _, jv = jax.jvp(_f_jax, (x,), (jnp.asarray(V),))
    _, pull = jax.vjp(_f_jax, x)
    _, jv_t = torch.func.jvp(_f_torch, (torch.tensor(W),), (torch.tensor(V),))
    _, pull_t = torch.func.vjp(_f_torch, torch.tensor(W))
    _close(jv, jv_t)
    _close(pull(u)[0], pull_t(torch.tensor(np.asarray(u)))[0])


@row(PAGE, "`y.backward(gradient=u)`")
def backward_with_gradient():
    u = np.float32([1.0, 2.0])
    x = torch.tensor(W, requires_grad=True)
    _f_torch(x).backward(gradient=torch.tensor(u))
    _, pull = jax.vjp(_f_jax, jnp.asarray(W))
    _close(pull(jnp.asarray(u))[0], x.grad)


@row(PAGE, "`torch.func.jacfwd`, `torch.func.jacrev`, `torch.func.hessian`")
def jacobians():
    def energy_jax(x):
        return jnp.sum(jnp.sin(x) * x**2)

    def energy_torch(x):
        return torch.sum(torch.sin(x) * x**2)

    x, x_t = jnp.asarray(W), torch.tensor(W)
    _close(jax.jacfwd(_f_jax)(x), torch.func.jacfwd(_f_torch)(x_t))
    _close(jax.jacrev(_f_jax)(x), torch.func.jacrev(_f_torch)(x_t))
    _close(jax.hessian(energy_jax)(x), torch.func.hessian(energy_torch)(x_t))


@row(PAGE, "`torch.autograd.Function`")
def custom_rules():
    class ClipGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g.clamp(-1.0, 1.0)

    @jax.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -1.0, 1.0),))

    @jax.custom_jvp
    def cube(x):
        return x**3

    cube.defjvp(lambda primals, tangents: (primals[0] ** 3, 3 * primals[0] ** 2 * tangents[0]))

    x = torch.tensor(2.0, requires_grad=True)
    (ClipGradient.apply(x) ** 3).backward()
    assert float(jax.grad(lambda x: clip_gradient(x) ** 3)(2.0)) == x.grad.item() == 1.0
    assert float(jax.grad(cube)(2.0)) == 12.0  # a custom_jvp rule also serves grad
