"""Every way the book trains the XOR network, timed side by side in one process.

How it measures, and why:

- both frameworks' runtimes are warmed first (the first use of JAX or of
  ``torch.compile`` in a process costs seconds that are not compilation);
- every variant's first call is timed apart (tracing and compilation), then
  the variants are timed **interleaved**, round after round, so that a change
  of load hits all of them alike rather than one variant's every repeat;
- fast variants are repeated until a time budget is spent (at least
  :data:`MIN_REPEATS` times), and each result keeps every time, so the table
  shows the median with the spread (min-max) and ratios come with a range;
- each variant says how often it synchronises with the host per epoch, since
  the stage variants call ``.item()`` every step and the others once a run.

``python -m bench`` is the command-line front end; the chapters call
:func:`run_all` directly, so the book and the benchmark measure the same code.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from ..show import Table
from ..timing import faster_header, format_ratio, format_seconds, wait_for
from ..validate import positive_int
from .problem import EPOCHS, LEARNING_RATE, SEED

MIN_REPEATS = 5  # steady calls per variant, at least (3 for calls over SLOW_CALL_SECONDS)
MAX_REPEATS = 30
SLOW_CALL_SECONDS = 10.0
SPEEDUP_HEADER = faster_header("stage 1") + ", median (range)"


@dataclass
class Result:
    name: str
    framework: str
    networks: int  # trained per measurement (1, a vmapped batch, or a run of sequential ones)
    epochs: int  # epochs actually run per measurement
    times_s: tuple[float, ...]  # every steady-state call, in the order they ran
    first_call_s: float  # the first call: tracing and compilation included
    compiles: bool  # False for eager variants: they have no compile time
    projected: bool  # True when fewer epochs (or sequential networks) ran than the full variant
    final_loss: float  # mean loss of the last epoch run (first network for batches)
    syncs_per_epoch: float  # host syncs (.item(), .numpy(), float()) per epoch
    trace_lower_s: float | None = None  # JAX only: jit(f).lower(...) (trace + lower)
    backend_compile_s: float | None = None  # JAX only: .compile() of that lowering
    speedup_vs_stage_1: float = float("nan")  # ratio of medians per network-epoch
    speedup_range: tuple[float, float] = (float("nan"), float("nan"))  # worst, best pairing

    @property
    def run_seconds(self) -> float:
        """Median steady-state time for ``epochs`` epochs."""
        return statistics.median(self.times_s)

    @property
    def compile_seconds(self) -> float | None:
        """Trace, lower and compile ahead of time (JAX), else first call minus the median.

        None for eager variants: they compile nothing. (After the ahead-of-time
        compile, JAX's first call finds the executable cached, so it is not used.)
        """
        if not self.compiles:
            return None
        if self.trace_lower_s is not None and self.backend_compile_s is not None:
            return self.trace_lower_s + self.backend_compile_s
        return max(0.0, self.first_call_s - self.run_seconds)

    def per_network_epoch(self, seconds: float) -> float:
        return seconds / (self.epochs * self.networks)

    @property
    def seconds_per_network_epoch(self) -> float:
        return self.per_network_epoch(self.run_seconds)

    @property
    def spread_per_network_epoch(self) -> tuple[float, float]:
        """(fastest, slowest) steady call, per network-epoch."""
        return self.per_network_epoch(min(self.times_s)), self.per_network_epoch(max(self.times_s))

    @property
    def full_run_seconds(self) -> float:
        """Run time scaled to 10,000 epochs, for the networks measured."""
        return self.run_seconds * EPOCHS / self.epochs

    def as_dict(self) -> dict:
        row = asdict(self)
        row.update(run_seconds=self.run_seconds, compile_seconds=self.compile_seconds,
                   seconds_per_network_epoch=self.seconds_per_network_epoch,
                   spread_per_network_epoch=self.spread_per_network_epoch,
                   full_run_seconds=self.full_run_seconds, repeats=len(self.times_s))
        return row


class Results(list):
    """The results (a list of :class:`Result`), with the variants skipped and the run's setup."""

    def __init__(self, rows=(), skipped=None, setup=None):
        super().__init__(rows)
        self.skipped: list[dict[str, str]] = list(skipped or [])  # name, reason (error's first line)
        self.setup: dict = dict(setup or {})  # versions, machine, threads, warm-up

    def by_name(self, text: str) -> Result:
        """The one result whose name contains ``text``."""
        found = [r for r in self if text.lower() in r.name.lower()]
        if len(found) != 1:
            raise KeyError(f"{len(found)} results match {text!r}; names: {[r.name for r in self]}")
        return found[0]


@dataclass(frozen=True)
class Variant:
    name: str
    framework: str
    networks: int
    quick_epochs: int
    full_epochs: int
    prepare: Callable[[int, int], Callable[[], float]]  # (epochs, networks) -> timed call -> final loss
    compiles: bool = False
    # host syncs per epoch, given (epochs, networks) run: by default one per run
    syncs: Callable[[int, int], float] = field(default=lambda epochs, networks: 1 / epochs)
    # Sequential variants cost the same per network, so --quick runs a few and projects:
    quick_networks: int | None = None
    # Variants that need an optional feature say whether this installation has it, and why not:
    available: Callable[[], tuple[bool, str]] | None = None
    # JAX variants: (epochs, networks) -> (trace+lower seconds, compile seconds), timed ahead of time
    aot: Callable[[int, int], tuple[float, float]] | None = None
    # Variants whose compilation takes tens of seconds (Dynamo unrolling, C++ code):
    # run_all leaves them out with quick=True unless slow_compiles=True
    slow_compile: bool = False


def _per_step(epochs: int, networks: int) -> float:
    return 4.0  # the stages call .item() on every sample step, and log every epoch


def _stage(number: int) -> Callable[[int, int], Callable[[], float]]:
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import stages

        def call() -> float:
            return stages.run(number, epochs, echo=False).log.means[-1]

        return call

    return prepare


def _jax_scan(epochs: int, networks: int) -> Callable[[], float]:
    from . import compiled

    params, (xs, ys) = compiled.init_params(SEED), compiled.data()

    def call() -> float:
        return float(wait_for(compiled.train(params, xs, ys, LEARNING_RATE, epochs))[1][-1])

    return call


def _jax_args(networks: int):
    import jax.numpy as jnp

    from . import compiled

    xs, ys = compiled.data()
    if networks == 1:
        return compiled.train, (compiled.init_params(SEED), xs, ys, LEARNING_RATE)
    return compiled.train_many, (compiled.stack_params(range(networks)), xs, ys,
                                 jnp.full(networks, LEARNING_RATE))


def _jax_aot(epochs: int, networks: int) -> tuple[float, float]:
    """Time ``jit(f).lower(...)`` and ``.compile()`` apart, cold.

    A fresh wrapper function misses JAX's in-memory trace and compile caches
    without clearing them (``jax.clear_caches()`` would also make every other
    variant recompile its small eager operations, inflating their first call).
    """
    import jax

    fn, args = _jax_args(networks)
    body = fn.__wrapped__  # the Python function under the jit

    def fresh(*args):
        return body(*args)

    start = time.perf_counter()
    lowered = jax.jit(fresh, static_argnums=len(args)).lower(*args, epochs)
    lowered_at = time.perf_counter()
    lowered.compile()
    return lowered_at - start, time.perf_counter() - lowered_at


def _jax_vmap(epochs: int, networks: int) -> Callable[[], float]:
    fn, args = _jax_args(networks)

    def call() -> float:
        return float(wait_for(fn(*args, epochs))[1][0, -1])

    return call


def _jax_sequential(epochs: int, networks: int) -> Callable[[], float]:
    from . import compiled

    starts = [compiled.init_params(seed) for seed in range(networks)]  # one network at a time
    xs, ys = compiled.data()

    def call() -> float:
        last = [float(wait_for(compiled.train(p, xs, ys, LEARNING_RATE, epochs))[1][-1])
                for p in starts]
        return last[0]

    return call


def _torch_functional(compile_epoch: bool, mode: str | None = None
                      ) -> Callable[[int, int], Callable[[], float]]:
    """PyTorch's functional epoch, eager or compiled (``mode`` is torch.compile's)."""
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import torch_fast

        def call() -> float:
            return float(torch_fast.train(epochs, compiled=compile_epoch, mode=mode)[1][-1])

        return call

    return prepare


def _jax_per_epoch(epochs: int, networks: int) -> Callable[[], float]:
    from . import compiled

    params, (xs, ys) = compiled.init_params(SEED), compiled.data()

    def call() -> float:
        return float(wait_for(compiled.train_per_epoch(params, xs, ys, LEARNING_RATE, epochs))[1][-1])

    return call


def _torch_blocks(cpp_wrapper: bool) -> Callable[[int, int], Callable[[], float]]:
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import torch_fast

        def call() -> float:
            return float(torch_fast.train_blocks(epochs, per_call=EPOCHS_PER_CALL,
                                                 cpp_wrapper=cpp_wrapper)[1][-1])

        return call

    return prepare


def _torch_scan(epochs: int, networks: int) -> Callable[[], float]:
    from . import torch_fast

    def call() -> float:
        return float(torch_fast.train_scan(epochs)[1][-1])

    return call


def _torch_scan_available() -> tuple[bool, str]:
    from . import torch_fast

    return torch_fast.scan_available()


def _cuda_graphs_available() -> tuple[bool, str]:
    import torch

    if torch.get_default_device().type != "cuda":
        return False, "CUDA graphs need a CUDA GPU (python -m bench --device gpu on one)"
    return True, ""


def _torch_many(how: str) -> Callable[[int, int], Callable[[], float]]:
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import torch_fast

        train = {"vmap": torch_fast.train_many, "compiled": torch_fast.train_many_compiled,
                 "batched": torch_fast.train_many_batched}[how]

        def call() -> float:
            return float(train(range(networks), epochs)[0, -1])

        return call

    return prepare


MANY = 1024
EPOCHS_PER_CALL = 5  # Dynamo unrolls them: compile time grows with each one
VARIANTS: tuple[Variant, ...] = (
    Variant("stage 1: PyTorch, nn.Module + optim", "PyTorch", 1, 300, EPOCHS, _stage(1),
            syncs=_per_step),
    Variant("stage 2: PyTorch, SGD by hand", "PyTorch", 1, 300, EPOCHS, _stage(2), syncs=_per_step),
    Variant("stage 3: PyTorch, no nn helpers", "PyTorch", 1, 300, EPOCHS, _stage(3),
            syncs=_per_step),
    Variant("stage 4: JAX, no jit", "JAX", 1, 20, 500, _stage(4), syncs=_per_step),
    Variant("stage 5: JAX, jit on the pieces", "JAX", 1, 100, 2_000, _stage(5), compiles=True,
            syncs=_per_step),
    Variant("stage 6: JAX, one jitted train_step", "JAX", 1, 500, EPOCHS, _stage(6), compiles=True,
            syncs=_per_step),
    Variant("stage 7: PyTorch, torch.compile step", "PyTorch", 1, 300, EPOCHS, _stage(7),
            compiles=True, syncs=_per_step),
    Variant("PyTorch functional, eager", "PyTorch", 1, 300, 2_000, _torch_functional(False)),
    Variant("PyTorch functional, compiled epoch", "PyTorch", 1, 1_000, EPOCHS,
            _torch_functional(True), compiles=True),
    # Optional: a failure to compile is recorded (error's first line), not raised.
    Variant("PyTorch functional, compiled epoch, cpp_wrapper", "PyTorch", 1, 1_000, EPOCHS,
            _torch_blocks(cpp_wrapper=True), compiles=True, available=lambda: (True, ""),
            slow_compile=True),
    Variant(f"PyTorch functional, {EPOCHS_PER_CALL} epochs per compiled call", "PyTorch", 1,
            1_000, EPOCHS, _torch_blocks(cpp_wrapper=False), compiles=True,
            available=lambda: (True, ""), slow_compile=True),
    # Never run by this project (no GPU lent to it); on a GPU a failure is
    # recorded (error's first line), not raised.
    Variant("PyTorch functional, compiled epoch, CUDA graphs", "PyTorch", 1, 1_000, EPOCHS,
            _torch_functional(True, mode="reduce-overhead"), compiles=True,
            available=_cuda_graphs_available),
    # The control for the whole loop: the same compiled epoch, one dispatch per epoch.
    Variant("JAX jit(one epoch) in a Python loop", "JAX", 1, 1_000, EPOCHS, _jax_per_epoch,
            compiles=True),
    Variant("JAX whole loop (lax.scan)", "JAX", 1, EPOCHS, EPOCHS, _jax_scan, compiles=True,
            aot=_jax_aot),
    Variant("PyTorch whole loop (experimental scan, compiled)", "PyTorch", 1, EPOCHS, EPOCHS,
            _torch_scan, compiles=True, available=_torch_scan_available),
    Variant(f"PyTorch torch.func.vmap x{MANY}, eager", "PyTorch", MANY, 50, 500, _torch_many("vmap")),
    # Optional: a failure to compile is recorded (error's first line), not raised.
    Variant(f"PyTorch torch.func.vmap x{MANY}, compiled epoch", "PyTorch", MANY, 1_000, EPOCHS,
            _torch_many("compiled"), compiles=True, available=lambda: (True, "")),
    Variant(f"PyTorch hand-batched bmm x{MANY}, eager", "PyTorch", MANY, 100, 1_000,
            _torch_many("batched")),
    # On a GPU one scan of 10,000 epochs takes about a second (each of its 40,000
    # tiny steps launches kernels), so --quick runs 16 of the 1,024 and projects.
    Variant(f"JAX scan, {MANY} networks one by one", "JAX", MANY, EPOCHS, EPOCHS, _jax_sequential,
            compiles=True, syncs=lambda epochs, networks: networks / epochs, quick_networks=16),
    Variant(f"JAX scan + vmap x{MANY}", "JAX", MANY, EPOCHS, EPOCHS, _jax_vmap, compiles=True,
            aot=_jax_aot),
)


def warm_up(torch_compile: bool = True) -> dict[str, float]:
    """Pay each framework's one-off start-up costs before anything is timed; return them.

    The first JAX computation in a process initialises its backend, the first
    ``optimizer.step()`` and the first ``torch.compile`` import and set up
    more of PyTorch (Dynamo, Inductor): seconds
    that would otherwise be booked as the first variant's compile time.
    """
    import jax
    import jax.numpy as jnp
    import torch

    costs = {}
    start = time.perf_counter()
    wait_for(jax.jit(lambda x: jnp.sin(x) * 2)(jnp.ones(4)))
    wait_for(jax.grad(lambda x: jnp.sum(x ** 2))(jnp.ones(4)))
    costs["jax"] = time.perf_counter() - start
    start = time.perf_counter()
    layer = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)  # its first step imports more
    torch.sigmoid(layer(torch.ones(2))).sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    costs["torch"] = time.perf_counter() - start
    if torch_compile:
        start = time.perf_counter()
        torch.compile(lambda t: torch.sin(t) * 2, fullgraph=True)(torch.ones(4))
        costs["torch.compile"] = time.perf_counter() - start
    return costs


