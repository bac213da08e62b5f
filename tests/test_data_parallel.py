"""helpers.data_parallel: the three ways of running a step agree, on one device and on eight."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from helpers import data_parallel as dp


def test_spirals_are_balanced_and_typed():
    x, y = dp.make_spirals(1000, seed=3)
    assert x.shape == (1000, 2) and y.shape == (1000, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert y.sum() == 500
    # shuffled: the first block (one device's shard) holds both classes
    assert 0 < y[:125].sum() < 125


@pytest.mark.parametrize("points", [0, 3, 2.0, True, "8"])
def test_spirals_reject_bad_sizes(points):
    with pytest.raises(ValueError, match="even integer"):
        dp.make_spirals(points)


@pytest.mark.parametrize("sizes", [(2,), (2, 0, 1), (2, 4.0, 1)])
def test_init_rejects_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="positive integers"):
        dp.init_mlp(0, sizes)


@pytest.mark.parametrize("count", [0, -1, 1.5, True, "8", 513])
def test_simulate_rejects_bad_counts(count):
    with pytest.raises(ValueError, match="integer from 1 to 512"):
        dp.simulate_cpu_devices(count)


def test_simulate_refuses_once_jax_has_started():
    import jax.numpy as jnp

    jnp.zeros(1).block_until_ready()
    with pytest.raises(RuntimeError, match="Restart the kernel"):
        dp.simulate_cpu_devices(8)


def test_train_rejects_bad_step_counts():
    with pytest.raises(ValueError, match="positive integer"):
        dp.train(dp.train_step, [], None, None, 0.1, 0)


def test_pytorch_computes_the_same_loss_and_gradients():
    import jax

    params = dp.init_mlp(1)
    x, y = dp.make_spirals(256, seed=1)
    value, grads = jax.value_and_grad(dp.loss)(params, x, y)
    model = dp.to_torch(params)
    torch_loss = torch.nn.functional.binary_cross_entropy_with_logits(model(torch.from_numpy(x)),
                                                                      torch.from_numpy(y))
    torch_loss.backward()
    np.testing.assert_allclose(torch_loss.item(), float(value), rtol=1e-5)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(grads, linears):
        np.testing.assert_allclose(linear.weight.grad.numpy(), layer["w"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(linear.bias.grad.numpy(), layer["b"], rtol=1e-4, atol=1e-6)


def test_sharded_steps_match_the_single_device_step_on_eight_devices():
    """Run in a fresh interpreter: XLA splits the CPU only if told before JAX starts."""
    script = textwrap.dedent("""
        import os
        # the older XLA flag asks for 3; simulate_cpu_devices' option wins
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=3"
        import jax
        import numpy as np
        import pytest

        from helpers import data_parallel as dp

        dp.simulate_cpu_devices(5)
        dp.simulate_cpu_devices(8)  # a second call before JAX starts replaces the count
        assert len(jax.devices()) == 8
        with pytest.raises(RuntimeError, match="Restart the kernel"):
            dp.simulate_cpu_devices(4)
        assert dp.data_mesh().axis_types == (jax.sharding.AxisType.Auto,)
        mesh = dp.data_mesh()
        x, y = dp.make_spirals(512, seed=2)
        params = dp.init_mlp(0)
        _, plain = dp.train(jax.jit(dp.train_step), params, x, y, 0.5, 20)
        xs, ys = dp.shard_batch(mesh, x, y)
        assert len(xs.addressable_shards) == 8 and xs.addressable_shards[0].data.shape == (64, 2)
        final, sharded = dp.train(jax.jit(dp.train_step), dp.replicate(mesh, params), xs, ys, 0.5, 20)
        assert final[0]["w"].sharding.is_fully_replicated
        _, mapped = dp.train(dp.shard_map_step(mesh), dp.replicate(mesh, params), xs, ys, 0.5, 20)
        np.testing.assert_allclose(sharded, plain, rtol=1e-5)
        np.testing.assert_allclose(mapped, plain, rtol=1e-5)
        assert plain[-1] < plain[0]
        try:
            dp.shard_batch(mesh, x[:100])
        except ValueError as error:
            assert "multiple of 8" in str(error)
        else:
            raise AssertionError("an uneven batch was accepted")
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_one_accelerator_falls_back_to_the_cpu_devices():
    """As on a one-GPU runtime: the default backend has one device, the CPU has eight."""
    script = textwrap.dedent("""
        from helpers import data_parallel as dp
        dp.simulate_cpu_devices(8)
        import jax

        everything = jax.devices()
        assert dp.mesh_devices() == everything  # eight CPU devices: nothing to fall back from

        real_devices = jax.devices
        jax.devices = lambda backend=None: real_devices(backend) if backend else [FakeGpu()]

        class FakeGpu:
            platform = "gpu"

        chosen = dp.mesh_devices()
        assert chosen == real_devices("cpu") and len(chosen) == 8
        assert jax.config.jax_default_device == chosen[0]
        assert jax.numpy.zeros(1).devices() == {chosen[0]}
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


@pytest.mark.parametrize("minimum", [0, 1.5, True, "2"])
def test_mesh_devices_rejects_bad_minimums(minimum):
    with pytest.raises(ValueError, match="positive integer"):
        dp.mesh_devices(minimum)


def test_collectives_sum_average_and_gather_over_four_devices():
    script = textwrap.dedent("""
        from helpers import data_parallel as dp
        dp.simulate_cpu_devices(4)
        import jax
        import numpy as np
        from jax.sharding import AxisType

        mesh = jax.make_mesh((4,), ("ranks",), axis_types=(AxisType.Auto,))
        rows = np.arange(12, dtype=np.float32).reshape(4, 3)
        total, mean, gathered = dp.collectives(mesh, rows)
        np.testing.assert_array_equal(total, rows.sum(0))
        np.testing.assert_allclose(mean, rows.mean(0), rtol=1e-6)
        assert gathered.shape == (4, 4, 3)
        for copy in np.asarray(gathered):  # every device holds every row
            np.testing.assert_array_equal(copy, rows)
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_torch_collectives_worker_matches_the_rows(tmp_path):
    from helpers import multiprocess_workers as mw
    from helpers.launch import launch

    workers = launch("helpers.multiprocess_workers:torch_collectives", 2, [str(tmp_path)],
                     progress=False, timeout=240)
    rows = mw.collective_blocks(2)
    for worker in workers:
        assert worker.lines[0] == f"holds {rows[worker.rank].round(3)}"
        with np.load(tmp_path / f"collectives-rank{worker.rank}.npz") as saved:
            np.testing.assert_array_equal(saved["total"], rows.sum(0))
            np.testing.assert_array_equal(saved["mean"], rows.mean(0))
            np.testing.assert_array_equal(saved["gathered"], rows)
