"""The many-devices chapter's training step run by several processes, in JAX
and in PyTorch.

Each function here is a worker started by :func:`helpers.launch.launch`
(``"helpers.multiprocess_workers:jax_train"``), which tells it its rank, the
number of processes and the coordinator's address. Every worker takes the
same spirals as the single-process chapter, keeps only its own contiguous
block of rows, trains ``steps`` full-batch SGD steps from the same start, and
writes what the chapter compares (losses, final parameters, each step's time
in seconds) to ``out_dir/<framework>-<processes>-rank<r>.npz``. Only rank 0
prints the summary lines; every rank prints what it sees of the devices.

The arguments arrive as strings because they come from the command line.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import data_parallel as dp
from .launch import worker_env

POINTS = 4096
# as in the single-process chapter: 8 simulated CPU devices in all
GLOBAL_DEVICES = 8


def _block(rank: int, world: int,
           *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """This process's contiguous share of the rows (the same split as the
    mesh's)."""
    rows, left = divmod(arrays[0].shape[0], world)
    if left:
        raise ValueError(f"{arrays[0].shape[0]} rows do not split evenly "
                         f"over {world} processes: use a process count that "
                         "divides them")
    return tuple(a[rank * rows:(rank + 1) * rows] for a in arrays)


def jax_train(out_dir: str, steps: str = "300", learning_rate: str = "0.2",
              sync: str = "1", devices: str = str(GLOBAL_DEVICES)) -> None:
    """JAX: one global mesh over every process's CPU devices; the unchanged
    ``train_step`` under jit.

    ``sync="0"`` dispatches every step before waiting for any (the chapter's
    deadlock experiment); ``"1"`` waits for each step, as ``dp.train`` does.
    ``devices`` is the number of CPU devices of all processes together.
    """
    rank, world, address = worker_env()
    total = int(devices)
    if total % world:
        raise ValueError(f"{world} processes cannot share {total} devices "
                         "equally; use a number of processes that divides it")
    # this process's share, before JAX starts
    dp.simulate_cpu_devices(total // world)

    import jax
    from jax.sharding import AxisType, NamedSharding, PartitionSpec

    # cross-process all-reduce on CPU
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=address,
                               num_processes=world, process_id=rank)
    print(f"process {jax.process_index()} of {jax.process_count()}: "
          f"{jax.local_device_count()} local devices, "
          f"{jax.device_count()} global")

    # Auto axes as in jax 0.7.2's default; jax 0.10 would make them Explicit.
    mesh = jax.make_mesh((jax.device_count(),), (dp.AXIS,),
                         axis_types=(AxisType.Auto,))
    by_rows = NamedSharding(mesh, PartitionSpec(dp.AXIS))
    replicated = NamedSharding(mesh, PartitionSpec())

    # every process could load only its own rows
    points, labels = dp.make_spirals(POINTS, seed=0)
    local_points, local_labels = _block(rank, world, points, labels)
    x = jax.make_array_from_process_local_data(by_rows, local_points)
    y = jax.make_array_from_process_local_data(by_rows, local_labels)
    first = min(s.index[0].start for s in x.addressable_shards)
    assert (x.shape == points.shape
            and first == rank * local_points.shape[0]), (x.shape, first)

    def replicate(a):
        return jax.make_array_from_process_local_data(replicated,
                                                      np.asarray(a))

    params = jax.tree.map(replicate, dp.init_mlp(seed=0))
    blocks = x.addressable_shards
    last = first + len(local_points) - 1
    print(f"process {rank}: mesh {dict(mesh.shape)}, holds rows "
          f"{first}..{last} of {x.shape[0]} in {len(blocks)} blocks of "
          f"{blocks[0].data.shape}; parameters replicated: "
          f"{params[0]['w'].sharding.is_fully_replicated}")

    step = jax.jit(dp.train_step)
    params, value = jax.block_until_ready(  # compile
        step(params, x, y, float(learning_rate)))
    params = jax.tree.map(replicate, dp.init_mlp(seed=0))
    count, learning_rate = int(steps), float(learning_rate)
    if sync not in ("0", "1"):
        raise ValueError(f"sync must be '0' (queue every step) or '1' (wait "
                         f"for each), got {sync!r}")
    losses, times = [], []
    if sync == "1":  # one step in flight, as dp.train does
        for _ in range(count):
            start = time.perf_counter()
            params, value = jax.block_until_ready(
                step(params, x, y, learning_rate))
            times.append(time.perf_counter() - start)
            losses.append(float(value))
    else:  # queue every step, then wait once
        start = time.perf_counter()
        for _ in range(count):
            params, value = step(params, x, y, learning_rate)
            losses.append(value)
        losses = [float(v) for v in jax.block_until_ready(losses)]
        times = [(time.perf_counter() - start) / count] * count

    # replicated: each process has a local copy
    final = [{k: np.asarray(v) for k, v in layer.items()} for layer in params]
    _save(out_dir, "jax", world, rank, losses, final, times)
    # one process speaks for all (printing, checkpointing)
    if jax.process_index() == 0:
        print(f"loss step 0 {losses[0]:.6f}, "
              f"step {count - 1} {losses[-1]:.6f}")
    jax.distributed.shutdown()


