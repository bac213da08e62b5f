"""Tests for helpers.training: the loader, the steps, the Orbax checkpoint and its resume.

Training is kept to one short epoch on a slice of the digits so the file runs
in seconds; nothing here is timed.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest
import torch

from helpers import digits, training


@pytest.fixture(scope="module")
def small():
    """A fifth of the training set: 4 batches of 64 per epoch."""
    split = digits.load()
    return dataclasses.replace(split, x_train=split.x_train[:270], y_train=split.y_train[:270])


def test_numpy_collate_stacks_into_numpy():
    images, labels = training.numpy_collate([(np.zeros((1, 8, 8), np.float32), 3)] * 4)
    assert isinstance(images, np.ndarray) and images.shape == (4, 1, 8, 8)
    assert labels.dtype == np.int64 and labels.tolist() == [3, 3, 3, 3]
    with pytest.raises(ValueError, match="empty batch"):
        training.numpy_collate([])


def test_dataset_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        training.ArrayDataset(np.zeros((3, 1, 8, 8)), np.zeros(2))


def test_loader_order_depends_on_seed_and_epoch_only(small):
    def labels(epoch, seed=0):
        return np.concatenate([y for _, y in training.loader(small.x_train, small.y_train,
                                                             epoch, seed=seed)])

    assert np.array_equal(labels(1), labels(1))
    assert not np.array_equal(labels(1), labels(2))
    assert not np.array_equal(labels(1), labels(1, seed=1))
    assert len(labels(0)) == 256  # the partial batch of 14 is dropped


@pytest.mark.parametrize("options, message", [
    ({"context": "fork", "num_workers": 2}, "deadlock"),
    ({"context": "spawn"}, "num_workers > 0"),
    ({"num_workers": -1}, "num_workers >= 0"),
    ({"batch_size": 0}, "batch_size >= 1"),
])
def test_loader_refuses_bad_options(small, options, message):
    with pytest.raises(ValueError, match=message):
        training.loader(small.x_train, small.y_train, 0, **options)


def test_run_epochs_refuses_an_unknown_layout(small):
    with pytest.raises(ValueError, match="layout must be 'nhwc'"):
        training.run_epochs(None, None, small, range(1), layout="nwhc")


def test_run_epochs_passes_other_options_to_the_loader(small):
    with pytest.raises(ValueError, match="fork after JAX"):
        training.run_epochs(None, None, small, range(1), layout="nchw", num_workers=1, context="fork")


def test_checkpoint_resume_is_bitwise(small, tmp_path):
    graphdef, adam, state = training.jax_start(seed=0)
    step = jax.jit(training.jax_train_step(graphdef, adam))
    state, _ = training.run_epochs(step, state, small, range(0, 1))
    training.save_checkpoint(tmp_path / "ckpt", state, epoch=1)
    straight, losses = training.run_epochs(step, state, small, range(1, 2))

    _, _, fresh = training.jax_start(seed=1)  # other values, same structure
    restored, epoch = training.load_checkpoint(tmp_path / "ckpt", fresh)
    assert epoch == 1
    assert training.leaves_equal(restored, state)
    resumed, resumed_losses = training.run_epochs(step, restored, small, range(epoch, 2))
    assert np.array_equal(losses, resumed_losses)
    assert training.leaves_equal(resumed, straight)
    assert not training.leaves_equal(resumed, fresh)


def test_load_checkpoint_names_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        training.load_checkpoint(tmp_path / "absent", {})
    with pytest.raises(ValueError, match="epoch"):
        training.save_checkpoint(tmp_path / "x", {}, epoch=-1)


def test_jax_and_torch_steps_agree_from_the_same_weights(small):
    from flax import nnx

    from helpers import port

    torch.manual_seed(0)
    torch_model = digits.torch_cnn(dropout=0.0)
    graphdef, adam, state = training.jax_start(seed=0, dropout=0.0)
    model = nnx.merge(graphdef, state["params"], state["rest"])
    port.port_weights(torch_model, model, digits.TORCH_TO_NNX)
    _, params, rest = nnx.split(model, nnx.Param, ...)
    state = {"params": params, "rest": rest, "opt": adam.init(params)}
    _, jax_losses = training.run_epochs(jax.jit(training.jax_train_step(graphdef, adam)),
                                        state, small, range(1))
    optimizer = torch.optim.Adam(torch_model.parameters(), lr=1e-2)
    _, torch_losses = training.run_epochs(training.torch_train_step(torch_model, optimizer),
                                          None, small, range(1), layout="nchw")
    np.testing.assert_allclose(jax_losses, torch_losses, rtol=1e-4)  # 4 float32 Adam steps


def test_bfloat16_compute_keeps_float32_weights():
    import jax.numpy as jnp

    graphdef, _, state = training.jax_start(seed=0, compute_dtype=jnp.bfloat16)
    logits = training.jax_logits(graphdef, state, np.zeros((2, 8, 8, 1), np.float32))
    assert logits.dtype == jnp.bfloat16
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(state["params"]))


def test_torch_checkpoint_holds_what_a_resume_needs():
    model = digits.torch_cnn()
    optimizer = torch.optim.Adam(model.parameters())
    saved = training.torch_checkpoint(model, optimizer, epoch=3)
    assert set(saved) == {"model", "optimizer", "rng", "epoch"} and saved["epoch"] == 3


def test_chart_has_titles_and_labels():
    fig = training.chart([2.0, 1.0, 0.5], [0.5, 0.9], steps_per_epoch=2)
    left, right = fig.axes
    assert left.get_xlabel() and left.get_ylabel() and right.get_ylabel()
    assert fig.get_size_inches()[0] <= 7
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_compile_seconds_needs_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        training.compile_seconds_in_fresh_process(tmp_path / "absent")
