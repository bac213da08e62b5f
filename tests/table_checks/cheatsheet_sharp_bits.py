"""Checks for the cheat-sheet rows of the sharp-bits chapter.

Each check runs the PyTorch habit and its JAX counterpart and compares what the
row promises: the same dtype, the same numbers (small values, exact in float32,
so equality is exact), or the same information logged. Global settings are
restored before a check returns.
"""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
import torch

from table_checks import row

PAGE = "cheatsheet"


@row(PAGE, "`torch.set_default_dtype(torch.float64)`")
def check_float64():
    big = np.array([2.0**24 + 1])  # needs 64 bits
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        torch_side = torch.tensor(2.0**24 + 1)
    finally:
        torch.set_default_dtype(previous)
    assert jnp.array(big).dtype == jnp.float32  # the default: narrowed
    assert jnp.arange(3).dtype == jnp.int32
    previous_x64 = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        jax_side = jnp.array(2.0**24 + 1)
        assert jax_side.dtype == jnp.float64 and jnp.arange(3).dtype == jnp.int64
        assert float(jax_side) == float(torch_side) == big[0]
    finally:
        jax.config.update("jax_enable_x64", previous_x64)
    assert torch_side.dtype == torch.float64


@row(PAGE, "`t.index_add_(0, i, v)`")
def check_index_add():
    index, values = [0, 0, 2], [1.0, 2.0, 3.0]
    t = torch.zeros(4)
    t.index_add_(0, torch.tensor(index), torch.tensor(values))
    x = jnp.zeros(4).at[jnp.array(index)].add(jnp.array(values))
    np.testing.assert_array_equal(np.asarray(x), t.numpy())
    assert float(x[0]) == 3.0  # the repeated index accumulates
    dropped = jnp.zeros(4).at[jnp.array([1, 9])].add(1.0)  # 9 is out of bounds
    np.testing.assert_array_equal(np.asarray(dropped), [0.0, 1.0, 0.0, 0.0])


@row(PAGE, '`t.scatter_reduce(0, i, v, "amax")`')
def check_scatter_max():
    index, values = [1, 1, 3], [5.0, 7.0, -1.0]
    t = torch.zeros(4).scatter_reduce(0, torch.tensor(index), torch.tensor(values), "amax")
    x = jnp.zeros(4).at[jnp.array(index)].max(jnp.array(values))
    np.testing.assert_array_equal(np.asarray(x), t.numpy())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _collect(name: str) -> tuple[logging.Logger, _Collect, tuple]:
    logger = logging.getLogger(name)
    handler = _Collect()
    saved = (logger.handlers, logger.propagate)
    logger.handlers, logger.propagate = [handler], False
    return logger, handler, saved


@row(PAGE, "`TORCH_LOGS=recompiles`")
def check_recompile_logs():
    def double_torch(x):
        return x * 2

    compiled = torch.compile(double_torch, backend="eager")
    torch._logging.set_logs(recompiles=True)
    logger, handler, saved = _collect("torch._dynamo")
    try:
        compiled(torch.ones(3))
        compiled(torch.ones(3, dtype=torch.int32))
    finally:
        logger.handlers, logger.propagate = saved
        torch._logging.set_logs()
    assert any("dtype mismatch" in m for m in handler.messages), handler.messages

    @jax.jit
    def double_jax(x):
        return x * 2

    inputs = [jnp.ones(3), jnp.ones(3, jnp.int32)]
    logger, handler, saved = _collect("jax")
    try:
        with jax.log_compiles(True), jax.explain_cache_misses(True):
            for x in inputs:
                double_jax(x)
    finally:
        logger.handlers, logger.propagate = saved
    compiles = [m for m in handler.messages if m.startswith("Compiling jit(double_jax)")]
    assert len(compiles) == 2, handler.messages
    assert any("now i32[3] and before f32[3]" in m for m in handler.messages), handler.messages
