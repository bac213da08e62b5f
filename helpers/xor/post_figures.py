"""The figures printed in the post "On first looking into JAX", quoted for comparison.

Source: Giles Thomas, "On first looking into JAX", 2026-05-30,
https://www.gilesthomas.com/2026/05/on-first-looking-into-jax
Only the printed numbers are quoted here; the book's code is its own.
"""

from __future__ import annotations

POST_URL = "https://www.gilesthomas.com/2026/05/on-first-looking-into-jax"

_TORCH_TABLE_STAGE_1 = (0.279327, 0.254715, 0.254279, 0.253985, 0.253649,
                        0.251566, 0.189219, 0.030093, 0.006666, 0.003516)
_TORCH_TABLE_STAGE_2 = (0.279327, 0.254715, 0.254279, 0.253985, 0.253649,
                        0.251566, 0.189219, 0.030091, 0.006665, 0.003516)
_TORCH_TABLE_STAGE_3 = (0.279327, 0.254715, 0.254279, 0.253985, 0.253649,
                        0.251566, 0.189218, 0.030092, 0.006665, 0.003516)
_TORCH_TABLE_STAGE_7 = (0.279327, 0.254715, 0.254279, 0.253985, 0.253649,
                        0.251566, 0.189218, 0.030091, 0.006665, 0.003516)
_JAX_TABLE = (0.267455, 0.247348, 0.061305, 0.008652, 0.004108,
              0.002627, 0.001912, 0.001496, 0.001224, 0.001034)

_TORCH_PREDICTIONS = ("tensor([0.0483])", "tensor([0.9567])",
                      "tensor([0.9425])", "tensor([0.0434])")
_JAX_PREDICTIONS_EAGER = ("Array([0.03008602], dtype=float32)", "Array([0.97214633], dtype=float32)",
                          "Array([0.96557194], dtype=float32)", "Array([0.02664344], dtype=float32)")
_JAX_PREDICTIONS_JIT = ("Array([0.03008603], dtype=float32)", "Array([0.97214633], dtype=float32)",
                        "Array([0.96557194], dtype=float32)", "Array([0.02664347], dtype=float32)")

# stage -> (loss at epochs 0, 1000, ..., 9000; the four printed predictions;
#           "Trained in" seconds on the author's machine)
POST: dict[int, tuple[tuple[float, ...], tuple[str, ...], float]] = {
    1: (_TORCH_TABLE_STAGE_1, _TORCH_PREDICTIONS, 4.154),
    2: (_TORCH_TABLE_STAGE_2, _TORCH_PREDICTIONS, 3.806),
    3: (_TORCH_TABLE_STAGE_3, _TORCH_PREDICTIONS, 3.504),
    4: (_JAX_TABLE, _JAX_PREDICTIONS_EAGER, 104.540),
    5: (_JAX_TABLE, _JAX_PREDICTIONS_JIT, 27.663),
    6: (_JAX_TABLE, _JAX_PREDICTIONS_JIT, 2.432),
    7: (_TORCH_TABLE_STAGE_7, _TORCH_PREDICTIONS, 6.688),
}


def post_table(stage: int) -> dict[int, float]:
    """The post's loss table for a stage, as {epoch: loss}."""
    losses, _, _ = POST[stage]
    return {1000 * i: loss for i, loss in enumerate(losses)}


def post_predictions(stage: int) -> tuple[str, ...]:
    """The post's four printed predictions for a stage, as printed."""
    return POST[stage][1]


def post_seconds(stage: int) -> float:
    """The post's "Trained in" time for a stage, in seconds (author's machine)."""
    return POST[stage][2]
