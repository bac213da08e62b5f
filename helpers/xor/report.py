"""Tables and figures for the XOR chapter: this run beside the post, times, curves, boundaries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..show import Table
from ..timing import faster_header, format_ratio
from .post_figures import post_predictions, post_seconds, post_table
from .problem import EPOCHS, SAMPLES
from .stages import STAGES, StageRun


@dataclass
class Comparison:
    """This run's loss table and predictions beside the post's, line by line."""

    stage: int
    rows: list[tuple[int, float, float]]  # epoch, this run, the post
    predictions: list[tuple[str, str]]  # this run, the post

    @property
    def matches(self) -> bool:
        return (all(round(ours, 6) == theirs for _, ours, theirs in self.rows)
                and all(ours == theirs for ours, theirs in self.predictions))

    def __repr__(self) -> str:
        lines = [f"Stage {self.stage} against the post",
                 f"{'epoch':>6}  {'this run':>9}  {'post':>9}  same"]
        for epoch, ours, theirs in self.rows:
            same = "yes" if round(ours, 6) == theirs else "NO"
            lines.append(f"{epoch:>6}  {ours:9.6f}  {theirs:9.6f}  {same}")
        for (x, _), (ours, theirs) in zip(SAMPLES, self.predictions):
            same = "same as the post" if ours == theirs else f"NO, the post: {theirs}"
            lines.append(f"{str(x):>10} -> {ours}   {same}")
        verdict = ("every printed figure matches the post" if self.matches
                   else "some figures differ from the post")
        lines.append(f"=> {verdict} ({len(self.rows)} losses, {len(self.predictions)} predictions)")
        return "\n".join(lines)


def compare_with_post(run: StageRun, *, predictions: bool = True) -> Comparison:
    """Compare the epochs this run logged (and its predictions) with the post's figures."""
    theirs = post_table(run.stage)
    rows = [(e, loss, theirs[e]) for e, loss in run.log.table().items() if e in theirs]
    preds = list(zip(run.predictions(), post_predictions(run.stage))) if predictions else []
    return Comparison(run.stage, rows, preds)


def projected_seconds(run: StageRun, epochs: int = EPOCHS) -> float:
    """The run's time scaled to ``epochs`` epochs (exact when it ran that many)."""
    return run.seconds * epochs / run.epochs


def timing_rows(runs: Mapping[int, StageRun]) -> list[dict]:
    """One row per stage: time for the full run here (projected if shorter) and in the post.

    ``ratio`` and ``post_ratio`` are speed ratios, "× faster than stage 1":
    stage 1's time over the stage's, so above 1 means faster than stage 1.
    """
    if 1 not in runs:
        raise ValueError("timing ratios are relative to stage 1: include a run of stage 1")
    base_here, base_post = projected_seconds(runs[1]), post_seconds(1)
    rows = []
    for stage, run in sorted(runs.items()):
        here = projected_seconds(run)
        rows.append({
            "stage": stage, "framework": STAGES[stage][1], "what": STAGES[stage][2],
            "epochs_run": run.epochs, "projected": run.epochs != EPOCHS,
            # speed ratios, "× faster than stage 1": above 1 is faster
            "seconds": here, "ratio": base_here / here,
            "post_seconds": post_seconds(stage), "post_ratio": base_post / post_seconds(stage),
        })
    return rows


def timing_table(runs: Mapping[int, StageRun]) -> str:
    """The timing rows as text: seconds for 10,000 epochs and "× faster than stage 1".

    Columns are separated by " | " without padding around the numbers, so the
    layout does not shift when a timing has more digits.
    """
    faster = faster_header("stage 1")
    lines = [f"stage | framework | this run, 10,000 epochs | {faster} | the post's run | "
             f"the post's, {faster}"]
    for r in timing_rows(runs):
        here = f"{r['seconds']:.2f} s" + (" (projected)" if r["projected"] else "")
        lines.append(f"{r['stage']} | {r['framework']} | {here} | {format_ratio(r['ratio'])} | "
                     f"{r['post_seconds']:.2f} s | {format_ratio(r['post_ratio'])}")
    return Table("\n".join(lines))


def timing_chart(runs: Mapping[int, StageRun]):
    """Bar chart (log scale) of each stage's time here beside the post's."""
    import matplotlib.pyplot as plt

    rows = timing_rows(runs)
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.bar(x - 0.2, [r["seconds"] for r in rows], 0.4,
           label="this run, one run per stage (hatched: projected)", color="#4c72b0", hatch=None)
    for i, r in enumerate(rows):
        if r["projected"]:
            ax.bar(i - 0.2, r["seconds"], 0.4, color="none", edgecolor="white", hatch="//")
    ax.bar(x + 0.2, [r["post_seconds"] for r in rows], 0.4, label="the post's machine",
           color="#dd8452")
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{r['stage']}\n{r['framework']}" for r in rows])
    ax.set_xlabel("stage of the port")
    ax.set_ylabel("seconds for 10,000 epochs (log scale)")
    ax.set_title("Training time of each stage")
    ax.legend()
    fig.tight_layout()
    return fig


def loss_curves(runs: Mapping[int, StageRun]):
    """Every stage's mean loss per epoch on one log-scale chart."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    styles = {"PyTorch": "-", "JAX": "--"}
    for stage, run in sorted(runs.items()):
        ax.plot(run.log.means, styles[run.framework], lw=1.2,
                label=f"stage {stage} ({run.framework})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error over the epoch (log scale)")
    ax.set_title("Loss curves of every stage")
    ax.legend(ncol=2, fontsize="small")
    fig.tight_layout()
    return fig


def unit_square_grid(points: int = 101) -> np.ndarray:
    """A (points*points, 2) float32 grid over [0, 1]^2, rows varying fastest in x."""
    if not isinstance(points, int) or points < 2:
        raise ValueError(f"points must be an integer of at least 2, got {points!r}")
    xs = np.linspace(0.0, 1.0, points, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def decision_boundary(predict_batch: Callable[[np.ndarray], np.ndarray], ax=None,
                      title: str = "What the trained network computes", points: int = 101):
    """Shade the network's output over the unit square, with the 0.5 contour and the data."""
    import matplotlib.pyplot as plt

    grid = unit_square_grid(points)
    z = np.asarray(predict_batch(grid), dtype=np.float32).reshape(points, points)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, 4))
    else:
        fig = ax.figure
    image = ax.imshow(z, origin="lower", extent=(0, 1, 0, 1), vmin=0, vmax=1, cmap="RdBu_r")
    ax.contour(np.linspace(0, 1, points), np.linspace(0, 1, points), z, levels=[0.5],
               colors="k", linewidths=1)
    for x, y in SAMPLES:
        ax.scatter(*x, s=90, c="white" if y[0] == 0 else "black", edgecolors="k", zorder=3,
                   clip_on=False)
    ax.set_xlabel("input 1")
    ax.set_ylabel("input 2")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="network output")
    return fig
