"""What every XOR stage hands back: its per-epoch losses and its trained
network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .problem import LOG_EVERY


@dataclass
class EpochLog:
    """Collects the mean of the per-sample losses of every epoch.

    Every stage calls ``log(epoch, losses)`` once per epoch with the four
    losses it measured *during* that epoch (each before its own update). That
    mean is what the post prints as "Loss at epoch N". With ``echo`` the table
    lines are printed live as training runs, as the post's scripts print them;
    an optional progress bar is advanced.
    """

    log_every: int = LOG_EVERY
    echo: bool = True
    progress: Any = None  # a tqdm bar, or None
    means: list[float] = field(default_factory=list)

    def __call__(self, epoch: int, losses: Sequence[float]) -> None:
        if epoch != len(self.means):
            raise ValueError(
                f"EpochLog expected epoch {len(self.means)} but got {epoch}: "
                "call it exactly once per epoch, in order, starting at 0"
            )
        if len(losses) == 0:
            raise ValueError(f"epoch {epoch} reported no losses: pass the "
                             "per-sample losses")
        # plain Python floats, as the post computes it
        mean = sum(losses) / len(losses)
        self.means.append(mean)
        if epoch % self.log_every == 0:
            if self.echo:
                print(table_line(epoch, mean))
            if self.progress is not None:
                self.progress.set_postfix_str(f"loss {mean:.6f}",
                                              refresh=False)
        if self.progress is not None:
            self.progress.update(1)

    def table(self) -> dict[int, float]:
        """The logged epochs and their mean losses:
        {0: 0.279327..., 1000: ...}."""
        return {e: m for e, m in enumerate(self.means)
                if e % self.log_every == 0}


def table_line(epoch: int, mean_loss: float) -> str:
    """One line of the loss table, with the post's six decimals."""
    return f"Loss at epoch {epoch}: {mean_loss:.6f}"


class Trained(NamedTuple):
    """A trained network: its parameters and a function from one input to its
    output.

    ``predict`` takes a plain list such as ``[0.0, 1.0]`` and returns the
    framework's own tensor or array, so a printed prediction looks exactly as
    that framework prints it.
    """

    params: Any
    predict: Callable[[list[float]], Any]
