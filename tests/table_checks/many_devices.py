"""One check per row of the many-devices chapter's PyTorch/JAX table (``book/many_devices.ipynb``).

Most rows are about processes, so the checks run the chapter's own workers
once (cached): 2 JAX processes of 4 simulated CPU devices each and 2 PyTorch
gloo processes with ``DistributedDataParallel``, 3 SGD steps each, plus the
PyTorch placements worker; then each row checks what it states in both runs.
The collectives rows run ``torch_collectives`` in 2 gloo processes and
``dp.collectives`` on 2 simulated devices in a fresh interpreter, once (cached),
and compare them exactly (sums of two float32 numbers).
Losses are compared with the single-device step in this process at
``rtol=1e-5`` (float32 sums in another order). The parameter-sharding row
runs JAX on a 2 x 2 mesh of simulated devices in a fresh interpreter.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
import torch

from helpers import data_parallel as dp
from helpers import multiprocess_workers as mw
from helpers.launch import launch
from table_checks import row, scratch_folder

PAGE = "many_devices"
STEPS = 3
RATE = 0.2


@functools.cache
def runs() -> dict:
    """Output lines and saved results of the chapter's workers, run once for all rows."""
    folder = scratch_folder()
    lines = {}
    for name in ("jax_train", "torch_train"):
        workers = launch(f"helpers.multiprocess_workers:{name}", 2, [folder, STEPS, RATE],
                         progress=False, timeout=240)
        lines[name] = [w.lines for w in workers]  # standard output; gloo logs to standard error
    workers = launch("helpers.multiprocess_workers:torch_placements", 2, progress=False, timeout=240)
    lines["torch_placements"] = [w.lines for w in workers]
    return {"lines": lines, "folder": folder}


@functools.cache
def reference_losses() -> np.ndarray:
    import jax

    params, x, y = dp.init_mlp(0), *dp.make_spirals(mw.POINTS, seed=0)
    return dp.train(jax.jit(dp.train_step), params, x, y, RATE, STEPS)[1]


def saved(framework: str, rank: int = 0) -> dict:
    return mw.load(runs()["folder"], framework, 2, rank)


@row(PAGE, "unit of parallelism")
def _unit():
    lines = runs()["lines"]
    # PyTorch: each process is one rank (one device); JAX: each process drives several devices
    assert [r[0] for r in lines["torch_train"]] == ["rank 0 of 2", "rank 1 of 2"]
    assert [r[0] for r in lines["jax_train"]] == [
        f"process {i} of 2: 4 local devices, 8 global" for i in range(2)]


@row(PAGE, "connecting processes")
def _connecting():
    lines = runs()["lines"]
    assert all(r[0].startswith(f"rank {i} of 2") for i, r in enumerate(lines["torch_train"]))
    assert all(r[0].startswith(f"process {i} of 2") for i, r in enumerate(lines["jax_train"]))
    for framework in ("jax", "torch"):
        assert saved(framework, 1)["losses"].shape == (STEPS,)


@row(PAGE, "rank and world size")
def _rank():
    _connecting()  # the workers print get_rank()/get_world_size() and process_index()/process_count()


@row(PAGE, "how the batch is split")
def _split():
    from torch.utils.data.distributed import DistributedSampler

    shares = [list(DistributedSampler(range(8), num_replicas=2, rank=r, shuffle=False)) for r in (0, 1)]
    assert shares == [[0, 2, 4, 6], [1, 3, 5, 7]]  # dealt out in turn, as the chapter says
    lines = runs()["lines"]["jax_train"]
    assert "holds rows 0..2047 of 4096 in 4 blocks of (512, 2)" in lines[0][1]
    assert "holds rows 2048..4095 of 4096 in 4 blocks of (512, 2)" in lines[1][1]


@row(PAGE, "where gradients meet")
def _gradients():
    for framework in ("jax", "torch"):
        for rank in (0, 1):
            np.testing.assert_allclose(saved(framework, rank)["losses"], reference_losses(), rtol=1e-5)


@row(PAGE, "a mesh of devices")
def _mesh():
    placements = runs()["lines"]["torch_placements"]
    assert all(r[0] == "DeviceMesh((data=2), 'cpu', stride=(1,))" for r in placements)
    assert all("mesh {'data': 8}" in r[1] for r in runs()["lines"]["jax_train"])


