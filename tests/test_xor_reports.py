"""The XOR chapter's reports, profiler and explorer: same numbers, clear errors."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from helpers.xor import explore, profile, report, stages


@pytest.fixture(scope="module")
def short_runs():
    return {n: stages.run(n, 30, echo=False) for n in (1, 6)}


def test_explorer_follows_stage_6(short_runs):
    """The scan-compiled explorer trains the same network as stage 6's loop."""
    _, losses = explore.train(0.1, 30, 42, 2)
    np.testing.assert_allclose(losses, short_runs[6].log.means, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0}, "learning_rate must be"),
    ({"learning_rate": "0.1"}, "learning_rate must be"),
    ({"epochs": 0}, "epochs must be"),
    ({"epochs": 10.0}, "epochs must be"),
    ({"seed": -1}, "seed must be"),
    ({"hidden": 0}, "hidden must be"),
    ({"hidden": True}, "hidden must be"),
])
def test_explorer_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explore.train(**kwargs)


def test_explorer_accepts_other_widths():
    params, losses = explore.train(0.5, 5, 3, 5)
    assert params[0]["w"].shape == (5, 2) and params[1]["w"].shape == (1, 5)
    assert explore.predict_batch(params, report.unit_square_grid(3)).shape == (9,)


def test_comparison_reports_matches_and_mismatches(short_runs):
    comparison = report.compare_with_post(short_runs[1], predictions=False)
    assert comparison.rows == [(0, short_runs[1].log.means[0], 0.279327)]
    assert comparison.matches
    assert "every printed figure matches" in repr(comparison)
    comparison.rows[0] = (0, 0.5, 0.279327)
    assert not comparison.matches and "NO" in repr(comparison)


def test_timing_rows_project_short_runs_and_need_stage_1(short_runs):
    rows = report.timing_rows(short_runs)
    assert [r["stage"] for r in rows] == [1, 6]
    assert all(r["projected"] for r in rows)
    assert rows[0]["ratio"] == 1.0 and rows[1]["post_ratio"] == pytest.approx(4.154 / 2.432)
    assert rows[1]["seconds"] == pytest.approx(short_runs[6].seconds * 10_000 / 30)
    table = report.timing_table(short_runs).splitlines()
    assert sum("(projected)" in line for line in table) == 2
    assert table[0].endswith("| the post's run | the post's, × faster than stage 1 (>1 means faster)")
    assert table[1].startswith("1 | ") and table[1].endswith("| 1×")  # the reference
    assert table[2].endswith("| 2.43 s | 1.71×")  # the post's stage 6: 4.154 s / 2.432 s
    with pytest.raises(ValueError, match="include a run of stage 1"):
        report.timing_rows({6: short_runs[6]})


@pytest.mark.parametrize("points", [1, 0, 2.5])
def test_grid_needs_two_points(points):
    with pytest.raises(ValueError, match="points must be an integer of at least 2"):
        report.unit_square_grid(points)


def test_grid_covers_the_unit_square():
    grid = report.unit_square_grid(3)
    assert grid.dtype == np.float32 and grid.shape == (9, 2)
    assert grid.min() == 0.0 and grid.max() == 1.0


def test_step_breakdown_covers_jax_stages_only():
    parts = profile.step_breakdown(6, epochs=2)
    assert list(parts) == list(profile.PARTS) and all(v > 0 for v in parts.values())
    with pytest.raises(ValueError, match="covers the JAX stages"):
        profile.step_breakdown(1)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        profile.step_breakdown(6, epochs=0)


def test_loop_fixes_change_speed_not_results():
    assert profile.same_result_for_every_loop(epochs=5)


def test_time_interleaved_warms_then_runs_each_loop_in_turn():
    calls = []

    def loop(name):
        def run(params, epochs):
            calls.append((name, epochs))
            return params
        return run

    timed = profile.time_interleaved({"a": loop("a"), "b": loop("b")}, epochs=3, repeats=2)
    assert calls == [("a", 1), ("b", 1), ("a", 3), ("b", 3), ("a", 3), ("b", 3)]
    assert list(timed) == ["a", "b"]
    for median, fastest, slowest in timed.values():
        assert fastest <= median <= slowest


@pytest.mark.parametrize("arguments", [{"epochs": 0}, {"epochs": 2.0}, {"epochs": 1, "repeats": True}])
def test_time_interleaved_needs_positive_counts(arguments):
    with pytest.raises(ValueError, match="must be a positive integer"):
        profile.time_interleaved(profile.LOOPS, **arguments)


def test_gradient_controls_train_the_same_network():
    """Stages 4 to 6 and the control differ in where the gradient is computed, not in what it is."""
    assert list(profile.GRADIENT_CONTROLS) == [
        "stage 4: all eager", "stage 5: grad of a jitted mse",
        "control: jit(value_and_grad), update apart", "stage 6: one jitted step"]
    start = profile._initial_params(stages.module(6))
    reference, _ = profile.loop_no_sync(start, 3)
    for name, loop in profile.GRADIENT_CONTROLS.items():
        ended = loop(start, 3)
        # rtol 1e-6: eager and jitted float32 may round differently (XLA fusion)
        for a, b in zip(jax.tree.leaves(ended), jax.tree.leaves(reference)):
            np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)


def test_compile_report_needs_two_calls():
    compile_report = pytest.importorskip("helpers.xor.compile_report")
    with pytest.raises(ValueError, match="calls must be an integer of at least 2"):
        compile_report.report(calls=1)


def test_compile_report_finds_the_graph_breaks():
    """What the chapter explains about stage 7 is what torch.compile does (pinned torch)."""
    compile_report = pytest.importorskip("helpers.xor.compile_report")
    found = compile_report.report(calls=3)
    assert found.unique_graphs == 3
    assert "Unsupported Tensor.backward() call" in found.graph_breaks
    assert found.skipped_functions == ["zero_grad"]
    explanation = compile_report.explain()
    assert (explanation.graph_count, explanation.graph_break_count) == (2, 1)
