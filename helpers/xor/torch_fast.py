"""PyTorch at its best on the XOR job: functional, compiled without graph
breaks, vmapped.

Stage 7 compiled a step that Dynamo had to split at ``backward()``. Written
functionally instead (``torch.func.grad_and_value`` over ``functional_call``
of stage 1's own ``XorNet``), a whole epoch compiles as one graph with
``fullgraph=True``, and ``torch.func.vmap`` trains many networks at once
(eager, or compiled as one graph per epoch); a hand-batched ensemble
(stacked weights, ``bmm``) is the classic PyTorch way to do the same. The
update is stage 2's ``p - g * lr``, so seed 42 reproduces stage 2's table.

The loop over epochs is the hard part: ``torch.compile`` traces Python, so it
unrolls a ``for`` loop (``loop_of_epochs``), and only the experimental
``torch._higher_order_ops.scan`` keeps the loop a loop (``train_scan``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from torch.func import functional_call, grad_and_value, vmap

from .. import native_output
from ..validate import positive_int
from .problem import LEARNING_RATE, SAMPLES, SEED
from .stage1_torch_nn import XorNet

_MODEL = XorNet()  # only its structure is used; the parameters are passed in


def init_params(seed: int = SEED) -> dict[str, torch.Tensor]:
    """The parameters ``XorNet()`` gets under ``torch.manual_seed(seed)``
    (stages 1 and 2)."""
    torch.manual_seed(seed)
    return {name: p.detach().clone()
            for name, p in XorNet().named_parameters()}


def data() -> tuple[torch.Tensor, torch.Tensor]:
    """The four samples as tensors, converted once."""
    return (torch.tensor([x for x, _ in SAMPLES]),
            torch.tensor([y for _, y in SAMPLES]))


def mse(params, x, y):
    return ((functional_call(_MODEL, params, (x,)) - y) ** 2).mean()


def epoch(params, xs, ys, learning_rate):
    """One pass over the samples, one SGD update each; returns (params, the
    four losses)."""
    losses = []
    for i in range(xs.shape[0]):
        grads, loss = grad_and_value(mse)(params, xs[i], ys[i])
        params = {k: params[k] - grads[k] * learning_rate for k in params}
        losses.append(loss)
    return params, torch.stack(losses)


@cache
def compiled_epoch(mode: str | None = None):
    """``epoch`` under ``torch.compile(fullgraph=True, mode=mode)``: fails
    loudly if anything breaks the graph. ``mode="reduce-overhead"`` replays
    recorded CUDA graphs (a CUDA GPU only)."""
    return torch.compile(epoch, fullgraph=True, mode=mode)


def train(epochs: int, compiled: bool = True, seed: int = SEED,
          learning_rate: float = LEARNING_RATE,
          mode: str | None = None) -> tuple[dict, np.ndarray]:
    """Train one network; return (params, mean loss per epoch). Syncs once, at
    the end. ``mode`` is ``torch.compile``'s, for the compiled epoch."""
    positive_int("epochs", epochs)
    step = compiled_epoch(mode) if compiled else epoch
    cuda_graphs = compiled and mode == "reduce-overhead"
    params, (xs, ys) = init_params(seed), data()
    means = []
    for _ in range(epochs):
        if cuda_graphs:  # the last replay's outputs are this one's inputs
            torch.compiler.cudagraph_mark_step_begin()
        params, losses = step(params, xs, ys, learning_rate)
        means.append(losses.mean())  # before the next replay reuses losses
    # .cpu(): the default device may be a GPU
    return params, torch.stack(means).cpu().numpy()


@cache
def compiled_epoch_cpp_wrapper():
    """``compiled_epoch`` with Inductor's ``cpp_wrapper``: the Python glue
    between kernels in C++."""
    return torch.compile(epoch, fullgraph=True,
                         options={"cpp_wrapper": True})


@cache
def compiled_epochs(backend: str = "inductor"):
    """``loop_of_epochs`` under ``torch.compile(fullgraph=True)``: Dynamo
    unrolls its few epochs.

    ``backend="eager"`` runs Dynamo's graph without Inductor (quick to check
    the unrolling).
    """
    return torch.compile(loop_of_epochs, fullgraph=True, backend=backend)


