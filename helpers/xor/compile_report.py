"""What torch.compile did with stage 7: graphs, graph breaks, recompiles, AOT graphs, profile."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch._dynamo as dynamo
from torch._dynamo.utils import counters

from .. import native_output
from ..show import Table
from ..timing import format_seconds
from ..validate import positive_int
from . import stage7_torch_compile as stage7
from .problem import LEARNING_RATE, SAMPLES, SEED


@dataclass
class CompileReport:
    call_seconds: list[float]  # the first few calls of train_step, in order
    unique_graphs: int  # graphs Dynamo captured and Inductor compiled
    frames_compiled: int  # Python frames Dynamo tried to compile
    graph_breaks: list[str]  # first line of each distinct reason (and its "Reason:")
    skipped_functions: list[str]  # frames Dynamo gave up on and ran eagerly
    recompiled_because: list[str] = field(default_factory=list)  # failed guards

    def __repr__(self) -> str:
        lines = ["train_step, first calls: " + ", ".join(f"{t:.3g} s" for t in self.call_seconds),
                 f"graphs compiled: {self.unique_graphs}; frames Dynamo tried: {self.frames_compiled}",
                 "graph breaks:"]
        lines += [f"  - {reason}" for reason in self.graph_breaks]
        lines += ["run eagerly instead of compiled:"]
        lines += [f"  - {name}" for name in self.skipped_functions] or ["  (none)"]
        lines += ["recompiled because a guard failed:"]
        lines += [f"  - {guard}" for guard in self.recompiled_because] or ["  (none)"]
        return "\n".join(lines)


def _first_line(reason: str) -> str:
    """The reason's first line, plus what follows "Reason:" when Dynamo gives one."""
    first = reason.strip().splitlines()[0].strip()
    if "Reason: " in reason:
        first += ": " + reason.split("Reason: ", 1)[1].splitlines()[0].strip()
    return first


def _failed_guards() -> list[str]:
    """The guard that failed for each recompile of stage 7's train_step, first line only."""
    from torch._dynamo.utils import guard_failures  # keyed by code object

    code = stage7.train_step._torchdynamo_orig_callable.__code__
    return [failure.splitlines()[0].split("#")[0].strip()
            for failure in guard_failures.get(code, [])]


def report(calls: int = 4) -> CompileReport:
    """Reset torch.compile's caches, call stage 7's train_step ``calls`` times, and report."""
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 2:
        raise ValueError(f"calls must be an integer of at least 2, got {calls!r}")
    dynamo.reset()
    counters.clear()
    from torch._dynamo.utils import guard_failures

    guard_failures.clear()
    torch.manual_seed(SEED)
    params = [stage7.init_layer(2, 2), stage7.init_layer(2, 1)]
    x, y = torch.tensor(SAMPLES[1][0]), torch.tensor(SAMPLES[1][1])
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        stage7.train_step(params, x, y, LEARNING_RATE)
        seconds.append(time.perf_counter() - start)
    breaks = sorted({_first_line(r) for r in counters["graph_break"]})
    skipped = sorted({line.split("frame skipped: ")[1].split(" (")[0]
                      for r in counters["unimplemented"] for line in r.splitlines()
                      if "frame skipped: " in line})
    return CompileReport(seconds, counters["stats"]["unique_graphs"],
                         counters["frames"]["total"], breaks, skipped, _failed_guards())


def explain():
    """torch._dynamo.explain on stage 7's train_step, for its first call."""
    dynamo.reset()
    torch.manual_seed(SEED)
    params = [stage7.init_layer(2, 2), stage7.init_layer(2, 1)]
    x, y = torch.tensor(SAMPLES[1][0]), torch.tensor(SAMPLES[1][1])
    original = stage7.train_step._torchdynamo_orig_callable
    result = dynamo.explain(original)(params, x, y, LEARNING_RATE)
    dynamo.reset()
    return result


@dataclass
class AotCounts:
    """How many graphs AOTAutograd compiled for stage 7, and how often each ran."""

    compiled: dict[str, int]  # "forward", "backward", "inference" -> graphs
    runs: dict[str, int]  # the same kinds -> calls of those graphs
    steps: int  # training steps taken while counting

    def __repr__(self) -> str:
        lines = [f"AOTAutograd graphs for stage 7's train_step, over "
                 f"{self.steps} steps:"]
        for kind in ("forward", "backward", "inference"):
            lines.append(f"  {kind:<9} graphs compiled: "
                         f"{self.compiled.get(kind, 0)}, "
                         f"run {self.runs.get(kind, 0)} times")
        return "\n".join(lines)


def aot_graph_counts(epochs: int = 3) -> AotCounts:
    """Compile stage 7's step with a backend that counts AOTAutograd's graphs.

    The backend is ``aot_autograd`` with compilers that run each graph as
    traced (no Inductor) and count it: forward graphs (with a matching
    backward graph) for code that needs gradients, inference graphs for code
    under ``torch.no_grad()``. Dynamo splits the function the same way
    whatever the backend, so the counts describe the ``@torch.compile`` step.
    """
    positive_int("epochs", epochs)
    from collections import Counter

    from torch._dynamo.backends.common import aot_autograd

    compiled: Counter[str] = Counter()
    runs: Counter[str] = Counter()

    def counting(kind):
        def compiler(graph_module, example_inputs):
            compiled[kind] += 1

            def run(args):
                runs[kind] += 1
                return graph_module(*args)

            run._boxed_call = True  # AOTAutograd passes the inputs as a list
            return run

        return compiler

    backend = aot_autograd(fw_compiler=counting("forward"),
                           bw_compiler=counting("backward"),
                           inference_compiler=counting("inference"))
    dynamo.reset()
    step = torch.compile(stage7.train_step._torchdynamo_orig_callable, backend=backend)
    torch.manual_seed(SEED)
    params = [stage7.init_layer(2, 2), stage7.init_layer(2, 1)]
    for _ in range(epochs):
        for x, y in SAMPLES:
            step(params, torch.tensor(x), torch.tensor(y), LEARNING_RATE)
    dynamo.reset()
    return AotCounts(dict(compiled), dict(runs), epochs * len(SAMPLES))


def profile_epoch(rows: int = 8):
    """torch.profiler's table for one warm epoch of stage 7, by self CPU time.

    Returns ``(table, names)``: the first ``rows`` events (self CPU time, its share
    of the epoch's, calls) as a :class:`~helpers.show.Table`, and every event name
    recorded with its number of calls (for checks that do not depend on the order).
    """
    positive_int("rows", rows)
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(SEED)
    params = [stage7.init_layer(2, 2), stage7.init_layer(2, 1)]
    data = [(torch.tensor(x), torch.tensor(y)) for x, y in SAMPLES]
    for _ in range(2):  # warm up: compile, and the recompile once .grad exists
        for x, y in data:
            stage7.train_step(params, x, y, LEARNING_RATE).item()
    with native_output.silenced(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for x, y in data:
            stage7.train_step(params, x, y, LEARNING_RATE).item()
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events) or 1.0  # microseconds
    lines = ["event | self CPU | share | calls"]
    for e in events[:rows]:
        name = e.key if len(e.key) <= 40 else e.key[:39] + "…"
        lines.append(f"{name} | {format_seconds(e.self_cpu_time_total / 1e6)} | "
                     f"{e.self_cpu_time_total / total:.0%} | {e.count}")
    return Table("\n".join(lines)), {event.key: event.count for event in events}
