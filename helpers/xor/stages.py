"""Run any stage of the XOR port by number, timed, with live output and a progress bar."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from types import ModuleType

from ..progress import stable_bar
from ..validate import positive_int
from .problem import EPOCHS, SAMPLES
from .record import EpochLog, Trained

# stage number -> (module name, framework, one-line description)
STAGES: dict[int, tuple[str, str, str]] = {
    1: ("stage1_torch_nn", "PyTorch", "idiomatic PyTorch: nn.Module + torch.optim.SGD"),
    2: ("stage2_torch_manual_sgd", "PyTorch", "hand-written SGD step"),
    3: ("stage3_torch_plain", "PyTorch", "no nn helpers: a list of dicts of tensors"),
    4: ("stage4_jax_eager", "JAX", "pure JAX, no jit"),
    5: ("stage5_jax_jit_pieces", "JAX", "jit on forward, sgd_step and mse"),
    6: ("stage6_jax_jit_step", "JAX", "one jitted train_step"),
    7: ("stage7_torch_compile", "PyTorch", "torch.compile on a train_step"),
}


def check_stage(stage: object) -> int:
    """Validate a stage number, raising an error that lists the valid ones."""
    if isinstance(stage, bool) or not isinstance(stage, int) or stage not in STAGES:
        raise ValueError(f"stage must be one of {sorted(STAGES)}, got {stage!r}")
    return stage


def module(stage: int) -> ModuleType:
    """The module holding a stage's complete code (imports its framework)."""
    name, _, _ = STAGES[check_stage(stage)]
    return importlib.import_module(f"{__package__}.{name}")


@dataclass
class StageRun:
    """One timed training run of one stage."""

    stage: int
    epochs: int
    log: EpochLog
    trained: Trained
    seconds: float

    @property
    def framework(self) -> str:
        return STAGES[self.stage][1]

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / self.epochs

    def predictions(self) -> list[str]:
        """The trained network's output for each XOR input, as its framework prints it."""
        return [repr(self.trained.predict(x)) for x, _ in SAMPLES]

    def print_predictions(self) -> None:
        for (x, y), shown in zip(SAMPLES, self.predictions()):
            print(f"input {x} -> {shown}   (target {y})")


def run(stage: int, epochs: int = EPOCHS, *, echo: bool = True, progress: bool = False) -> StageRun:
    """Train one stage for ``epochs`` epochs and time it, as the post's "Trained in" does.

    The time covers the whole training loop, first-call compilation included.
    ``echo`` prints the loss table live; ``progress`` shows a progress bar.
    """
    check_stage(stage)
    positive_int("epochs", epochs)
    code = module(stage)
    bar = stable_bar(epochs, f"stage {stage}", "epochs") if progress else None
    log = EpochLog(echo=echo, progress=bar)
    start = time.perf_counter()
    trained = code.train(epochs, log)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    return StageRun(stage=stage, epochs=epochs, log=log, trained=trained, seconds=seconds)

