"""One check per row of the symptom table of ``book/debugging.ipynb``.

Each check triggers the symptom the row names (for an error: its class and the
start of the first line of its message, exactly as the row quotes them), then
runs the fix the row gives and shows that it works, compared with PyTorch
where both compute the same thing (float32, ``rtol=1e-6``).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import torch

from table_checks import row

PAGE = "debugging"
TOLERANCE = {"rtol": 1e-6, "atol": 1e-7}  # float32, the same few operations


def _raises(action: Callable[[], object], symptom: str) -> Exception:
    """Run ``action`` and check that it fails as the symptom ``Class: message start`` says."""
    name, _, start = symptom.partition(": ")
    try:
        action()
    except Exception as error:  # noqa: BLE001 - the class is what is checked
        assert type(error).__name__ == name, (type(error).__name__, name)
        first_line = str(error).splitlines()[0]
        assert first_line.startswith(start), (first_line, start)
        return error
    raise AssertionError(f"expected {symptom!r}, nothing was raised")


def _symptom(cell: str) -> str:
    return cell.split("`")[1]


def _quiet(action: Callable[[], object]) -> Callable[[], object]:
    """``action`` with stdout swallowed (debug_nans prints a line before it raises)."""

    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            return action()

    return run


ROW_BOOL = "`TracerBoolConversionError: Attempted boolean conversion of traced array`"
ROW_CONCRETE = ("`ConcretizationTypeError: Abstract tracer value encountered where concrete "
                "value is expected`")
ROW_NUMPY = ("`TracerArrayConversionError: The numpy.ndarray conversion method __array__() "
             "was called on traced array`")
ROW_LEAK = "`UnexpectedTracerError: Encountered an unexpected tracer.`"
ROW_MASK = "`NonConcreteBooleanIndexError: Array boolean indices must be concrete`"
ROW_IMMUTABLE = "`TypeError: JAX arrays are immutable`"
ROW_SCALAR = "`TypeError: Gradient only defined for scalar-output functions.`"
ROW_KEY = "`KeyReuseError: Previously-consumed key`, or repeated random numbers"
ROW_PRINT = "`print` shows `JitTracer(~float32[])`"
ROW_NAN = "NaN or inf in the loss"


@row(PAGE, ROW_BOOL)
def python_if():
    def relu_if(x):
        if x > 0:
            return x
        return 0.0

    _raises(lambda: jax.jit(relu_if)(2.0), _symptom(ROW_BOOL))
    where = jax.jit(lambda x: jnp.where(x > 0, x, 0.0))
    cond = jax.jit(lambda x: jax.lax.cond(x > 0, lambda x: x, jnp.zeros_like, x))
    static = jax.jit(relu_if, static_argnums=0)
    loop = jax.jit(lambda n: jax.lax.while_loop(lambda i: i < n, lambda i: i + 1, 0))
    for value in (-2.0, 3.0):
        for fixed in (where, cond, static):
            np.testing.assert_allclose(fixed(value), torch.relu(torch.tensor(value)).item())
    assert int(loop(5)) == 5


@row(PAGE, ROW_CONCRETE)
def concrete_values():
    x = jnp.array([0, 3, 0, 5])
    symptom = _symptom(ROW_CONCRETE)
    _raises(lambda: jax.jit(lambda x: jnp.nonzero(x)[0])(x), symptom)
    _raises(lambda: jax.jit(lambda n: jnp.arange(n))(3), symptom)
    _raises(lambda: jax.jit(lambda x: x / x.sum().item())(x), symptom)
    _raises(lambda: jax.jit(lambda x: float(x))(3.0), symptom)
    sized = jax.jit(lambda x: jnp.nonzero(x, size=4, fill_value=-1)[0])(x)
    np.testing.assert_array_equal(sized, [1, 3, -1, -1])
    np.testing.assert_array_equal(sized[:2], torch.nonzero(torch.tensor([0, 3, 0, 5]))[:, 0])
    np.testing.assert_array_equal(jax.jit(jnp.arange, static_argnums=0)(3), [0, 1, 2])
    np.testing.assert_allclose(jax.jit(lambda x: x / x.sum())(jnp.arange(1.0, 4.0)),
                               [1 / 6, 2 / 6, 3 / 6], **TOLERANCE)


@row(PAGE, ROW_NUMPY)
def numpy_on_a_tracer():
    _raises(lambda: jax.jit(lambda x: np.sin(x) * 2)(1.0), _symptom(ROW_NUMPY))
    np.testing.assert_allclose(jax.jit(lambda x: jnp.sin(x) * 2)(1.0),
                               (torch.sin(torch.tensor(1.0)) * 2).item(), **TOLERANCE)
    np.testing.assert_allclose(jax.jit(jax.nn.sigmoid)(1.0),
                               torch.sigmoid(torch.tensor(1.0)).item(), **TOLERANCE)


@row(PAGE, ROW_LEAK)
def escaped_tracer():
    seen = []

    @jax.jit
    def remember(x):
        seen.append(x * 2)
        return x + 1

    remember(1.0)
    _raises(lambda: seen[0] + 1, _symptom(ROW_LEAK))

    def leaky(x):
        seen.append(x)
        return x + 1

    with jax.checking_leaks():  # the fix's finder raises while tracing
        _raises(lambda: jax.jit(leaky)(1.0), "Exception: Leaked trace")
    result, y = jax.jit(lambda x: (x * 2 + 1, x * 2))(1.0)  # return it instead
    assert (float(result), float(y)) == (3.0, 2.0)


@row(PAGE, ROW_MASK)
def boolean_mask():
    x = jnp.array([-1.0, 2.0, 3.0])
    _raises(lambda: jax.jit(lambda x: x[x > 0].sum())(x), _symptom(ROW_MASK))
    fixed = jax.jit(lambda x: jnp.where(x > 0, x, 0).sum())(x)
    t = torch.tensor([-1.0, 2.0, 3.0])
    np.testing.assert_allclose(fixed, t[t > 0].sum().item(), **TOLERANCE)


@row(PAGE, ROW_IMMUTABLE)
def immutable_arrays():
    x = jnp.zeros(3)

    def assign():
        x[0] = 1.0

    _raises(assign, _symptom(ROW_IMMUTABLE))
    y = x.at[0].set(1.0)
    t = torch.zeros(3)
    t[0] = 1.0
    np.testing.assert_array_equal(y, t.numpy())
    np.testing.assert_array_equal(x, np.zeros(3))  # the original is unchanged


@row(PAGE, ROW_SCALAR)
def grad_of_a_vector():
    x = jnp.arange(3.0)
    _raises(lambda: jax.grad(lambda x: x**2)(x), _symptom(ROW_SCALAR))
    t = torch.arange(3.0, requires_grad=True)
    (t**2).backward(torch.ones(3))
    np.testing.assert_allclose(jax.grad(lambda x: (x**2).sum())(x), t.grad.numpy())
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda v: v**2))(x), t.grad.numpy())
    np.testing.assert_allclose(jnp.diag(jax.jacobian(lambda x: x**2)(x)), t.grad.numpy())


@row(PAGE, ROW_KEY)
def key_reuse():
    key = jax.random.key(0)
    np.testing.assert_array_equal(jax.random.normal(key, (3,)), jax.random.normal(key, (3,)))

    def reuse():
        with jax.debug_key_reuse(True):
            k = jax.random.key(0)
            jax.random.normal(k, (3,))
            jax.random.normal(k, (3,))

    _raises(reuse, _symptom(ROW_KEY))
    with jax.debug_key_reuse(True):
        first, second = jax.random.split(jax.random.key(0))
        a, b = jax.random.normal(first, (3,)), jax.random.normal(second, (3,))
    assert not np.array_equal(a, b)


@row(PAGE, "a jitted function ignores a changed global")
def changed_global():
    scale = {"value": 2.0}
    read_at_trace = jax.jit(lambda x: x * scale["value"])
    assert float(read_at_trace(1.0)) == 2.0
    scale["value"] = 3.0
    assert float(read_at_trace(1.0)) == 2.0  # still the value seen when it traced
    as_argument = jax.jit(lambda x, s: x * s)
    assert float(as_argument(1.0, scale["value"])) == 3.0


@row(PAGE, ROW_PRINT)
def print_shows_a_tracer():
    shown = io.StringIO()

    @jax.jit
    def step(x):
        print(x, file=shown)
        jax.debug.print("{x}", x=x)
        return x * 2

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        step(1.0)
        step(2.0).block_until_ready()
        jax.effects_barrier()
    assert shown.getvalue() == "JitTracer(~float32[])\n", shown.getvalue()  # once, at trace
    assert printed.getvalue().split() == ["1.0", "2.0"], printed.getvalue()  # every call


@row(PAGE, ROW_NAN)
def nan_in_the_loss():
    def log_loss(x):
        return (jnp.log(x) * 2).sum()

    x = jnp.array([1.0, -1.0])
    assert np.isnan(jax.jit(log_loss)(x))  # silently, without the check
    with jax.debug_nans(True):
        _raises(_quiet(lambda: jax.jit(log_loss)(x)),
                "FloatingPointError: invalid value (nan) encountered in log")
    with jax.debug_infs(True):
        _raises(_quiet(lambda: jax.jit(lambda x: 1.0 / x)(jnp.array([0.0, 1.0]))),
                "FloatingPointError: invalid value (inf) encountered in div")


@row(PAGE, "the first call is slow, later ones fast")
def first_call_compiles():
    traces = []

    @jax.jit
    def f(x):
        traces.append(1)
        return jnp.tanh(x) * 2

    x = jnp.ones(4)
    results = [f(x).block_until_ready() for _ in range(3)]
    assert len(traces) == 1  # only the first call traced (and compiled)
    lowered = f.lower(x)  # ahead of time: compile apart from the run
    np.testing.assert_array_equal(lowered.compile()(x), results[0])


@row(PAGE, "every call is slow")
def recompiling():
    traces = []

    @jax.jit
    def total(x):
        traces.append(x.shape)
        return x.sum()

    for n in (3, 4, 5):
        total(jnp.ones(n))
    assert traces == [(3,), (4,), (5,)]  # a new shape each call: a new compile
    traces.clear()
    for n in (3, 4, 5):
        padded = jnp.zeros(8).at[:n].set(1.0)  # pad to one shape
        assert float(total(padded)) == n
    assert traces == [(8,)]
