"""Checks for the `.at[]` table of the sharp-bits chapter.

Each check runs the PyTorch update and its JAX twin on the same data, with a
repeated index, and requires exactly equal results: the values are small
numbers exactly representable in float32, so no tolerance is needed.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import torch

from table_checks import row

PAGE = "sharp_bits"
BASE = np.float32([1.0, 2.0, 3.0, 4.0])
INDEX = np.array([3, 0, 3])
VALUES = np.float32([5.0, -2.0, 0.5])


def _sides():
    x, i, v = jnp.asarray(BASE), jnp.asarray(INDEX), jnp.asarray(VALUES)
    t, ti, tv = torch.tensor(BASE), torch.tensor(INDEX), torch.tensor(VALUES)
    return (x, i, v), (t, ti, tv)


def _equal(jax_value, torch_value) -> None:
    np.testing.assert_array_equal(np.asarray(jax_value), torch_value.numpy())


@row(PAGE, "`t[i] = v` (a new tensor: `t.index_put((i,), v)`)")
def check_set():
    # Distinct indices: with repeats, which value wins is unspecified in both.
    x, t = jnp.asarray(BASE), torch.tensor(BASE)
    t_copy = t.clone()
    t_copy[torch.tensor([2, 0])] = torch.tensor([7.0, 8.0])
    jax_side = x.at[jnp.array([2, 0])].set(jnp.array([7.0, 8.0]))
    _equal(jax_side, t.index_put((torch.tensor([2, 0]),), torch.tensor([7.0, 8.0])))
    _equal(jax_side, t_copy)
    _equal(x, t)  # neither original changed


@row(PAGE, "`t.index_add(0, i, v)`")
def check_add():
    (x, i, v), (t, ti, tv) = _sides()
    _equal(x.at[i].add(v), t.index_add(0, ti, tv))
    assert float(x.at[i].add(v)[3]) == 4.0 + 5.0 + 0.5  # the repeat accumulates


@row(PAGE, '`t.scatter_reduce(0, i, v, "prod")`')
def check_multiply():
    (x, i, v), (t, ti, tv) = _sides()
    _equal(x.at[i].multiply(v), t.scatter_reduce(0, ti, tv, "prod"))


@row(PAGE, '`t.scatter_reduce(0, i, v, "amin")`')
def check_min():
    (x, i, v), (t, ti, tv) = _sides()
    _equal(x.at[i].min(v), t.scatter_reduce(0, ti, tv, "amin"))


@row(PAGE, '`t.scatter_reduce(0, i, v, "amax")`')
def check_max():
    (x, i, v), (t, ti, tv) = _sides()
    _equal(x.at[i].max(v), t.scatter_reduce(0, ti, tv, "amax"))
