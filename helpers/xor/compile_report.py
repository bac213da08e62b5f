"""What torch.compile did with stage 7: call times, graphs, graph breaks and recompiles."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch._dynamo as dynamo
from torch._dynamo.utils import counters

from . import stage7_torch_compile as stage7
from .problem import LEARNING_RATE, SAMPLES, SEED


@dataclass
class CompileReport:
    call_seconds: list[float]  # the first few calls of train_step, in order
    unique_graphs: int  # graphs Dynamo captured and Inductor compiled
    frames_compiled: int  # Python frames Dynamo tried to compile
    graph_breaks: list[str]  # first line of each distinct reason
    skipped_functions: list[str]  # frames Dynamo gave up on and ran eagerly

    def __repr__(self) -> str:
        lines = ["train_step, first calls: " + ", ".join(f"{t:.3g} s" for t in self.call_seconds),
                 f"graphs compiled: {self.unique_graphs}; frames Dynamo tried: {self.frames_compiled}",
                 "graph breaks:"]
        lines += [f"  - {reason}" for reason in self.graph_breaks]
        lines += ["run eagerly instead of compiled:"]
        lines += [f"  - {name}" for name in self.skipped_functions] or ["  (none)"]
        return "\n".join(lines)


def _first_line(reason: str) -> str:
    return reason.strip().splitlines()[0].strip()


def report(calls: int = 4) -> CompileReport:
    """Reset torch.compile's caches, call stage 7's train_step ``calls`` times, and report."""
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 2:
        raise ValueError(f"calls must be an integer of at least 2, got {calls!r}")
    dynamo.reset()
    counters.clear()
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
                         counters["frames"]["total"], breaks, skipped)


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
