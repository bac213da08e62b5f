"""The benchmark's variants compute what their references compute, and the CLI writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from helpers.xor import benchmark, compiled, post_figures, stages, torch_fast
from helpers.xor.problem import EPOCHS, LEARNING_RATE, SEED


@pytest.fixture(scope="module")
def stage_runs():
    return {n: stages.run(n, 200, echo=False) for n in (2, 6)}


def test_whole_loop_prints_the_posts_table():
    _, losses = compiled.train(compiled.init_params(SEED), LEARNING_RATE, EPOCHS)
    printed = {e: round(float(losses[e]), 6) for e in range(0, EPOCHS, 1000)}
    assert printed == post_figures.post_table(6)


def test_whole_loop_follows_stage_6(stage_runs):
    _, losses = compiled.train(compiled.init_params(SEED), LEARNING_RATE, 200)
    np.testing.assert_allclose(losses, stage_runs[6].log.means, rtol=1e-6)


def test_vmapped_networks_match_single_runs():
    seeds = [SEED, 3, 11]
    _, many = compiled.train_many(compiled.stack_params(seeds), np.full(3, LEARNING_RATE), 300)
    for row, seed in zip(np.asarray(many), seeds):
        _, single = compiled.train(compiled.init_params(seed), LEARNING_RATE, 300)
        np.testing.assert_allclose(row, single, atol=1e-6)


def test_epochs_to_reach():
    losses = np.array([[0.3, 0.2, 0.005, 0.001], [0.3, 0.3, 0.3, 0.3]])
    assert compiled.epochs_to_reach(losses, 0.01).tolist() == [2, -1]
    with pytest.raises(ValueError, match="at least one seed"):
        compiled.stack_params([])


def test_functional_pytorch_follows_stage_2(stage_runs):
    _, eager = torch_fast.train(200, compiled=False)
    np.testing.assert_allclose(eager, stage_runs[2].log.means, rtol=1e-6)


def test_compiled_functional_pytorch_has_no_graph_break(stage_runs):
    """fullgraph=True makes any graph break an error, so this also proves one graph per epoch."""
    _, fast = torch_fast.train(100, compiled=True)
    np.testing.assert_allclose(fast, stage_runs[2].log.means[:100], rtol=1e-6)


def test_pytorch_scan_loop_follows_stage_2(stage_runs):
    """The experimental-scan loop, eager and compiled, trains exactly as stage 2 does."""
    for compiled_loop in (False, True):
        _, means = torch_fast.train_scan(100, compiled=compiled_loop)
        np.testing.assert_allclose(means, stage_runs[2].log.means[:100], rtol=1e-6)


def test_pytorch_scan_loop_says_when_torch_lacks_scan(monkeypatch):
    monkeypatch.setattr(torch_fast, "scan_available", lambda: (False, "torch 0.0 has no scan"))
    with pytest.raises(RuntimeError, match="torch 0.0 has no scan; .*needs a newer torch"):
        torch_fast.train_scan(10)


def test_unavailable_variants_are_skipped_saying_why(monkeypatch):
    missing = benchmark.Variant("needs a feature", "PyTorch", 1, 10, 10,
                                lambda epochs, networks: pytest.fail("must not be prepared"),
                                available=lambda: (False, "this torch lacks it"))
    monkeypatch.setattr(benchmark, "VARIANTS", (missing, *benchmark.VARIANTS))
    said = []
    results = benchmark.run_all(quick=True, repeats=1, only=["needs a feature", "whole loop (lax"],
                                progress=said.append)
    assert [r.name for r in results] == ["JAX whole loop (lax.scan)"]
    assert said[0] == "skipping needs a feature: this torch lacks it"


def test_only_optional_variants_may_fail(monkeypatch):
    def broken(epochs, networks):
        raise NotImplementedError("scan of grad is not supported\nmore detail")

    optional = benchmark.Variant("optional", "PyTorch", 1, 10, 10, broken, available=lambda: (True, ""))
    required = benchmark.Variant("required", "PyTorch", 1, 10, 10, broken)
    monkeypatch.setattr(benchmark, "VARIANTS", (optional, required))
    said = []
    assert benchmark.run_all(only="optional", progress=said.append) == []
    assert said[-1] == ("skipping optional: it failed on this installation "
                        "(NotImplementedError: scan of grad is not supported)")
    with pytest.raises(NotImplementedError):
        benchmark.run_all(only="required", progress=None)


def test_torch_vmap_matches_single_runs():
    many = torch_fast.train_many([SEED, 5], 50)
    for row, seed in zip(many, [SEED, 5]):
        np.testing.assert_allclose(row, torch_fast.train(50, compiled=False, seed=seed)[1], rtol=1e-6)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        torch_fast.train(0)


def test_measure_and_speedups():
    variant = next(v for v in benchmark.VARIANTS if "lax.scan" in v.name)
    result = benchmark.measure(variant, 100, repeats=2)
    assert result.epochs == 100 and result.projected and result.networks == 1
    assert result.run_seconds > 0 and result.compile_seconds >= 0
    assert result.full_run_seconds == pytest.approx(result.run_seconds * 100)
    base = benchmark.Result("stage 1: x", "PyTorch", 1, 10, 0.0, 1.0, True, 0.1)
    benchmark.add_speedups([base, result])
    assert base.speedup_vs_pytorch_eager == 1.0
    assert result.speedup_vs_pytorch_eager == pytest.approx(0.1 / result.seconds_per_network_epoch)
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        benchmark.measure(variant, 10, repeats=0)
    with pytest.raises(ValueError, match="no variant name contains"):
        benchmark.run_all(only="no such variant")


def test_quick_runs_a_few_sequential_networks_and_marks_them_projected():
    variant = next(v for v in benchmark.VARIANTS if "one by one" in v.name)
    result = benchmark.measure(variant, 10, repeats=1, networks=2)
    assert result.networks == 2 and result.projected
    for bad in (0, variant.networks + 1, True):
        with pytest.raises(ValueError, match="networks must be an integer from 1"):
            benchmark.measure(variant, 10, networks=bad)


def test_cli_writes_json(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "whole loop (lax.scan)", "--repeats", "1",
         "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=benchmark.__file__.rsplit("/helpers/", 1)[0])
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert [r["name"] for r in rows] == ["JAX whole loop (lax.scan)"]
    for field in ("name", "framework", "epochs", "compile_seconds", "run_seconds",
                  "speedup_vs_pytorch_eager"):
        assert field in rows[0]


def test_cli_rejects_bad_arguments():
    result = subprocess.run([sys.executable, "-m", "bench", "--device", "xpu"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid choice: 'xpu'" in result.stderr


def test_run_all_accepts_several_name_filters():
    results = benchmark.run_all(quick=True, repeats=1, only=["JAX whole loop", "stage 6"], progress=None)
    assert [r.name for r in results] == ["stage 6: JAX, one jitted train_step", "JAX whole loop (lax.scan)"]
    with pytest.raises(ValueError, match="no variant name contains"):
        benchmark.run_all(only=["no such", "variant either"], progress=None)
