"""Every way the book trains the XOR network, timed side by side in one process.

Each variant reports its compile time apart from its run time, and its run
time per epoch (per network, for the batched variants), so that variants run
for fewer epochs can be projected to the full 10,000 and compared fairly.
``python -m bench`` is the command-line front end; the chapters call
:func:`run_all` directly, so the book and the benchmark measure the same code.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from ..timing import wait_for
from .problem import EPOCHS, LEARNING_RATE, SEED


@dataclass
class Result:
    name: str
    framework: str
    networks: int  # trained per measurement (1, a vmapped batch, or a run of sequential ones)
    epochs: int  # epochs actually run per measurement
    compile_seconds: float  # first call minus a steady call: tracing and compilation
    run_seconds: float  # median steady-state time for ``epochs`` epochs
    projected: bool  # True when fewer epochs (or sequential networks) ran than the full variant
    final_loss: float  # mean loss of the last epoch run (first network for batches)
    speedup_vs_pytorch_eager: float = float("nan")

    @property
    def seconds_per_network_epoch(self) -> float:
        return self.run_seconds / (self.epochs * self.networks)

    @property
    def full_run_seconds(self) -> float:
        """Run time scaled to 10,000 epochs, for the networks measured."""
        return self.run_seconds * EPOCHS / self.epochs

    def as_dict(self) -> dict:
        row = asdict(self)
        row["seconds_per_network_epoch"] = self.seconds_per_network_epoch
        row["full_run_seconds"] = self.full_run_seconds
        return row


@dataclass(frozen=True)
class Variant:
    name: str
    framework: str
    networks: int
    quick_epochs: int
    full_epochs: int
    prepare: Callable[[int, int], Callable[[], float]]  # (epochs, networks) -> timed call -> final loss
    # Sequential variants cost the same per network, so --quick runs a few and projects:
    quick_networks: int | None = None
    # Variants that need an optional feature say whether this installation has it, and why not:
    available: Callable[[], tuple[bool, str]] | None = None


def _stage(number: int) -> Callable[[int, int], Callable[[], float]]:
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import stages

        def call() -> float:
            return stages.run(number, epochs, echo=False).log.means[-1]

        return call

    return prepare


def _jax_scan(epochs: int, networks: int) -> Callable[[], float]:
    from . import compiled

    params = compiled.init_params(SEED)

    def call() -> float:
        return float(wait_for(compiled.train(params, LEARNING_RATE, epochs))[1][-1])

    return call


def _jax_vmap(epochs: int, networks: int) -> Callable[[], float]:
    import jax.numpy as jnp

    from . import compiled

    params = compiled.stack_params(range(networks))
    rates = jnp.full(networks, LEARNING_RATE)

    def call() -> float:
        return float(wait_for(compiled.train_many(params, rates, epochs))[1][0, -1])

    return call


def _jax_sequential(epochs: int, networks: int) -> Callable[[], float]:
    from . import compiled

    starts = [compiled.init_params(seed) for seed in range(networks)]

    def call() -> float:
        last = [float(wait_for(compiled.train(p, LEARNING_RATE, epochs))[1][-1]) for p in starts]
        return last[0]

    return call


def _torch_functional(compile_epoch: bool) -> Callable[[int, int], Callable[[], float]]:
    def prepare(epochs: int, networks: int) -> Callable[[], float]:
        from . import torch_fast

        def call() -> float:
            return float(torch_fast.train(epochs, compiled=compile_epoch)[1][-1])

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


def _torch_vmap(epochs: int, networks: int) -> Callable[[], float]:
    from . import torch_fast

    def call() -> float:
        return float(torch_fast.train_many(range(networks), epochs)[0, -1])

    return call


MANY = 1024
VARIANTS: tuple[Variant, ...] = (
    Variant("stage 1: PyTorch, nn.Module + optim", "PyTorch", 1, 300, EPOCHS, _stage(1)),
    Variant("stage 2: PyTorch, SGD by hand", "PyTorch", 1, 300, EPOCHS, _stage(2)),
    Variant("stage 3: PyTorch, no nn helpers", "PyTorch", 1, 300, EPOCHS, _stage(3)),
    Variant("stage 4: JAX, no jit", "JAX", 1, 20, 500, _stage(4)),
    Variant("stage 5: JAX, jit on the pieces", "JAX", 1, 100, 2_000, _stage(5)),
    Variant("stage 6: JAX, one jitted train_step", "JAX", 1, 500, EPOCHS, _stage(6)),
    Variant("stage 7: PyTorch, torch.compile step", "PyTorch", 1, 300, EPOCHS, _stage(7)),
    Variant("PyTorch functional, eager", "PyTorch", 1, 300, 2_000, _torch_functional(False)),
    Variant("PyTorch functional, compiled epoch", "PyTorch", 1, 1_000, EPOCHS, _torch_functional(True)),
    Variant("JAX whole loop (lax.scan)", "JAX", 1, EPOCHS, EPOCHS, _jax_scan),
    Variant("PyTorch whole loop (experimental scan, compiled)", "PyTorch", 1, EPOCHS, EPOCHS,
            _torch_scan, available=_torch_scan_available),
    Variant(f"PyTorch torch.func.vmap x{MANY}", "PyTorch", MANY, 50, 500, _torch_vmap),
    # On a GPU one scan of 10,000 epochs takes about a second (each of its 40,000
    # tiny steps launches kernels), so --quick runs 16 of the 1,024 and projects.
    Variant(f"JAX scan, {MANY} networks one by one", "JAX", MANY, EPOCHS, EPOCHS, _jax_sequential,
            quick_networks=16),
    Variant(f"JAX scan + vmap x{MANY}", "JAX", MANY, EPOCHS, EPOCHS, _jax_vmap),
)
SLOW_CALL_SECONDS = 10.0  # a warm-up slower than this is timed once more, not three times


def measure(variant: Variant, epochs: int, repeats: int | None = None,
            networks: int | None = None) -> Result:
    """Warm up (timing the compile), then time steady runs and take the median.

    ``repeats`` defaults to 3, or to 1 when the warm-up call took over
    :data:`SLOW_CALL_SECONDS` (how slow depends on the device, so it is measured,
    not guessed). ``networks`` defaults to all of the variant's.
    """
    if repeats is not None and (isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1):
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    networks = variant.networks if networks is None else networks
    if isinstance(networks, bool) or not isinstance(networks, int) or not 1 <= networks <= variant.networks:
        raise ValueError(f"networks must be an integer from 1 to {variant.networks}, got {networks!r}")
    call = variant.prepare(epochs, networks)
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    if repeats is None:
        repeats = 1 if first > SLOW_CALL_SECONDS else 3
    times, loss = [], float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        loss = call()
        times.append(time.perf_counter() - start)
    steady = statistics.median(times)
    projected = epochs < EPOCHS or networks < variant.networks
    return Result(variant.name, variant.framework, networks, epochs,
                  max(0.0, first - steady), steady, projected, loss)


def run_all(quick: bool = True, repeats: int | None = None, only: str | Sequence[str] | None = None,
            progress: Callable[[str], None] | None = print) -> list[Result]:
    """Measure every variant (or those whose name contains ``only``, or any of several) in this process.

    A variant that needs an optional feature (it has ``available``) is skipped, saying why,
    where this installation lacks the feature or the feature fails; any other failure raises.
    """
    wanted = None if only is None else [only] if isinstance(only, str) else list(only)
    chosen = [v for v in VARIANTS
              if wanted is None or any(w.lower() in v.name.lower() for w in wanted)]
    if not chosen:
        raise ValueError(f"no variant name contains {only!r}; names: {[v.name for v in VARIANTS]}")
    results = []
    for variant in chosen:
        if variant.available is not None:
            ok, why = variant.available()
            if not ok:
                if progress is not None:
                    progress(f"skipping {variant.name}: {why}")
                continue
        epochs = variant.quick_epochs if quick else variant.full_epochs
        networks = (variant.quick_networks or variant.networks) if quick else variant.networks
        if progress is not None:
            some = f"{networks} of {variant.networks} networks, " if networks < variant.networks else ""
            progress(f"timing {variant.name} ({some}{epochs} epochs)")
        try:
            results.append(measure(variant, epochs, repeats, networks))
        except Exception as error:  # only optional, experimental features are allowed to fail
            if variant.available is None:
                raise
            if progress is not None:
                first_line = (str(error).splitlines() or [""])[0][:200]
                progress(f"skipping {variant.name}: it failed on this installation "
                         f"({type(error).__name__}: {first_line})")
    add_speedups(results)
    return results


def add_speedups(results: list[Result]) -> None:
    """Speed per network-epoch relative to stage 1 (idiomatic, eager PyTorch)."""
    base = next((r for r in results if r.name.startswith("stage 1")), None)
    for r in results:
        r.speedup_vs_pytorch_eager = (base.seconds_per_network_epoch / r.seconds_per_network_epoch
                                      if base else float("nan"))


def table(results: list[Result]) -> str:
    """The results as text, one variant per line."""
    lines = ["variant | networks | epochs run | first-call extra (compile) | run"
             " | per network-epoch | vs stage 1"]
    for r in results:
        lines.append(
            f"{r.name} | {r.networks} | {r.epochs}{' (projected)' if r.projected else ''} | "
            f"{_s(r.compile_seconds)} | {_s(r.run_seconds)} | {_s(r.seconds_per_network_epoch)} | "
            f"{_ratio(r.speedup_vs_pytorch_eager)}")
    return "\n".join(lines)


def _ratio(x: float) -> str:
    """A speed ratio without exponent notation: 0.042×, 1.95×, 2,360×."""
    return f"{x:,.0f}×" if x >= 100 else f"{x:.3g}×"


def _s(seconds: float) -> str:
    from ..timing import format_seconds

    return format_seconds(seconds)


def chart(results: list[Result]):
    """Horizontal bar chart (log scale) of time per network-epoch, fastest at the bottom."""
    import matplotlib.pyplot as plt

    ordered = sorted(results, key=lambda r: r.seconds_per_network_epoch, reverse=True)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(ordered) + 1.4))
    colours = ["#dd8452" if r.framework == "PyTorch" else "#4c72b0" for r in ordered]
    ax.barh([r.name for r in ordered], [r.seconds_per_network_epoch * 1e6 for r in ordered],
            color=colours)
    ax.set_xscale("log")
    ax.set_xlabel("microseconds per network per epoch (log scale; orange PyTorch, blue JAX)")
    ax.set_title("Training the XOR network: every variant, one machine, one run")
    fig.tight_layout()
    return fig