def setup(threads: int | None = None) -> dict:
    """Pin PyTorch's thread count (if ``threads``) and describe versions, machine and threads."""
    import jax
    import numpy as np
    import torch

    if threads is not None:
        torch.set_num_threads(positive_int("threads", threads))
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "versions": {"python": platform.python_version(), "jax": jax.__version__,
                     "jaxlib": getattr(sys.modules.get("jaxlib"), "__version__", "?"),
                     "torch": torch.__version__, "numpy": np.__version__},
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpu_count": os.cpu_count(), "cpus_usable": affinity,
                    "jax_devices": [str(d) for d in jax.devices()],
                    "torch_cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
        "threads": {"torch_intra_op": torch.get_num_threads(),
                    "torch_inter_op": torch.get_num_interop_threads(),
                    "xla_flags": os.environ.get("XLA_FLAGS", ""),
                    "inductor_cache_dir": os.environ.get("TORCHINDUCTOR_CACHE_DIR", "default (warm if "
                                                         "this machine compiled before)"),
                    "note": "XLA's CPU thread pool uses the usable CPUs (cpus_usable) unless "
                            "XLA_FLAGS says otherwise"},
    }


def _time(call: Callable[[], float]) -> tuple[float, float]:
    start = time.perf_counter()
    loss = call()
    return time.perf_counter() - start, loss