def train_blocks(epochs: int, per_call: int = 5, seed: int = SEED,
                 learning_rate: float = LEARNING_RATE,
                 cpp_wrapper: bool = False,
                 backend: str = "inductor") -> tuple[dict, np.ndarray]:
    """``train`` with ``per_call`` epochs per compiled call (unrolled), or
    with ``cpp_wrapper``.

    Epochs left over after the last full block run one compiled epoch per
    call; ``cpp_wrapper=True`` runs every epoch through the ``cpp_wrapper``
    build of the compiled epoch instead. One sync, at the end.
    """
    positive_int("epochs", epochs)
    positive_int("per_call", per_call)
    params, (xs, ys) = init_params(seed), data()
    block, single = compiled_epochs(backend), compiled_epoch()
    if cpp_wrapper:
        single = compiled_epoch_cpp_wrapper()
    means = []
    done = 0
    while per_call > 1 and not cpp_wrapper and epochs - done >= per_call:
        params, block_means = block(params, xs, ys, learning_rate, per_call)
        means.append(block_means)
        done += per_call
    for _ in range(epochs - done):
        params, losses = single(params, xs, ys, learning_rate)
        means.append(losses.mean().reshape(1))
    return params, torch.cat(means).cpu().numpy()


def profile_compiled_epoch(epochs: int = 100, seed: int = SEED
                           ) -> list[tuple[str, float, float]]:
    """``torch.profiler`` over ``epochs`` calls of the compiled epoch (after a
    warm call).

    Returns ``key_averages()`` as (name, calls per epoch, self CPU seconds per
    epoch), slowest first. ``## Call CompiledFxGraph ... ##`` is the compiled
    graph (Inductor's C++ kernels and the Python wrapper that calls them),
    ``TorchDynamo Cache Lookup`` the guard check before each call, ``aten::``
    rows the operators the graph calls out to (``mm``).
    """
    from torch.profiler import ProfilerActivity, profile

    positive_int("epochs", epochs)
    step, (xs, ys), params = compiled_epoch(), data(), init_params(seed)
    # compiled before profiling
    params, _ = step(params, xs, ys, LEARNING_RATE)
    with (native_output.silenced(),
          profile(activities=[ProfilerActivity.CPU]) as prof):
        for _ in range(epochs):
            params, _ = step(params, xs, ys, LEARNING_RATE)
    rows = [(e.key, e.count / epochs, e.self_cpu_time_total * 1e-6 / epochs)
            for e in prof.key_averages()]
    return sorted(rows, key=lambda row: -row[2])


def loop_of_epochs(params, xs, ys, learning_rate, epochs: int):
    """Every epoch in a plain Python loop: what ``torch.compile`` sees if
    asked to compile it all."""
    means = []
    for _ in range(epochs):
        params, losses = epoch(params, xs, ys, learning_rate)
        means.append(losses.mean())
    return params, torch.stack(means)


def scan_loop(params, xs, ys, learning_rate, epochs: int):
    """The whole run as two nested ``scan``s (over epochs, then samples),
    like the JAX version."""
    # experimental: see scan_available()
    from torch._higher_order_ops.scan import scan

    def one_sample(params, sample):
        grads, loss = grad_and_value(mse)(params, *sample)
        return {k: params[k] - grads[k] * learning_rate for k in params}, loss

    def one_epoch(params, _):
        params, losses = scan(one_sample, params, (xs, ys))
        return params, losses.mean()

    # scan needs something to scan over
    return scan(one_epoch, params, torch.zeros(epochs))


def scan_available() -> tuple[bool, str]:
    """Whether this torch has the experimental
    ``torch._higher_order_ops.scan``, and why not."""
    try:
        from torch._higher_order_ops.scan import scan  # noqa: F401
    except ImportError as error:
        return False, (f"torch {torch.__version__} has no "
                       f"torch._higher_order_ops.scan ({error})")
    return True, (f"torch {torch.__version__} has "
                  "torch._higher_order_ops.scan (experimental)")


@cache
def compiled_scan_loop():
    """``scan_loop`` under ``torch.compile(fullgraph=True)``: the whole run as
    one graph."""
    return torch.compile(scan_loop, fullgraph=True)


