"""Stage 7 beside the ways a PyTorch user would compile the same step.

The post compiled one ``train_step`` whose ``zero_grad`` detaches and zeroes
each ``.grad`` in place. These variants change one thing at a time, so that
the chapter can time each against eager stage 1 and check that each trains
the same network. They live here, not in the stage files, because stage 7
must stay as the post wrote it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch._dynamo as dynamo
from torch._dynamo.utils import counters

from ..show import Table
from ..timing import faster_header, format_ratio
from ..validate import positive_int
from . import stage1_torch_nn as stage1
from . import stage7_torch_compile as stage7
from .problem import LEARNING_RATE, SAMPLES, SEED

EpochFn = Callable[[], list[float]]  # runs one epoch, returns its 4 losses


# --- stage 7 with the gradients set to None instead of zeroed in place ---

def zero_grad_to_none(params):
    for layer in params:
        for p in layer.values():
            p.grad = None  # what optimizer.zero_grad() does by default


def step_grads_to_none(params, x, y, learning_rate):
    zero_grad_to_none(params)  # the only change from stage 7's train_step
    loss = stage7.mse(params, x, y)
    loss.backward()
    stage7.sgd_step(params, learning_rate)
    return loss


# --- the builders: each returns a function that trains one epoch ---

def _stage7_params():
    torch.manual_seed(SEED)
    return [stage7.init_layer(2, 2), stage7.init_layer(2, 1)]


def _step_epoch(step) -> EpochFn:
    params = _stage7_params()

    def epoch():
        return [step(params, torch.tensor(x), torch.tensor(y),
                     LEARNING_RATE).item() for x, y in SAMPLES]

    return epoch


def _module_epoch(compile_model: bool) -> EpochFn:
    torch.manual_seed(SEED)
    model = stage1.XorNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    forward = torch.compile(model) if compile_model else model

    def epoch():
        losses = []
        for x, y in SAMPLES:
            optimizer.zero_grad()
            loss = stage1.mse(forward, torch.tensor(x), torch.tensor(y))
            loss.backward()  # eager autograd over the compiled forward
            losses.append(loss.item())
            optimizer.step()
        return losses

    return epoch


@dataclass(frozen=True)
class Variant:
    """One way to train the XOR network, and the stage it must agree with."""

    name: str
    build: Callable[[], EpochFn]
    reference: int  # the stage whose losses this variant reproduces
    compiled_autograd: bool = False


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("stage 1, eager", lambda: _module_epoch(False), 1),
    Variant("stage 7 as the post wrote it",
            lambda: _step_epoch(stage7.train_step), 7),
    Variant("stage 7, grads set to None",
            lambda: _step_epoch(torch.compile(step_grads_to_none)), 7),
    Variant("... and compiled autograd",
            lambda: _step_epoch(torch.compile(step_grads_to_none)), 7,
            compiled_autograd=True),
    Variant("stage 1, torch.compile(model)",
            lambda: _module_epoch(True), 1),
)}


@dataclass
class VariantResult:
    """One variant's timed repeats, its losses, and what Dynamo compiled."""

    name: str
    reference: int
    seconds_per_epoch: list[float]  # one value per timed chunk
    means: list[float]  # mean loss of every timed epoch, in order
    # graphs Dynamo compiles for this variant alone, warm-up included
    graphs: int
    graph_breaks: int  # graph breaks Dynamo reports for it, warm-up included
    # graphs compiled while timing (all variants)
    recompiled_while_timed: int = field(default=0)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds_per_epoch)


def _graph_breaks() -> int:
    return sum(counters["graph_break"].values())


def _compiled_for(variant: Variant) -> tuple[int, int]:
    """(graphs, graph breaks) for one variant alone: caches cleared, two
    epochs."""
    dynamo.reset()
    counters.clear()
    with dynamo.config.patch(compiled_autograd=variant.compiled_autograd):
        warm_up = variant.build()
        for _ in range(2):
            warm_up()
    found = counters["stats"]["unique_graphs"], _graph_breaks()
    dynamo.reset()
    return found


def measure_all(epochs_per_repeat: int = 250, repeats: int = 5,
                progress: bool = True,
                names: list[str] | None = None) -> list[VariantResult]:
    """Train every variant (or those in ``names``) from the seed, timing
    chunks in turn.

    First each variant is compiled alone, caches cleared, to count its graphs
    and graph breaks. Then all are compiled again and warmed up (two epochs on
    a throwaway network), and a fresh network per variant (same seed) trains
    ``repeats * epochs_per_repeat`` epochs. The chunks of ``epochs_per_repeat``
    epochs are timed round-robin, one chunk of each variant in turn, so that a
    change in the machine's load falls on every variant alike. The losses of
    every epoch are kept so that they can be checked.
    """
    names = list(VARIANTS) if names is None else list(names)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        wrong = unknown[0] if unknown else names
        raise ValueError(f"unknown variant {wrong!r}: pick from "
                         f"{list(VARIANTS)}")
    positive_int("epochs_per_repeat", epochs_per_repeat)
    positive_int("repeats", repeats)
    from ..progress import stable_bar

    bar = stable_bar(len(names) * (repeats + 1), "stage 7 variants",
                     "steps") if progress else None
    compiled = {}
    for name in names:
        compiled[name] = _compiled_for(VARIANTS[name])
        if bar is not None:
            bar.update(1)
    dynamo.reset()
    counters.clear()
    epochs = {}
    for name in names:
        variant = VARIANTS[name]
        with dynamo.config.patch(compiled_autograd=variant.compiled_autograd):
            warm_up = variant.build()
            for _ in range(2):
                warm_up()
            epochs[name] = variant.build()
    graphs_before = counters["stats"]["unique_graphs"]
    seconds = {name: [] for name in names}
    means = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            autograd = VARIANTS[name].compiled_autograd
            with dynamo.config.patch(compiled_autograd=autograd):
                start = time.perf_counter()
                chunk = [epochs[name]() for _ in range(epochs_per_repeat)]
                elapsed = time.perf_counter() - start
                seconds[name].append(elapsed / epochs_per_repeat)
            means[name] += [sum(losses) / len(losses) for losses in chunk]
            if bar is not None:
                bar.update(1)
    late = counters["stats"]["unique_graphs"] - graphs_before
    dynamo.reset()
    if bar is not None:
        bar.close()
    return [VariantResult(name, VARIANTS[name].reference, seconds[name],
                          means[name], *compiled[name], late)
            for name in names]


def measure(name: str, epochs_per_repeat: int = 250,
            repeats: int = 5) -> VariantResult:
    """:func:`measure_all` for one variant, without a progress bar."""
    return measure_all(epochs_per_repeat, repeats, progress=False,
                       names=[name])[0]


def table(results: list[VariantResult]) -> str:
    """The results as text: graphs, breaks, median and range, speed ratio.

    The ratio is stage 1's median over the variant's: above 1 is faster.
    """
    base = next((r for r in results if r.name == "stage 1, eager"), None)
    if base is None:
        raise ValueError("include the 'stage 1, eager' result: ratios are "
                         "relative to it")
    lines = ["variant | graphs | breaks | median per epoch | range | "
             + faster_header("stage 1")]
    for r in results:
        low, high = min(r.seconds_per_epoch), max(r.seconds_per_epoch)
        lines.append(
            f"{r.name} | {r.graphs} | {r.graph_breaks} | "
            f"{_ms(r.median)} | {_ms(low)} to {_ms(high)} | "
            f"{format_ratio(base.median / r.median)}")
    return Table("\n".join(lines))


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"
