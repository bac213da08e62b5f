"""One check per row of the cheat sheet (``book/cheatsheet.md``).

Each check runs the PyTorch habit and its JAX counterpart on the same inputs
and compares the numbers (``np.testing.assert_allclose``, float32 tolerances:
``rtol=1e-6`` for one elementwise operation, ``1e-5`` where a few operations
or steps may round differently), or checks the behaviour the row states. The
random rows cannot compare numbers (the generators differ), so they check what
the two sides share: range, dtype, reproducibility from a seed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from torch import nn

from table_checks import row

PAGE = "cheatsheet"
ONE_OP = {"rtol": 1e-6, "atol": 1e-7}  # one float32 operation, same formula
FEW_OPS = {"rtol": 1e-5, "atol": 1e-6}  # a few operations or steps in float32


def _close(jax_value, torch_value, tolerance=None) -> None:
    got = np.asarray(jax_value)
    want = torch_value.detach().numpy() if isinstance(torch_value, torch.Tensor) else torch_value
    np.testing.assert_allclose(got, want, **(tolerance or ONE_OP))


def _loss_torch(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x @ w).pow(2).mean()


def _loss_jax(w, x):
    return (jnp.tanh(x @ w) ** 2).mean()


X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
W = np.float32([0.5, -0.25, 1.0])


@row(PAGE, "`torch.tensor(x)`")
def tensor_and_array():
    data = [[1.0, 2.0], [3.0, 4.5]]
    t, a = torch.tensor(data), jnp.array(data)
    assert str(t.dtype) == "torch.float32" and a.dtype == jnp.float32, (t.dtype, a.dtype)
    _close(a, t)


@row(PAGE, "`torch.rand(shape)`")
def uniform():
    torch.manual_seed(0)
    t = torch.rand(100_000)
    a = jax.random.uniform(jax.random.key(0), (100_000,))
    for sample in (t.numpy(), np.asarray(a)):
        assert sample.dtype == np.float32 and sample.shape == (100_000,)
        assert 0.0 <= sample.min() and sample.max() < 1.0  # both draw from [0, 1)
        # the mean of 100,000 uniform draws has a standard error of 0.0009
        assert abs(sample.mean() - 0.5) < 0.005, sample.mean()


@row(PAGE, "`torch.randint(low, high, shape)`")
def randint():
    low, high = 3, 7
    torch.manual_seed(0)
    t = torch.randint(low, high, (10_000,))
    a = jax.random.randint(jax.random.key(0), (10_000,), low, high)
    # the same half-open range [low, high): `high` itself is never drawn
    assert set(t.tolist()) == set(np.asarray(a).tolist()) == set(range(low, high))


@row(PAGE, "`torch.manual_seed(s)`")
def seeding():
    torch.manual_seed(42)
    first = torch.rand(3)
    torch.manual_seed(42)
    np.testing.assert_array_equal(first, torch.rand(3))
    key = jax.random.key(42)
    np.testing.assert_array_equal(jax.random.uniform(key, (3,)), jax.random.uniform(key, (3,)))
    assert not np.array_equal(jax.random.uniform(jax.random.key(43), (3,)),
                              jax.random.uniform(key, (3,)))


@row(PAGE, "`torch.Generator`")
def generators_and_keys():
    # A Generator is a separate stream, unaffected by the global seed ...
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    torch.manual_seed(0)
    a = torch.rand(3, generator=g1)
    torch.manual_seed(1)
    np.testing.assert_array_equal(a, torch.rand(3, generator=g2))
    # ... and it advances: its next draw differs.
    assert not torch.equal(a, torch.rand(3, generator=g1))
    # JAX derives separate streams from a key, deterministically, without state.
    key = jax.random.key(7)
    left, right = jax.random.split(key)
    np.testing.assert_array_equal(jax.random.key_data(jax.random.split(key)[0]),
                                  jax.random.key_data(left))
    assert not np.array_equal(jax.random.uniform(left, (3,)), jax.random.uniform(right, (3,)))
    step_0, step_1 = (jax.random.uniform(jax.random.fold_in(key, i), (3,)) for i in (0, 1))
    assert not np.array_equal(step_0, step_1)  # one stream per step number
    np.testing.assert_array_equal(jax.random.uniform(jax.random.fold_in(key, 1), (3,)), step_1)


@row(PAGE, "`torch.sigmoid`, `torch.tanh`")
def activations():
    x = np.linspace(-6.0, 6.0, 101, dtype=np.float32)
    _close(jax.nn.sigmoid(x), torch.sigmoid(torch.from_numpy(x)))
    _close(jnp.tanh(x), torch.tanh(torch.from_numpy(x)))


@row(PAGE, "`x.requires_grad_()`")
def no_requires_grad():
    w = torch.from_numpy(W.copy())
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad"):
        _loss_torch(w, torch.from_numpy(X)).backward()
    w.requires_grad_()
    _loss_torch(w, torch.from_numpy(X)).backward()
    # jax.grad needs no flag: it differentiates with respect to a plain array
    _close(jax.grad(_loss_jax)(jnp.asarray(W), X), w.grad, FEW_OPS)


@row(PAGE, "`loss.backward(); p.grad`")
def backward_and_grad():
    p = torch.tensor(W, requires_grad=True)
    loss = _loss_torch(p, torch.from_numpy(X))
    loss.backward()
    _close(jax.grad(_loss_jax)(W, X), p.grad, FEW_OPS)


@row(PAGE, "`optimizer.zero_grad()`")
def nothing_accumulates():
    p = torch.tensor(W, requires_grad=True)
    for _ in range(2):
        _loss_torch(p, torch.from_numpy(X)).backward()
    once = jax.grad(_loss_jax)(W, X)
    _close(2 * once, p.grad, FEW_OPS)  # without zero_grad, PyTorch adds the two up
    again = jax.grad(_loss_jax)(W, X)
    assert again is not once  # a fresh result each call ...
    np.testing.assert_array_equal(again, once)  # ... with nothing carried over


@row(PAGE, "`loss.item()` alongside `backward`")
def value_and_grad():
    p = torch.tensor(W, requires_grad=True)
    loss = _loss_torch(p, torch.from_numpy(X))
    loss.backward()
    value, grad = jax.value_and_grad(_loss_jax)(W, X)
    _close(value, loss.item(), FEW_OPS)
    _close(grad, p.grad, FEW_OPS)


@row(PAGE, "`torch.func.grad`")
def func_grad():
    torch_grad = torch.func.grad(_loss_torch)(torch.from_numpy(W), torch.from_numpy(X))
    _close(jax.grad(_loss_jax)(W, X), torch_grad, FEW_OPS)


@row(PAGE, "`with torch.no_grad(): p -= lr * p.grad`")
def sgd_by_hand():
    lr = 0.1
    p = torch.tensor(W, requires_grad=True)
    _loss_torch(p, torch.from_numpy(X)).backward()
    with torch.no_grad():
        p -= lr * p.grad
    params = {"w": jnp.asarray(W)}
    grads = jax.grad(lambda q: _loss_jax(q["w"], X))(params)
    new = jax.tree.map(lambda p, g: p - lr * g, params, grads)
    _close(new["w"], p, FEW_OPS)


def _model_and_params():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    params = [(jnp.asarray(layer.weight.detach().numpy()), jnp.asarray(layer.bias.detach().numpy()))
              for layer in (model[0], model[2])]
    return model, params


@row(PAGE, "`model.parameters()`")
def parameters_and_leaves():
    model, params = _model_and_params()
    leaves = jax.tree.leaves(params)  # a list of (w, b): leaves in the same order
    torch_params = list(model.parameters())
    assert len(leaves) == len(torch_params) == 4
    for leaf, p in zip(leaves, torch_params, strict=True):
        _close(leaf, p)


@row(PAGE, "`nn.Module`")
def module_and_pytree():
    model, params = _model_and_params()

    def forward(params, x):
        (w1, b1), (w2, b2) = params
        return jnp.tanh(x @ w1.T + b1) @ w2.T + b2

    _close(forward(params, X), model(torch.from_numpy(X)), FEW_OPS)


@row(PAGE, "`nn.Linear`")
def linear_by_hand():
    torch.manual_seed(0)
    layer = nn.Linear(3, 2)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()  # w is (out, in)
    _close(jnp.asarray(X) @ w.T + b, layer(torch.from_numpy(X)), FEW_OPS)


@row(PAGE, "`torch.optim.SGD`, `torch.optim.Adam`")
def optimisers():
    for torch_opt, optax_opt in ((torch.optim.SGD, optax.sgd), (torch.optim.Adam, optax.adam)):
        p = torch.tensor(W, requires_grad=True)
        opt = torch_opt([p], lr=0.05)
        for _ in range(5):
            opt.zero_grad()
            _loss_torch(p, torch.from_numpy(X)).backward()
            opt.step()
        tx = optax_opt(0.05)
        q = jnp.asarray(W)
        state = tx.init(q)
        for _ in range(5):
            updates, state = tx.update(jax.grad(_loss_jax)(q, X), state)
            q = optax.apply_updates(q, updates)
        _close(q, p, FEW_OPS)


@row(PAGE, "`torch.compile`")
def compile_and_jit():
    graphs, traces = [], []

    def counting_backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    compiled = torch.compile(lambda x: torch.sin(x) * 2, backend=counting_backend)

    @jax.jit
    def jitted(x):
        traces.append(x)
        return jnp.sin(x) * 2

    for _ in range(3):
        _close(jitted(X), compiled(torch.from_numpy(X)))
    # both capture the function once and reuse the compiled program
    assert len(graphs) == 1 and len(traces) == 1, (len(graphs), len(traces))


@row(PAGE, "`torch._dynamo.explain`")
def explain_and_make_jaxpr():
    explanation = torch._dynamo.explain(lambda x: torch.sin(x) * 2)(torch.from_numpy(X))
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0)
    captured = [str(n.target) for n in explanation.graphs[0].graph.nodes]
    assert len(captured) == 4 and "sin" in captured[1] and "mul" in captured[2], captured
    jaxpr = jax.make_jaxpr(lambda x: jnp.sin(x) * 2)(X)
    assert [e.primitive.name for e in jaxpr.eqns] == ["sin", "mul"], jaxpr
    # Where Dynamo breaks the graph, JAX traces through (a print runs once, at
    # trace time) or raises (a Python `if` on a traced value): no graph breaks.
    def with_print(x):
        y = x.sin()
        print(end="")
        return y * 2

    def with_if(x):
        y = x.sin()
        if y.sum() > 0:
            return y * 2
        return -y

    for broken in (with_print, with_if):
        assert torch._dynamo.explain(broken)(torch.from_numpy(X)).graph_break_count == 1
    assert len(jax.make_jaxpr(lambda x: (print(end=""), jnp.sin(x) * 2)[1])(X).eqns) == 2
    def jax_with_if(x):
        y = jnp.sin(x)
        return y * 2 if y.sum() > 0 else -y

    with pytest.raises(jax.errors.TracerBoolConversionError):  # a Python if on a tracer
        jax.make_jaxpr(jax_with_if)(X)


@row(PAGE, "`torch.cuda.synchronize()`")
def synchronize_and_block():
    x = jnp.sin(jnp.asarray(X))
    assert x.block_until_ready() is x  # waits, then hands back the same array
    tree = {"x": x, "y": [x * 2]}
    assert jax.block_until_ready(tree) is tree  # a whole pytree at once
    # PyTorch waits for all work queued on the device, and returns nothing.
    if torch.cuda.is_available():
        assert torch.cuda.synchronize() is None
    else:  # on the CPU, PyTorch runs synchronously: its synchronize is a no-op
        assert torch.cpu.synchronize() is None


@row(PAGE, "Python `if` on a tensor")
def python_if():
    def torch_relu(x):
        if x > 0:
            return x
        return torch.zeros_like(x)

    via_cond = jax.jit(lambda x: jax.lax.cond(x > 0, lambda x: x, jnp.zeros_like, x))
    via_where = jax.jit(lambda x: jnp.where(x > 0, x, 0.0))
    for value in (-2.0, 0.0, 3.0):
        want = torch_relu(torch.tensor(value))
        _close(via_cond(value), want)
        _close(via_where(value), want)
    with pytest.raises(jax.errors.TracerBoolConversionError):  # a Python if under jax.jit
        jax.jit(lambda x: x if x > 0 else 0.0)(1.0)


@row(PAGE, "Python `for` over steps")
def python_for():
    def step(x):
        return x - 0.1 * (x - 3.0)

    t = torch.tensor(0.0)
    for _ in range(20):
        t = step(t)
    via_fori = jax.jit(lambda x: jax.lax.fori_loop(0, 20, lambda i, x: step(x), x))(0.0)
    via_scan, _ = jax.lax.scan(lambda x, _: (step(x), None), 0.0, length=20)
    _close(via_fori, t, FEW_OPS)
    _close(via_scan, t, FEW_OPS)


@row(PAGE, "`torch._higher_order_ops.scan` (experimental), `torch.compile` of a loop (unrolled)")
def whole_loop_scan():
    from torch._higher_order_ops.scan import scan as torch_scan

    def combine(carry, x):
        carry = carry + x
        return carry, carry.clone()

    total, running = torch_scan(combine, torch.tensor(0.0), torch.arange(1.0, 6.0))
    jax_total, jax_running = jax.lax.scan(lambda c, x: (c + x, c + x), 0.0, jnp.arange(1.0, 6.0))
    _close(jax_total, total)
    _close(jax_running, running)

    # torch.compile unrolls a Python loop: one sin per step in the graph;
    # lax.scan keeps one loop in the program whatever its length.
    graphs = []

    def counting_backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    steps = 5

    @torch.compile(backend=counting_backend, fullgraph=True)
    def loop(x):
        for _ in range(steps):
            x = torch.sin(x)
        return x

    scanned = jax.jit(lambda x: jax.lax.scan(lambda c, _: (jnp.sin(c), None), x, length=steps)[0])
    _close(scanned(X), loop(torch.from_numpy(X)))
    sins = [n for n in graphs[0].graph.nodes if "sin" in str(n.target)]
    assert len(graphs) == 1 and len(sins) == steps, (len(graphs), len(sins))
    eqns = jax.make_jaxpr(scanned)(X).eqns[0].params["jaxpr"].eqns
    assert [e.primitive.name for e in eqns] == ["scan"], eqns


@row(PAGE, "`torch.cond`")
def cond():
    def torch_f(x):
        return torch.cond(x.sum() > 0, lambda x: x.sin(), lambda x: x.cos(), (x,))

    def jax_f(x):
        return jax.lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x)

    for sign in (1.0, -1.0):
        x = sign * np.abs(X)
        _close(jax.jit(jax_f)(x), torch_f(torch.from_numpy(x)))


@row(PAGE, '`tensor.to("cuda")`')
def placing_on_a_device():
    from helpers import device

    assert device.validate("cpu") == "cpu"  # the value BOOK_DEVICE accepts
    cpu = jax.devices("cpu")[0]
    a = jax.device_put(jnp.asarray(X), cpu)
    t = torch.from_numpy(X).to(device.torch_device("cpu"))
    assert a.devices() == {cpu} and t.device.type == "cpu"
    _close(a, t)