def torch_train(out_dir: str, steps: str = "300",
                learning_rate: str = "0.2") -> None:
    """PyTorch: ``DistributedDataParallel`` over gloo, one process per rank,
    same rows and start."""
    rank, world, _ = worker_env()
    import torch
    import torch.distributed as torch_dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)  # several processes share the CPU cores
    # env:// reads RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, set by the
    # launcher as by torchrun
    torch_dist.init_process_group("gloo", init_method="env://")
    print(f"rank {torch_dist.get_rank()} of {torch_dist.get_world_size()}")

    points, labels = dp.make_spirals(POINTS, seed=0)
    local_points, local_labels = (
        torch.from_numpy(a) for a in _block(rank, world, points, labels))
    model = dp.to_torch(dp.init_mlp(seed=0))
    # also broadcasts rank 0's weights to all
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=float(learning_rate))
    count, losses, times = int(steps), [], []
    for _ in range(count):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            ddp(local_points), local_labels)
        loss.backward()  # DDP averages the gradients over the ranks here
        optimizer.step()
        global_loss = loss.detach().clone()
        # for the record only: the mean over ranks
        torch_dist.all_reduce(global_loss)
        losses.append(global_loss.item() / world)
        times.append(time.perf_counter() - start)

    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    final = [{"w": m.weight.detach().numpy().copy(),
              "b": m.bias.detach().numpy().copy()} for m in linears]
    _save(out_dir, "torch", world, rank, losses, final, times)
    if rank == 0:
        print(f"loss step 0 {losses[0]:.6f}, "
              f"step {count - 1} {losses[-1]:.6f}")
    torch_dist.destroy_process_group()


def _save(out_dir: str, framework: str, world: int, rank: int, losses,
          params, times) -> None:
    leaves = {f"{key}{index}": value for index, layer in enumerate(params)
              for key, value in layer.items()}
    path = Path(out_dir) / f"{framework}-{world}-rank{rank}.npz"
    np.savez(path, losses=np.asarray(losses, np.float32),
             step_seconds=np.asarray(times), **leaves)


def load(out_dir: str, framework: str, world: int,
         rank: int = 0) -> dict[str, np.ndarray]:
    """What a worker saved: ``losses``, ``step_seconds`` and the parameters
    ``w0``, ``b0``, ..."""
    path = Path(out_dir) / f"{framework}-{world}-rank{rank}.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the {framework} "
                                f"workers with {world} processes first")
    with np.load(path) as saved:
        return dict(saved)


def torch_placements() -> None:
    """PyTorch's mesh and placements: ``Shard(0)`` and ``Replicate()``, and
    FSDP2's ``fully_shard``."""
    rank, world, _ = worker_env()
    import torch
    import torch.distributed as torch_dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    torch_dist.init_process_group("gloo", init_method="env://")
    mesh = init_device_mesh("cpu", (world,), mesh_dim_names=("data",))
    print(mesh)
    points = torch.from_numpy(dp.make_spirals(POINTS, seed=0)[0])
    for placement in (Shard(0), Replicate()):
        placed = distribute_tensor(points, mesh, [placement])
        print(f"{placement!r}: global {tuple(placed.shape)}, "
              f"this rank holds {tuple(placed.to_local().shape)}")
    layer = torch.nn.Linear(64, 64)
    fully_shard(layer, mesh=mesh)  # FSDP2: every parameter becomes a DTensor
    print(f"fully_shard: weight {tuple(layer.weight.shape)} as "
          f"{layer.weight.placements}, "
          f"this rank holds {tuple(layer.weight.to_local().shape)}")
    torch_dist.destroy_process_group()


def collective_blocks(world: int) -> np.ndarray:
    """The rows the collectives examples combine: row r belongs to rank (or
    device) r."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((world, 4)).astype(np.float32)


def torch_collectives(out_dir: str) -> None:
    """``all_reduce`` and ``all_gather`` over gloo, each rank holding one row
    of ``collective_blocks``."""
    rank, world, _ = worker_env()
    import torch
    import torch.distributed as torch_dist

    torch_dist.init_process_group("gloo", init_method="env://")
    block = torch.from_numpy(collective_blocks(world)[rank])
    total = block.clone()
    torch_dist.all_reduce(total)  # in place; the default op is ReduceOp.SUM
    mean = total / world
    gathered = [torch.empty_like(block) for _ in range(world)]
    # fills the list, one tensor per rank
    torch_dist.all_gather(gathered, block)
    gathered = torch.stack(gathered)
    print(f"holds {block.numpy().round(3)}")
    print(f"all_reduce: {total.numpy().round(3)}, "
          f"all_gather: {tuple(gathered.shape)}")
    np.savez(Path(out_dir) / f"collectives-rank{rank}.npz",
             total=total.numpy(), mean=mean.numpy(), gathered=gathered.numpy())
    torch_dist.destroy_process_group()