def measure(variant: Variant, epochs: int, repeats: int | None = None,
            networks: int | None = None) -> Result:
    """Time one variant alone: its first call, then ``repeats`` steady calls (default adaptive)."""
    return run_variants([(variant, epochs, networks)], repeats=repeats, progress=None)[0]


def run_variants(plan: Sequence[tuple[Variant, int, int | None]], repeats: int | None = None,
                 budget_s: float = 1.0, progress: Callable[[str], None] | None = None,
                 bar: bool = False) -> Results:
    """Measure ``(variant, epochs, networks)`` triples interleaved; see the module's docstring.

    ``repeats`` fixes the number of steady calls; by default each variant gets
    as many as fit in ``budget_s`` seconds, from :data:`MIN_REPEATS` (3 for a
    call slower than :data:`SLOW_CALL_SECONDS`) to :data:`MAX_REPEATS`. A variant
    with ``available`` may fail: it is left out and recorded in ``skipped``.
    """
    if repeats is not None:
        positive_int("repeats", repeats)
    if not budget_s > 0:
        raise ValueError(f"budget_s must be a positive number of seconds, got {budget_s!r}")
    say = progress or (lambda line: None)
    jobs, skipped = [], []
    for variant, epochs, networks in plan:
        networks = variant.networks if networks is None else networks
        bad = isinstance(networks, bool) or not isinstance(networks, int)
        if bad or not 1 <= networks <= variant.networks:
            raise ValueError(f"networks must be an integer from 1 to {variant.networks}, got {networks!r}")
        positive_int("epochs", epochs)
        jobs.append({"variant": variant, "epochs": epochs, "networks": networks, "times": []})
    progress_bar = None
    if bar:
        from ..progress import stable_bar

        progress_bar = stable_bar(2 * len(jobs), "benchmark", "steps")

    def failed(job, error: BaseException) -> None:
        if job["variant"].available is None:
            raise error
        first_line = (str(error).splitlines() or [""])[0][:200]
        reason = f"it failed on this installation ({type(error).__name__}: {first_line})"
        skipped.append({"name": job["variant"].name, "reason": reason})
        say(f"skipping {job['variant'].name}: {reason}")
        job["failed"] = True

    # 1. Prepare every variant (JAX ones also compile ahead of time, timed), then
    # 2. time each first call: compilation, for torch.compile and the jitted stages.
    for job in jobs:
        v = job["variant"]
        try:
            job["call"] = v.prepare(job["epochs"], job["networks"])
            job["aot"] = v.aot(job["epochs"], job["networks"]) if v.aot else (None, None)
        except Exception as error:  # only optional, experimental features may fail
            failed(job, error)
    for job in jobs:
        if not job.get("failed"):
            some = (f"{job['networks']} of {job['variant'].networks} networks, "
                    if job["networks"] < job["variant"].networks else "")
            say(f"first call of {job['variant'].name} ({some}{job['epochs']} epochs)")
            try:
                job["first"], _ = _time(job["call"])
            except Exception as error:
                failed(job, error)
        if progress_bar is not None:
            progress_bar.update(1)
    # 3. Steady calls, interleaved: each round times every unfinished variant once,
    #    starting one place further along each round.
    live = [job for job in jobs if not job.get("failed")]
    say(f"timing {len(live)} variants interleaved, {repeats or f'at least {MIN_REPEATS}'} calls each")
    round_number = 0
    while True:
        pending = [job for job in live if len(job["times"]) < job.get("target", repeats or MAX_REPEATS)]
        if not pending:
            break
        shift = round_number % len(pending)
        for job in pending[shift:] + pending[:shift]:
            seconds, job["loss"] = _time(job["call"])
            job["times"].append(seconds)
            if "target" not in job:
                slow = seconds > SLOW_CALL_SECONDS
                job["target"] = repeats or min(MAX_REPEATS, max(3 if slow else MIN_REPEATS,
                                                                math.ceil(budget_s / seconds)))
            if len(job["times"]) == job["target"] and progress_bar is not None:
                progress_bar.update(1)
        round_number += 1
    if progress_bar is not None:
        progress_bar.update(2 * len(jobs) - progress_bar.n)
        progress_bar.close()
    results = Results(skipped=skipped)
    for job in live:
        v = job["variant"]
        results.append(Result(
            v.name, v.framework, job["networks"], job["epochs"], tuple(job["times"]), job["first"],
            v.compiles, job["epochs"] < EPOCHS or job["networks"] < v.networks, job["loss"],
            v.syncs(job["epochs"], job["networks"]),
            *job["aot"]))
    return results


