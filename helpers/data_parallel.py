"""Data-parallel training of a small MLP across devices, for the chapter on
many devices.

The model is deliberately bigger than XOR (a 2-64-64-1 MLP on a few thousand
points of two interleaved spirals) so that a batch has work worth sharing.
Parameters use the XOR port's list-of-dicts pytree and stage 6's own
``init_layer`` and ``sgd_step``. The same ``train_step`` runs unsharded, under
``jit`` with shardings, and (written per device) under ``jax.shard_map``; the
chapter checks that all three give the same numbers.

On a machine with one CPU, :func:`simulate_cpu_devices` splits it into several
XLA devices, which must happen before JAX runs its first computation; the
module imports JAX only inside its functions so that importing it starts
nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from .progress import stable_bar

AXIS = "data"  # the name of the mesh axis the batch is split along
LAYER_SIZES: tuple[int, ...] = (2, 64, 64, 1)


def simulate_cpu_devices(count: int) -> None:
    """Make JAX present the CPU as ``count`` devices; call before JAX computes
    anything.

    Sets JAX's ``jax_num_cpu_devices`` option (the pinned jax and Colab's
    0.7.2 both have it; it overrides XLA's older
    ``--xla_force_host_platform_device_count`` flag). The CPU is split once,
    when JAX starts its backends, so this raises if they are already running.
    """
    if (isinstance(count, bool) or not isinstance(count, int)
            or not 1 <= count <= 512):
        raise ValueError(
            f"count must be an integer from 1 to 512, got {count!r}")
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError as error:
        raise RuntimeError(
            "JAX has already run a computation, so it will not split the CPU "
            "any more. Restart the kernel and call simulate_cpu_devices() "
            "before anything else uses jax."
        ) from error


def make_spirals(points: int, seed: int = 0, noise: float = 0.15
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane: inputs (points, 2) float32,
    labels (points, 1) 0 or 1."""
    if (isinstance(points, bool) or not isinstance(points, int)
            or points < 2 or points % 2):
        raise ValueError(
            f"points must be an even integer of at least 2, got {points!r}")
    if not noise >= 0:
        raise ValueError(
            f"noise must be a non-negative number, got {noise!r}")
    rng = np.random.default_rng(seed)
    half = points // 2
    radius = np.sqrt(rng.uniform(0.0, 1.0, half)) * 3.0
    angle = radius * np.pi
    arm = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x = np.concatenate([arm, -arm]) + rng.normal(0.0, noise, (points, 2))
    y = np.concatenate([np.zeros(half), np.ones(half)])[:, None]
    order = rng.permutation(points)  # mix the classes so every shard sees both
    return x[order].astype(np.float32), y[order].astype(np.float32)


def init_mlp(seed: int, sizes: tuple[int, ...] = LAYER_SIZES
             ) -> list[dict[str, Any]]:
    """Parameters for an MLP with these layer sizes, initialised as
    ``nn.Linear`` does."""
    import jax

    from .xor.stage6_jax_jit_step import init_layer

    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, int)
                             or s < 1 for s in sizes):
        raise ValueError(
            f"sizes must be two or more positive integers, got {sizes!r}")
    keys = jax.random.split(jax.random.key(seed), len(sizes) - 1)
    return [init_layer(key, d_in, d_out)
            for key, d_in, d_out in zip(keys, sizes[:-1], sizes[1:])]


def logits(params, x):
    """tanh hidden layers, then a linear output: one logit per input row."""
    import jax.numpy as jnp

    *hidden, last = params
    for layer in hidden:
        x = jnp.tanh(x @ layer["w"].T + layer["b"])
    return x @ last["w"].T + last["b"]


def loss(params, x, y):
    """Mean binary cross-entropy of the logits against labels 0 or 1."""
    import jax

    z = logits(params, x)
    return (jax.nn.softplus(z) - y * z).mean()


def train_step(params, x, y, learning_rate):
    """One full-batch SGD step: (new parameters, loss before the step)."""
    import jax

    from .xor.stage6_jax_jit_step import sgd_step

    value, grads = jax.value_and_grad(loss)(params, x, y)
    return sgd_step(params, grads, learning_rate), value


def mesh_devices(minimum: int = 2) -> list:
    """The devices to split the batch over: JAX's default ones if there are
    ``minimum`` or more, otherwise the CPU's (split by
    :func:`simulate_cpu_devices`), which then also become JAX's default
    device.

    A single GPU, as on a Colab GPU runtime, cannot show data parallelism, and
    comparing its TF32 results with a CPU mesh would mix two kinds of device;
    falling back to the CPU for everything keeps the chapter's checks on one.
    """
    if (isinstance(minimum, bool) or not isinstance(minimum, int)
            or minimum < 1):
        raise ValueError(
            f"minimum must be a positive integer, got {minimum!r}")
    import jax

    devices = jax.devices()
    if len(devices) >= minimum:
        return devices
    cpus = jax.devices("cpu")
    jax.config.update("jax_default_device", cpus[0])
    return cpus