def train_scan(epochs: int, seed: int = SEED,
               learning_rate: float = LEARNING_RATE,
               compiled: bool = True) -> tuple[dict, np.ndarray]:
    """Train one network with the loop inside ``scan``; return (params, mean
    loss per epoch).

    Raises RuntimeError, saying which version is installed, where this torch
    lacks the experimental scan (it is private API:
    ``torch._higher_order_ops``).
    """
    positive_int("epochs", epochs)
    available, why = scan_available()
    if not available:
        raise RuntimeError(f"{why}; the whole-loop PyTorch variant needs a "
                           "newer torch (2.13 works)")
    run = compiled_scan_loop() if compiled else scan_loop
    xs, ys = data()
    params, means = run(init_params(seed), xs, ys, learning_rate, epochs)
    return params, means.cpu().numpy()


def train_many(seeds, epochs: int,
               learning_rate: float = LEARNING_RATE) -> np.ndarray:
    """Train one network per seed at once with ``torch.func.vmap``; mean loss
    per epoch each."""
    positive_int("epochs", epochs)
    params, (xs, ys) = stacked_params(seeds), data()
    batched_epoch = vmap(epoch, in_dims=(0, None, None, None))
    means = []
    for _ in range(epochs):
        params, losses = batched_epoch(params, xs, ys, learning_rate)
        means.append(losses.mean(dim=1))
    return torch.stack(means, dim=1).cpu().numpy()


def stacked_params(seeds) -> dict[str, torch.Tensor]:
    """``init_params`` of each seed, stacked on a new leading axis (one row
    per network)."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("stacked_params needs at least one seed")
    per_seed = [init_params(s) for s in seeds]
    return {k: torch.stack([p[k] for p in per_seed]) for k in per_seed[0]}


@cache
def compiled_vmapped_epoch():
    """``vmap(epoch)`` under ``torch.compile(fullgraph=True)``: a batch of
    networks, one graph."""
    return torch.compile(vmap(epoch, in_dims=(0, None, None, None)),
                         fullgraph=True)


def train_many_compiled(seeds, epochs: int,
                        learning_rate: float = LEARNING_RATE) -> np.ndarray:
    """``train_many`` with the vmapped epoch compiled as one graph; same
    losses, one sync."""
    positive_int("epochs", epochs)
    params, (xs, ys) = stacked_params(seeds), data()
    step = compiled_vmapped_epoch()
    means = []
    for _ in range(epochs):
        params, losses = step(params, xs, ys, learning_rate)
        means.append(losses.mean(dim=1))
    return torch.stack(means, dim=1).cpu().numpy()


def batched_sample_step(weights: dict[str, torch.Tensor], x: torch.Tensor,
                        y: torch.Tensor, learning_rate: float) -> torch.Tensor:
    """One SGD update of every network on one sample, by hand: stacked
    weights and ``bmm``.

    ``weights`` holds ``XorNet``'s parameters stacked per network
    (``requires_grad``). The networks share nothing, so the gradient of the
    summed loss with respect to one network's weights is that network's own
    gradient.
    """
    n = weights["hidden.weight"].shape[0]
    x = x.expand(n, 1, x.shape[-1])  # (networks, 1 row, 2 inputs)
    hidden = torch.sigmoid(
        torch.bmm(x, weights["hidden.weight"].transpose(1, 2))
        + weights["hidden.bias"].unsqueeze(1))
    out = torch.sigmoid(
        torch.bmm(hidden, weights["output.weight"].transpose(1, 2))
        + weights["output.bias"].unsqueeze(1))
    loss = ((out - y) ** 2).mean(dim=(1, 2))  # one loss per network
    loss.sum().backward()
    with torch.no_grad():
        for p in weights.values():
            p -= p.grad * learning_rate
            p.grad = None
    return loss.detach()


def train_many_batched(seeds, epochs: int,
                       learning_rate: float = LEARNING_RATE) -> np.ndarray:
    """Train one network per seed as one hand-batched ensemble; mean loss per
    epoch each."""
    positive_int("epochs", epochs)
    weights = {k: v.requires_grad_()
               for k, v in stacked_params(seeds).items()}
    xs, ys = data()
    means = []
    for _ in range(epochs):
        losses = [batched_sample_step(weights, xs[i], ys[i], learning_rate)
                  for i in range(xs.shape[0])]
        means.append(torch.stack(losses).mean(dim=0))
    return torch.stack(means, dim=1).cpu().numpy()