def run_all(quick: bool = True, repeats: int | None = None, only: str | Sequence[str] | None = None,
            progress: Callable[[str], None] | None = print, budget_s: float | None = None,
            threads: int | None = 1, bar: bool = False,
            slow_compiles: bool | None = None) -> Results:
    """Measure every variant (or those whose name contains ``only``, or any of several) in this process.

    Warms both runtimes first, then runs :func:`run_variants`. ``budget_s`` is
    the time each variant's steady calls may take (default 1 s quick, 5 s full);
    ``threads`` pins PyTorch's thread count (default 1: the XOR work is too
    small to split across threads, and on a shared, loaded machine a second
    thread made the same PyTorch call swing from 0.35 s to a minute; None
    leaves it as it is). JAX's threads are fixed when its backend starts:
    ``python -m bench`` pins them through ``XLA_FLAGS``. A variant that needs an optional
    feature (it has ``available``) is skipped, saying why, where this
    installation lacks the feature or the feature fails; any other failure raises.
    The variants that take tens of seconds to compile (``slow_compile``) run
    unless ``slow_compiles`` is False (by default: unless ``quick``); those left
    out are listed in ``skipped``, saying so.
    """
    wanted = None if only is None else [only] if isinstance(only, str) else list(only)
    chosen = [v for v in VARIANTS
              if wanted is None or any(w.lower() in v.name.lower() for w in wanted)]
    if not chosen:
        raise ValueError(f"no variant name contains {only!r}; names: {[v.name for v in VARIANTS]}")
    import torch

    previous_threads = torch.get_num_threads()
    try:
        return _run_chosen(chosen, quick, repeats, progress, budget_s, threads, bar, slow_compiles)
    finally:
        torch.set_num_threads(previous_threads)  # the pin is for the measurement, not the caller


