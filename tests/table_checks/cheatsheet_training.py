"""Checks for the cheat-sheet rows of the training chapter (``book/training.ipynb``).

Each check runs the PyTorch habit and its JAX counterpart and compares what
the row claims: the same batches, the same restored numbers (bitwise), the
same dtypes for mixed precision (values within bfloat16's ``rtol=1e-2``: an
8-bit mantissa), reused buffers, the same gradients with and without
rematerialisation (float32, ``rtol=1e-6``), and a profile that names the op.
"""

from __future__ import annotations

import glob

import jax
import jax.numpy as jnp
import numpy as np
import torch

from helpers import digits, training
from table_checks import row, scratch_folder

PAGE = "cheatsheet"


@row(PAGE, '`DataLoader(ds, num_workers=n)` (fork)')
def dataloader_spawn():
    split = digits.load()
    images, labels = split.x_train[:200], split.y_train[:200]
    dataset = training.ArrayDataset(images, labels)
    plain = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True,
                                        generator=torch.Generator().manual_seed(7))
    spawned = torch.utils.data.DataLoader(
        dataset, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(7),
        collate_fn=training.numpy_collate, num_workers=1, multiprocessing_context="spawn")
    pairs = list(zip(plain, spawned, strict=True))
    assert len(pairs) == 4
    for (torch_x, torch_y), (np_x, np_y) in pairs:
        assert isinstance(torch_x, torch.Tensor) and isinstance(np_x, np.ndarray)
        assert np.array_equal(torch_x.numpy(), np_x) and np.array_equal(torch_y.numpy(), np_y)


@row(PAGE, '`torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)`')
def checkpoint_save():
    import orbax.checkpoint as ocp

    folder = scratch_folder()
    model = digits.torch_cnn()
    optimizer = torch.optim.Adam(model.parameters())
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
               f"{folder}/torch.pt")
    back = torch.load(f"{folder}/torch.pt")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 back["model"].values(), strict=True))

    state = {"w": jnp.arange(6.0).reshape(2, 3), "step": jnp.int32(4)}
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(f"{folder}/jax", state)
    checkpointer.wait_until_finished()
    restored = checkpointer.restore(f"{folder}/jax",
                                    jax.tree.map(ocp.utils.to_shape_dtype_struct, state))
    checkpointer.close()
    assert training.leaves_equal(restored, state)


@row(PAGE, '`torch.autocast(device_type="cpu", dtype=torch.bfloat16)`')
def autocast():
    from flax import nnx

    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    layer = torch.nn.Linear(4, 2)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        torch_out = layer(torch.from_numpy(x))
    assert torch_out.dtype == torch.bfloat16 and layer.weight.dtype == torch.float32

    linear = nnx.Linear(4, 2, dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
    linear.kernel[...] = jnp.asarray(layer.weight.detach().numpy().T)
    linear.bias[...] = jnp.asarray(layer.bias.detach().numpy())
    jax_out = linear(jnp.asarray(x))
    assert jax_out.dtype == jnp.bfloat16 and linear.kernel[...].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(jax_out, np.float32),
                               torch_out.float().detach().numpy(), rtol=1e-2, atol=1e-2)


@row(PAGE, "`optimizer.step()` writing into the same tensors")
def donation():
    weight = torch.nn.Parameter(torch.ones(4))
    before = weight.data_ptr()
    optimizer = torch.optim.SGD([weight], lr=0.1)
    weight.sum().backward()
    optimizer.step()
    assert weight.data_ptr() == before and torch.equal(weight.detach(), torch.full((4,), 0.9))

    def step(w):
        return w - 0.1 * jax.grad(lambda v: v.sum())(w)

    w = jnp.ones(4)
    compiled = jax.jit(step, donate_argnums=0).lower(w).compile()
    assert compiled.memory_analysis().alias_size_in_bytes == w.nbytes
    new = jax.jit(step, donate_argnums=0)(w)
    assert w.is_deleted()
    np.testing.assert_array_equal(new, weight.detach().numpy())


@row(PAGE, "`torch.utils.checkpoint.checkpoint(f, x)`")
def remat():
    from torch.utils.checkpoint import checkpoint

    x = np.linspace(-1, 1, 6, dtype=np.float32)

    def f_torch(v):
        return torch.sin(torch.tanh(v) * 2).sum()

    def f_jax(v):
        return jnp.sin(jnp.tanh(v) * 2).sum()

    grads = []
    for wrapped in (False, True):
        v = torch.tensor(x, requires_grad=True)
        (checkpoint(f_torch, v, use_reentrant=False) if wrapped else f_torch(v)).backward()
        grads.append(v.grad.numpy())
    assert np.array_equal(grads[0], grads[1])
    jax_grad = jax.grad(jax.checkpoint(f_jax))(jnp.asarray(x))
    np.testing.assert_allclose(jax_grad, jax.grad(f_jax)(jnp.asarray(x)), rtol=1e-6)
    np.testing.assert_allclose(jax_grad, grads[1], rtol=1e-6, atol=1e-7)


@row(PAGE, "`torch.profiler.profile()`")
def profiler():
    a = torch.ones(8, 8)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        torch.mm(a, a)
    assert "aten::mm" in {event.key for event in prof.key_averages()}

    matmul = jax.jit(lambda m: m @ m)
    x = jnp.ones((8, 8))
    matmul(x).block_until_ready()
    folder = scratch_folder()
    with jax.profiler.trace(folder, create_perfetto_trace=True):
        matmul(x).block_until_ready()
    assert glob.glob(f"{folder}/**/*.trace.json.gz", recursive=True)