def data_mesh(devices=None):
    """A one-axis mesh named ``AXIS`` over ``devices`` (default: every device
    JAX has)."""
    import jax
    from jax.sharding import AxisType

    devices = jax.devices() if devices is None else list(devices)
    # Auto: jit decides how intermediate values are laid out (the default
    # became Explicit in newer jax); say it, so every version builds the same
    return jax.make_mesh((len(devices),), (AXIS,), devices=devices,
                         axis_types=(AxisType.Auto,))


def shard_batch(mesh, *arrays):
    """Place each array's rows across the mesh, one equal block per device."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    count = mesh.devices.size
    for array in arrays:
        if array.shape[0] % count:
            raise ValueError(
                f"a batch of {array.shape[0]} rows cannot be split evenly "
                f"over {count} devices; use a multiple of {count} rows (or "
                f"drop the last {array.shape[0] % count})"
            )
    sharding = NamedSharding(mesh, PartitionSpec(AXIS))
    placed = tuple(jax.device_put(a, sharding) for a in arrays)
    return placed if len(placed) > 1 else placed[0]


def replicate(mesh, tree):
    """A full copy of every leaf of ``tree`` on every device of the mesh."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def shard_map_step(mesh):
    """``train_step`` written per device, with the one collective it needs
    spelled out.

    Each device sees only its block of rows. ``pmean`` averages the devices'
    losses into the loss of the whole batch (an all-reduce), and the gradient
    is taken of that. Averaging the *gradients* instead would be wrong here:
    the parameters are replicated, and JAX already sums a replicated value's
    gradient over the devices (the transpose of copying is summing).
    """
    import jax
    from jax.sharding import PartitionSpec as P

    from .xor.stage6_jax_jit_step import sgd_step

    @jax.jit
    @partial(jax.shard_map, mesh=mesh,
             in_specs=(P(), P(AXIS), P(AXIS), P()), out_specs=(P(), P()))
    def step(params, x, y, learning_rate):
        def batch_loss(params):
            # equal blocks: mean of means
            return jax.lax.pmean(loss(params, x, y), AXIS)

        value, grads = jax.value_and_grad(batch_loss)(params)
        return sgd_step(params, grads, learning_rate), value

    return step


def collectives(mesh, blocks):
    """``psum``, ``pmean`` and ``all_gather`` over a one-axis mesh, inside
    ``shard_map``.

    ``blocks`` has one row per device of ``mesh``; device i holds row i.
    Returns ``(total, mean, gathered)``: the sum and the mean of the rows
    (every device ends with the same one), and what ``all_gather`` gave each
    device, stacked: ``gathered[i]`` is device i's copy of all the rows.
    """
    import jax
    from jax.sharding import PartitionSpec as P

    (axis,) = mesh.axis_names

    @jax.jit
    @partial(jax.shard_map, mesh=mesh, in_specs=P(axis),
             out_specs=(P(), P(), P(axis)))
    def run(block):  # this device's row, shape (1, width)
        total = jax.lax.psum(block[0], axis)  # the same on every device
        mean = jax.lax.pmean(block[0], axis)
        # (devices, width) on each device
        gathered = jax.lax.all_gather(block[0], axis)
        return total, mean, gathered[None]

    return run(blocks)


def train(step, params, x, y, learning_rate: float, steps: int,
          progress: bool = False):
    """Call ``step`` ``steps`` times; return (final parameters, loss before
    each step as NumPy).

    Each step is waited for before the next is dispatched. On a CPU split into
    simulated devices, XLA deadlocked in the all-reduce when many steps were
    queued at once (seen with jax 0.10.2 on two cores and eight devices: one
    device's thread never reached the rendezvous); one step in flight avoids
    it at the cost of a sync per step. Several processes with one device each
    did not need it (the many-devices chapter runs both cases through
    :mod:`helpers.multiprocess_workers`). ``progress`` shows a bar with the
    loss.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(
            f"steps must be a positive integer, got {steps!r}")
    import jax

    bar = stable_bar(steps, "training", "steps") if progress else None
    losses = []
    for index in range(steps):
        params, value = jax.block_until_ready(
            step(params, x, y, learning_rate))
        losses.append(float(value))
        if bar is not None and (index % 100 == 0 or index == steps - 1):
            bar.update(index + 1 - bar.n)
            bar.set_postfix_str(f"loss {losses[-1]:.4f}")
    if bar is not None:
        bar.close()
    return params, np.asarray(losses, dtype=np.float32)


def to_torch(params):
    """The same MLP as a PyTorch ``nn.Sequential`` (Linear, Tanh, ...,
    Linear) holding these weights.

    This is the module PyTorch's ``DistributedDataParallel`` would wrap; the
    chapter uses it to check that both frameworks compute the same loss and
    gradients.
    """
    import torch
    from torch import nn

    layers: list[nn.Module] = []
    for index, layer in enumerate(params):
        # writable copies for torch
        w, b = np.array(layer["w"]), np.array(layer["b"])
        linear = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if index < len(params) - 1:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)