def _run_chosen(chosen: list[Variant], quick: bool, repeats: int | None,
                progress: Callable[[str], None] | None, budget_s: float | None, threads: int | None,
                bar: bool, slow_compiles: bool | None) -> Results:
    described = setup(threads)
    say = progress or (lambda line: None)
    plan, skipped = [], []
    for variant in chosen:
        include_slow = (not quick) if slow_compiles is None else slow_compiles
        if variant.slow_compile and not include_slow:
            skipped.append({"name": variant.name, "reason": "left out of quick runs: slow to compile "
                            "(python -m bench --slow-compiles runs it)"})
            continue
        if variant.available is not None:
            ok, why = variant.available()
            if not ok:
                say(f"skipping {variant.name}: {why}")
                skipped.append({"name": variant.name, "reason": why})
                continue
        epochs = variant.quick_epochs if quick else variant.full_epochs
        networks = (variant.quick_networks or variant.networks) if quick else variant.networks
        plan.append((variant, epochs, networks))
    uses_compile = any(v.compiles and v.framework == "PyTorch" for v, _, _ in plan)
    say("warming up both runtimes")
    described["warm_up_s"] = warm_up(torch_compile=uses_compile)
    budget = (1.0 if quick else 5.0) if budget_s is None else budget_s
    results = run_variants(plan, repeats, budget, progress, bar) if plan else Results()
    results.skipped[:0] = skipped
    results.setup = described | {"quick": quick}
    add_speedups(results)
    return results