@row(PAGE, "split rows, full copy")
def _placements():
    placements = runs()["lines"]["torch_placements"]
    for lines in placements:
        assert lines[1] == "Shard(dim=0): global (4096, 2), this rank holds (2048, 2)"
        assert lines[2] == "Replicate(): global (4096, 2), this rank holds (4096, 2)"
    for lines in runs()["lines"]["jax_train"]:
        assert "blocks of (512, 2); parameters replicated: True" in lines[1]


@row(PAGE, "sharding parameters")
def _parameters():
    placements = runs()["lines"]["torch_placements"]
    assert all(r[3] == "fully_shard: weight (64, 64) as (Shard(dim=0),), this rank holds (32, 64)"
               for r in placements)
    script = textwrap.dedent("""
        from helpers import data_parallel as dp
        dp.simulate_cpu_devices(4)
        import jax, numpy as np
        from jax.sharding import NamedSharding, PartitionSpec as P
        mesh = jax.make_mesh((2, 2), ("data", "model"), axis_types=(jax.sharding.AxisType.Auto,) * 2)
        params = dp.init_mlp(0)
        x, y = dp.make_spirals(512, seed=1)
        split = [{"w": jax.device_put(l["w"], NamedSharding(mesh, P("model", None))),
                  "b": jax.device_put(l["b"], NamedSharding(mesh, P("model")))}
                 for l in params[:2]] + [params[2]]
        assert split[0]["w"].addressable_shards[0].data.shape == (32, 2)
        xs = jax.device_put(x, NamedSharding(mesh, P("data")))
        ys = jax.device_put(y, NamedSharding(mesh, P("data")))
        with jax.default_matmul_precision("highest"):
            got = jax.jit(dp.loss)(split, xs, ys)
            want = dp.loss(params, x, y)
        np.testing.assert_allclose(float(got), float(want), rtol=1e-5)
        print("ok")
    """)
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


@row(PAGE, "change to the training step")
def _change():
    import torch.distributed as torch_dist
    from torch.nn.parallel import DistributedDataParallel

    model = dp.to_torch(dp.init_mlp(0))
    rendezvous = os.path.join(scratch_folder(), "rendezvous")
    torch_dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=0, world_size=1)
    try:
        wrapped = DistributedDataParallel(model)
        assert wrapped.module is model and not isinstance(model, DistributedDataParallel)
        assert isinstance(wrapped(torch.zeros(4, 2)), torch.Tensor)
    finally:
        torch_dist.destroy_process_group()
    # JAX: the workers ran the unchanged dp.train_step under jit and matched one device
    _gradients()


@functools.cache
def collective_results() -> dict:
    """PyTorch's all_reduce/all_gather (2 gloo ranks) and JAX's psum/pmean/all_gather (2 devices)."""
    folder = scratch_folder()
    launch("helpers.multiprocess_workers:torch_collectives", 2, [folder], progress=False, timeout=240)
    ranks = []
    for rank in (0, 1):
        with np.load(os.path.join(folder, f"collectives-rank{rank}.npz")) as saved:
            ranks.append(dict(saved))
    script = textwrap.dedent(f"""
        from helpers import data_parallel as dp
        from helpers import multiprocess_workers as mw
        dp.simulate_cpu_devices(2)
        import jax, numpy as np
        from jax.sharding import AxisType
        mesh = jax.make_mesh((2,), ("ranks",), axis_types=(AxisType.Auto,))
        total, mean, gathered = dp.collectives(mesh, mw.collective_blocks(2))
        np.savez({os.path.join(folder, "jax.npz")!r}, total=total, mean=mean, gathered=gathered)
        print("ok")
    """)
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(os.path.join(folder, "jax.npz")) as saved:
        return {"torch": ranks, "jax": dict(saved), "rows": mw.collective_blocks(2)}


@row(PAGE, "sum over devices")
def _sum():
    results = collective_results()
    for rank in results["torch"]:  # all_reduce's default op is a sum, in place
        np.testing.assert_array_equal(rank["total"], results["rows"].sum(0))
        np.testing.assert_array_equal(rank["total"], results["jax"]["total"])


@row(PAGE, "average over devices")
def _average():
    results = collective_results()
    for rank in results["torch"]:  # the worker divides all_reduce's sum by the world size
        np.testing.assert_array_equal(rank["mean"], results["rows"].mean(0))
        np.testing.assert_array_equal(rank["mean"], results["jax"]["mean"])


@row(PAGE, "gather the blocks")
def _gather():
    results = collective_results()
    for index, rank in enumerate(results["torch"]):  # every rank ends with every row
        np.testing.assert_array_equal(rank["gathered"], results["rows"])
        np.testing.assert_array_equal(results["jax"]["gathered"][index], results["rows"])
