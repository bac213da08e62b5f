"""The training chapter's loop: data, steps, checkpoints and a live chart, for
JAX and PyTorch.

Both frameworks read the same batches from one
``torch.utils.data.DataLoader`` whose ``collate_fn`` returns NumPy arrays. The
dataset class lives here, in an importable module, because worker processes
started with ``spawn`` or ``forkserver`` (the contexts that are safe once JAX
runs threads) unpickle it by its module path; a class defined in a notebook
cannot be found that way.

The data order is a function of the seed and the epoch number, so a
checkpoint that records the epoch also records where the data stream is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers import digits

LOSS_CHART_TITLE = "Training the digits CNN"


class ArrayDataset:
    """A map-style dataset over two NumPy arrays, picklable for worker
    processes."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.int64]:
        return self.images[index], self.labels[index]


def numpy_collate(batch: Sequence[tuple[np.ndarray, Any]]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Stack samples into NumPy arrays (the default collate would make torch
    tensors)."""
    if not batch:
        raise ValueError("cannot collate an empty batch")
    images, labels = zip(*batch)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def loader(images: np.ndarray, labels: np.ndarray, epoch: int, *,
           batch_size: int = 64, seed: int = 0, num_workers: int = 0,
           context: str | None = None) -> Any:
    """One epoch's shuffled batches, in an order fixed by ``seed`` and
    ``epoch``.

    The last partial batch is dropped so that every batch has one shape (a
    new shape would make ``jax.jit`` compile again). ``context`` is the
    multiprocessing start method for ``num_workers > 0``: ``"spawn"`` or
    ``"forkserver"``; ``"fork"`` is refused because forking a process whose
    JAX runtime has started threads can deadlock.
    """
    import torch

    if num_workers < 0 or batch_size < 1 or epoch < 0:
        raise ValueError(f"need num_workers >= 0, batch_size >= 1 and "
                         f"epoch >= 0, got {num_workers}, {batch_size} and "
                         f"{epoch}")
    if context == "fork":
        raise ValueError("fork after JAX has started its threads can "
                         "deadlock: use context='spawn' or 'forkserver'")
    if num_workers == 0 and context is not None:
        raise ValueError("a multiprocessing context needs num_workers > 0")
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.utils.data.DataLoader(
        ArrayDataset(images, labels), batch_size=batch_size, shuffle=True,
        drop_last=True, generator=generator, collate_fn=numpy_collate,
        num_workers=num_workers, multiprocessing_context=context)


# ------------------------------------------------------ JAX (Flax NNX + Optax)

def jax_start(seed: int = 0, learning_rate: float = 1e-2,
              dropout: float = 0.25, compute_dtype: Any = None
              ) -> tuple[Any, Any, dict[str, Any]]:
    """The NNX CNN split into (graphdef, optimizer, state); the state is a
    plain dict pytree.

    ``state`` holds ``params`` (float32), ``rest`` (BatchNorm statistics and
    the dropout PRNG key and counter) and ``opt`` (Adam's moments and step).
    ``compute_dtype`` (e.g. ``jnp.bfloat16``) makes every layer compute in
    that dtype while its parameters stay float32: mixed precision.
    """
    import optax
    from flax import nnx

    model = digits.nnx_cnn(nnx.Rngs(seed), dropout=dropout)
    if compute_dtype is not None:
        # every layer with parameters
        for name in digits.TORCH_TO_NNX.values():
            getattr(model, name).dtype = compute_dtype
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    optimizer = optax.adam(learning_rate)
    state = {"params": params, "rest": rest, "opt": optimizer.init(params)}
    return graphdef, optimizer, state


def jax_train_step(graphdef: Any, optimizer: Any,
                   remat: bool = False) -> Callable:
    """``step(state, images, labels) -> (state, loss)``: one Adam step, pure,
    ready for jit.

    The model is rebuilt from the state inside the step (``nnx.merge``), so
    the function has no hidden inputs; its new state includes the BatchNorm
    statistics and the advanced dropout key. ``remat=True`` wraps the forward
    pass in ``nnx.remat`` (``jax.checkpoint``): activations are recomputed in
    the backward pass instead of kept.
    """
    import jax.numpy as jnp
    import optax
    from flax import nnx

    def forward(model: Any, images: Any) -> Any:
        return model(images)

    run = nnx.remat(forward) if remat else forward

    def step(state: dict[str, Any], images: Any,
             labels: Any) -> tuple[dict[str, Any], Any]:
        model = nnx.merge(graphdef, state["params"], state["rest"])

        def loss_fn(model: Any) -> Any:
            # the loss in float32
            logits = run(model, images).astype(jnp.float32)
            return optax.softmax_cross_entropy_with_integer_labels(
                logits, labels).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        updates, opt = optimizer.update(grads, state["opt"], state["params"])
        _, _, rest = nnx.split(model, nnx.Param, ...)
        params = optax.apply_updates(state["params"], updates)
        return {"params": params, "rest": rest, "opt": opt}, loss

    return step


def jax_logits(graphdef: Any, state: dict[str, Any],
               images: np.ndarray) -> Any:
    """The model's logits in eval mode (running BatchNorm statistics, no
    dropout)."""
    from flax import nnx

    model = nnx.merge(graphdef, state["params"], state["rest"])
    model.eval()
    return model(images)


def run_epochs(step: Callable, state: Any, split: digits.Split,
               epochs: range, *, seed: int = 0, batch_size: int = 64,
               on_epoch: Callable | None = None, layout: str = "nhwc",
               **loader_options: Any) -> tuple[Any, list[float]]:
    """Run ``step`` over the epochs given (e.g. ``range(3, 6)`` to resume
    after three).

    ``step(state, images, labels) -> (state, loss)`` may be JAX or PyTorch;
    images come NHWC for JAX by default (pass ``layout="nchw"`` for PyTorch).
    Returns the final state and the loss of every step.
    ``on_epoch(epoch, state, losses)`` is called after each epoch (progress,
    charts); other keyword arguments (``num_workers``, ``context``) go to
    :func:`loader`.
    """
    if layout not in ("nhwc", "nchw"):
        raise ValueError(f"layout must be 'nhwc' (JAX's images) or 'nchw' "
                         f"(PyTorch's), got {layout!r}")
    images = split.nhwc(split.x_train) if layout == "nhwc" else split.x_train
    losses: list[float] = []
    for epoch in epochs:
        batches = loader(images, split.y_train, epoch, batch_size=batch_size,
                         seed=seed, **loader_options)
        epoch_losses = []
        for x, y in batches:
            state, loss = step(state, x, y)
            epoch_losses.append(loss)
        # one sync per epoch
        losses.extend(float(loss) for loss in epoch_losses)
        if on_epoch is not None:
            on_epoch(epoch, state, losses)
    return state, losses


# --------------------------------------------------------------------- PyTorch

def torch_train_step(model: Any, optimizer: Any,
                     autocast: Any = None) -> Callable:
    """``step(state, images, labels) -> (state, loss)`` for a PyTorch model,
    same shape as JAX's.

    The state is unused (PyTorch keeps it in ``model`` and ``optimizer``) and
    passed through. ``autocast`` is a dtype such as ``torch.bfloat16`` to run
    the forward pass under ``torch.autocast("cpu", dtype=autocast)``.
    """
    import contextlib

    import torch

    def step(state: Any, images: np.ndarray,
             labels: np.ndarray) -> tuple[Any, Any]:
        model.train()
        optimizer.zero_grad()
        scope = (torch.autocast(device_type="cpu", dtype=autocast)
                 if autocast is not None else contextlib.nullcontext())
        with scope:
            logits = model(torch.from_numpy(images))
        loss = torch.nn.functional.cross_entropy(logits.float(),
                                                 torch.from_numpy(labels))
        loss.backward()
        optimizer.step()
        return state, loss.detach()

    return step


def torch_checkpoint(model: Any, optimizer: Any,
                     epoch: int) -> dict[str, Any]:
    """Everything a bitwise resume needs in PyTorch: weights, optimizer,
    global RNG, epoch.

    The global RNG matters because ``nn.Dropout`` draws from it; the data
    order comes from the loader's own generator, fixed by the epoch.
    """
    import torch

    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "rng": torch.get_rng_state(), "epoch": epoch}


# ----------------------------------------------------------- Orbax checkpoints

def save_checkpoint(path: str | os.PathLike, state: dict[str, Any],
                    epoch: int) -> None:
    """Write the JAX training state and the epoch to ``path`` with Orbax
    (blocking).

    PRNG keys are stored as their raw ``uint32`` data
    (``jax.random.key_data``), which every Orbax version can write.
    """
    import jax
    import orbax.checkpoint as ocp

    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    tree = {"state": jax.tree.map(key_to_data, state),
            "epoch": np.asarray(epoch, np.int32)}
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(os.path.abspath(path), tree)
    checkpointer.wait_until_finished()
    checkpointer.close()


def load_checkpoint(path: str | os.PathLike,
                    like: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Read a checkpoint written by :func:`save_checkpoint`; ``like`` gives
    structure and dtypes."""
    import jax
    import orbax.checkpoint as ocp

    if not os.path.isdir(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    target = {"state": jax.tree.map(key_to_data, like),
              "epoch": np.asarray(0, np.int32)}
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
    checkpointer = ocp.StandardCheckpointer()
    tree = checkpointer.restore(os.path.abspath(path), abstract)
    checkpointer.close()
    state = jax.tree.map(_data_to_key, tree["state"], like)
    return state, int(tree["epoch"])


def is_key(leaf: Any) -> bool:
    """Whether ``leaf`` is a typed PRNG key array (``jax.random.key``)."""
    import jax

    return hasattr(leaf, "dtype") and jax.dtypes.issubdtype(
        leaf.dtype, jax.dtypes.prng_key)


def key_to_data(leaf: Any) -> Any:
    """A PRNG key's raw ``uint32`` data; any other leaf as it is."""
    import jax

    return jax.random.key_data(leaf) if is_key(leaf) else leaf


def _data_to_key(leaf: Any, like: Any) -> Any:
    import jax

    if is_key(like):
        return jax.random.wrap_key_data(leaf, impl=jax.random.key_impl(like))
    return leaf


def leaves_equal(a: Any, b: Any) -> bool:
    """Whether two pytrees have the same structure and bitwise-equal leaves
    (keys by their data)."""
    import jax

    left, right = jax.tree.leaves(jax.tree.map(key_to_data, a)), \
        jax.tree.leaves(jax.tree.map(key_to_data, b))
    if jax.tree.structure(jax.tree.map(key_to_data, a)) != \
            jax.tree.structure(jax.tree.map(key_to_data, b)):
        return False
    return all(np.array_equal(np.asarray(x), np.asarray(y))
               for x, y in zip(left, right))


# ---------------------------------------------------------- progress and chart

class LiveChart:
    """A progress bar and a loss/accuracy chart redrawn after every epoch.

    The chart is an ``ipywidgets.Image`` (see :mod:`helpers.widgets`), so the
    HTML book keeps its last drawing. Call it as ``on_epoch`` of
    :func:`run_epochs`; ``accuracy(state)`` returns the test accuracy to plot.
    """

    def __init__(self, epochs: int, steps_per_epoch: int,
                 accuracy: Callable[[Any], float],
                 description: str = "training") -> None:
        import ipywidgets as widgets
        from IPython.display import display

        from helpers.progress import stable_bar

        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be positive, "
                             f"got {steps_per_epoch}")
        self.steps_per_epoch, self.accuracy = steps_per_epoch, accuracy
        self.accuracies: list[float] = []
        self.bar = stable_bar(epochs, description, "epochs")
        self.picture = widgets.Image(format="png")
        display(self.picture)

    def __call__(self, epoch: int, state: Any, losses: list[float]) -> None:
        from helpers.widgets import figure_png

        self.accuracies.append(self.accuracy(state))
        recent = np.mean(losses[-self.steps_per_epoch:])
        self.bar.set_postfix_str(f"loss {recent:.4f}, "
                                 f"test accuracy {self.accuracies[-1]:.3f}")
        self.bar.update()
        self.picture.value = figure_png(
            chart(losses, self.accuracies, self.steps_per_epoch))

    def close(self) -> None:
        self.bar.close()


def chart(losses: Sequence[float], accuracies: Sequence[float],
          steps_per_epoch: int, title: str = LOSS_CHART_TITLE) -> Any:
    """Training loss per step and test accuracy per epoch, on two axes side by
    side."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.8))
    steps = np.arange(1, len(losses) + 1)
    left.plot(steps, losses, lw=1)
    left.set_yscale("log")
    left.set_xlabel("step (batches of 64)")
    left.set_ylabel("training loss (nats)")
    left.set_title("loss per step")
    epochs = np.arange(1, len(accuracies) + 1)
    right.plot(epochs, np.asarray(accuracies) * 100, "o-")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_title("accuracy after each epoch")
    right.set_xlim(0.5, max(len(accuracies), 1) + 0.5)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


COMPILE_IN_FRESH_PROCESS = """
import sys, time
import jax
import jax.numpy as jnp
jax.config.update("jax_compilation_cache_dir", sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
from helpers import training
graphdef, optimizer, state = training.jax_start(seed=0)
images, labels = jnp.zeros((64, 8, 8, 1)), jnp.zeros((64,), jnp.int32)
lowered = jax.jit(training.jax_train_step(graphdef, optimizer)).lower(
    state, images, labels)
start = time.perf_counter()
lowered.compile()
print(time.perf_counter() - start)
"""


def compile_seconds_in_fresh_process(cache_dir: str | os.PathLike) -> float:
    """Seconds a new Python process takes to compile the training step, using
    ``cache_dir``.

    A new process has an empty in-memory cache, like a restarted kernel or
    a new job; only the persistent cache in ``cache_dir`` can spare it the
    compilation. Only ``compile()`` is timed (tracing and lowering still run).
    """
    import subprocess
    import sys

    if not os.path.isdir(cache_dir):
        raise FileNotFoundError(f"no directory {cache_dir}")
    done = subprocess.run(
        [sys.executable, "-c", COMPILE_IN_FRESH_PROCESS, str(cache_dir)],
        capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the compiling process failed: "
                           f"{done.stderr.strip()[-500:]}")
    return float(done.stdout.strip().splitlines()[-1])