def first_call(name: str, epochs: int = 100, threads: int = 1) -> dict:
    """Warm up, then time the first call of the one variant whose name contains ``name``.

    Also reports Inductor's FX-graph cache hits and misses during that call, so
    that a run with a warm on-disk cache can be told from a cold one.
    """
    import torch

    matches = ([v for v in VARIANTS if v.name == name]
               or [v for v in VARIANTS if name.lower() in v.name.lower()])
    if len(matches) != 1:
        raise ValueError(f"{len(matches)} variants match {name!r}; names: {[v.name for v in VARIANTS]}")
    setup(threads)
    warm_up(torch_compile=True)
    from torch._dynamo.utils import counters

    before = dict(counters["inductor"])
    seconds, _ = _time(matches[0].prepare(epochs, matches[0].networks))
    after = counters["inductor"]
    return {"variant": matches[0].name, "epochs": epochs, "first_call_s": seconds,
            "fxgraph_cache_hits": after["fxgraph_cache_hit"] - before.get("fxgraph_cache_hit", 0),
            "fxgraph_cache_misses": after["fxgraph_cache_miss"] - before.get("fxgraph_cache_miss", 0),
            "torch": torch.__version__}


def inductor_cache_cold_warm(name: str = "PyTorch functional, compiled epoch", epochs: int = 100,
                             threads: int = 1) -> dict:
    """The first call of one compiled variant with Inductor's on-disk cache cold, then warm.

    Each call runs in a fresh process (so no in-memory cache helps), both with
    the same new, empty ``TORCHINDUCTOR_CACHE_DIR``: the first process fills it
    (cold), the second finds it filled (warm). Dynamo's tracing is repeated in both.
    """
    import json
    import pathlib
    import subprocess
    import tempfile

    root = pathlib.Path(__file__).resolve().parents[2]  # the folder holding helpers/
    code = ("import json; from helpers.xor import benchmark; "
            f"print(json.dumps(benchmark.first_call({name!r}, {epochs!r}, {threads!r})))")
    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-inductor-") as cache:  # removed afterwards
        env = os.environ | {"TORCHINDUCTOR_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            done = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                why = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
                raise RuntimeError(f"the {label}-cache run failed: {why}")
            runs[label] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"variant": runs["cold"]["variant"], "epochs": epochs, "cache_dir": cache,
            "cold": runs["cold"], "warm": runs["warm"]}


def cache_text(cache: dict) -> str:
    """:func:`inductor_cache_cold_warm`'s result as two lines."""
    return "\n".join(
        f"  {label}: first call {format_seconds(cache[label]['first_call_s'])} "
        f"({cache[label]['fxgraph_cache_hits']} FX-graph cache hits, "
        f"{cache[label]['fxgraph_cache_misses']} misses), {cache['variant']}, {cache['epochs']} epochs"
        for label in ("cold", "warm"))


def add_speedups(results: list[Result]) -> None:
    """Speed per network-epoch relative to stage 1 (idiomatic, eager PyTorch): >1 is faster.

    The ratio is of the medians; its range pairs the slowest call of one with
    the fastest of the other, so a range that includes 1 is no evidence of a difference.
    """
    base = next((r for r in results if r.name.startswith("stage 1")), None)
    for r in results:
        if base is None:
            r.speedup_vs_stage_1, r.speedup_range = float("nan"), (float("nan"), float("nan"))
            continue
        b_fast, b_slow = base.spread_per_network_epoch
        r_fast, r_slow = r.spread_per_network_epoch
        r.speedup_vs_stage_1 = base.seconds_per_network_epoch / r.seconds_per_network_epoch
        r.speedup_range = (b_fast / r_slow, b_slow / r_fast)


def _compile_text(r: Result) -> str:
    if r.compile_seconds is None:
        return "— (eager)"
    if r.trace_lower_s is not None:
        return (f"trace+lower {format_seconds(r.trace_lower_s)}, "
                f"compile {format_seconds(r.backend_compile_s)}")
    return f"first call +{format_seconds(r.compile_seconds)}"


def _syncs_text(r: Result) -> str:
    per_run = r.syncs_per_epoch * r.epochs
    return f"{r.syncs_per_epoch:g}" if r.syncs_per_epoch >= 1 else f"{per_run:g} per run"


def table(results: list[Result], calls: bool = True) -> str:
    """The results as text, one variant per line: median per network-epoch with its spread.

    ``calls=False`` leaves out how many steady calls each variant got, which
    varies from run to run (a stored notebook output must not).
    """
    lines = ["variant | networks | epochs run | host syncs per epoch | compile "
             f"| per network-epoch: median (min–max){', calls' if calls else ''} | "
             + SPEEDUP_HEADER]
    for r in results:
        fast, slow = r.spread_per_network_epoch
        low, high = r.speedup_range
        lines.append(
            f"{r.name} | {r.networks} | {r.epochs}{' (projected)' if r.projected else ''} | "
            f"{_syncs_text(r)} | {_compile_text(r)} | "
            f"{format_seconds(r.seconds_per_network_epoch)} ({format_seconds(fast)}–"
            f"{format_seconds(slow)}){f', {len(r.times_s)}' if calls else ''} | "
            f"{format_ratio(r.speedup_vs_stage_1)} ({format_ratio(low)}–{format_ratio(high)})")
    for s in getattr(results, "skipped", []):
        lines.append(f"{s['name']} | skipped: {s['reason']}")
    return Table("\n".join(lines))


def chart(results: list[Result]):
    """Horizontal bar chart (log scale) of the median time per network-epoch, min-max as error bars."""
    import matplotlib.pyplot as plt

    ordered = sorted(results, key=lambda r: r.seconds_per_network_epoch, reverse=True)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(ordered) + 1.6))
    colours = ["#dd8452" if r.framework == "PyTorch" else "#4c72b0" for r in ordered]
    medians = [r.seconds_per_network_epoch * 1e6 for r in ordered]
    low = [m - r.spread_per_network_epoch[0] * 1e6 for m, r in zip(medians, ordered)]
    high = [r.spread_per_network_epoch[1] * 1e6 - m for m, r in zip(medians, ordered)]
    ax.barh([r.name for r in ordered], medians, color=colours, xerr=[low, high],
            error_kw={"ecolor": "black", "capsize": 3, "lw": 1})
    ax.set_xscale("log")
    ax.set_xlabel("µs per network per epoch, log scale (bar: median; whisker: min–max)\n"
                  "orange PyTorch, blue JAX")
    ax.set_title("Every XOR training variant: median and min–max, one machine")
    fig.tight_layout()
    return fig


def compare(a: dict, b: dict) -> str:
    """Two saved runs (``python -m bench --json``) side by side: medians and B's speed over A's."""
    for name, run in (("A", a), ("B", b)):
        if not isinstance(run, dict) or "results" not in run:
            raise ValueError(f"run {name} is not a benchmark JSON (no 'results'); "
                             "write one with python -m bench --json FILE")
    rows_b = {r["name"]: r for r in b["results"]}
    lines = [f"A: {_describe(a)}", f"B: {_describe(b)}",
             "variant | A per network-epoch (min–max) | B per network-epoch (min–max) | A/B (>1: B faster)"]
    for ra in a["results"]:
        rb = rows_b.get(ra["name"])
        if rb is None:
            lines.append(f"{ra['name']} | {_cell(ra)} | not in B | ")
            continue
        ratio = ra["seconds_per_network_epoch"] / rb["seconds_per_network_epoch"]
        lines.append(f"{ra['name']} | {_cell(ra)} | {_cell(rb)} | {format_ratio(ratio)}")
    names_a = {r["name"] for r in a["results"]}
    lines += [f"{r['name']} | not in A | {_cell(r)} | " for r in b["results"] if r["name"] not in names_a]
    return "\n".join(lines)


def _describe(run: dict) -> str:
    s = run.get("setup", {})
    v, m, t = s.get("versions", {}), s.get("machine", {}), s.get("threads", {})
    return (f"{s.get('date_utc', '?')}, jax {v.get('jax', '?')}, torch {v.get('torch', '?')}, "
            f"{m.get('torch_cuda') or m.get('processor', '?')}, {m.get('cpus_usable', '?')} CPUs, "
            f"torch threads {t.get('torch_intra_op', '?')}")


def _cell(row: dict) -> str:
    fast, slow = row["spread_per_network_epoch"]
    return (f"{format_seconds(row['seconds_per_network_epoch'])} "
            f"({format_seconds(fast)}–{format_seconds(slow)})")
