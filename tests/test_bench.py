"""The benchmark's variants compute what their references compute, and the CLI writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from helpers.xor import benchmark, compiled, post_figures, stages, torch_fast
from helpers.xor.problem import EPOCHS, LEARNING_RATE, SEED

XOR = compiled.data()  # the four samples, passed to every compiled call


@pytest.fixture(scope="module")
def stage_runs():
    return {n: stages.run(n, 200, echo=False) for n in (2, 6)}


def test_whole_loop_prints_the_posts_table():
    _, losses = compiled.train(compiled.init_params(SEED), *XOR, LEARNING_RATE, EPOCHS)
    printed = {e: round(float(losses[e]), 6) for e in range(0, EPOCHS, 1000)}
    assert printed == post_figures.post_table(6)


def test_whole_loop_follows_stage_6(stage_runs):
    _, losses = compiled.train(compiled.init_params(SEED), *XOR, LEARNING_RATE, 200)
    np.testing.assert_allclose(losses, stage_runs[6].log.means, rtol=1e-6)


def test_vmapped_networks_match_single_runs():
    seeds = [SEED, 3, 11]
    _, many = compiled.train_many(compiled.stack_params(seeds), *XOR, np.full(3, LEARNING_RATE), 300)
    for row, seed in zip(np.asarray(many), seeds):
        _, single = compiled.train(compiled.init_params(seed), *XOR, LEARNING_RATE, 300)
        np.testing.assert_allclose(row, single, atol=1e-6)


def test_epochs_to_reach():
    losses = np.array([[0.3, 0.2, 0.005, 0.001], [0.3, 0.3, 0.3, 0.3]])
    assert compiled.epochs_to_reach(losses, 0.01).tolist() == [2, -1]
    with pytest.raises(ValueError, match="at least one seed"):
        compiled.stack_params([])


def test_stacked_params_are_the_single_inits_stacked():
    stacked = compiled.stack_params([SEED, 0, 7])
    for index, seed in enumerate([SEED, 0, 7]):
        single = compiled.init_params(seed)
        for got, want in zip(jax.tree.leaves(stacked), jax.tree.leaves(single)):
            np.testing.assert_array_equal(got[index], want)


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
    assert results.skipped == [{"name": "needs a feature", "reason": "this torch lacks it"}]


def _fake(name, log, seconds=0.0, **kwargs):
    """A variant that records each call in ``log`` and returns a fixed loss."""
    def prepare(epochs, networks):
        def call():
            log.append(name)
            time.sleep(seconds)
            return 0.5

        return call

    return benchmark.Variant(name, "PyTorch", 1, 10, 10, prepare, **kwargs)


def test_only_optional_variants_may_fail_and_the_error_is_recorded():
    def broken(epochs, networks):
        raise NotImplementedError("scan of grad is not supported\nmore detail")

    optional = benchmark.Variant("optional", "PyTorch", 1, 10, 10, broken, available=lambda: (True, ""))
    required = benchmark.Variant("required", "PyTorch", 1, 10, 10, broken)
    said = []
    results = benchmark.run_variants([(optional, 10, None)], repeats=1, progress=said.append)
    assert list(results) == []
    reason = "it failed on this installation (NotImplementedError: scan of grad is not supported)"
    assert results.skipped == [{"name": "optional", "reason": reason}]
    assert said[0] == f"skipping optional: {reason}"
    assert "optional | skipped: " + reason in benchmark.table(results)
    with pytest.raises(NotImplementedError):
        benchmark.run_variants([(required, 10, None)], repeats=1)


def test_variants_are_timed_interleaved_after_all_first_calls():
    log = []
    plan = [(_fake(n, log), 10, None) for n in "ABC"]
    results = benchmark.run_variants(plan, repeats=3)
    assert log[:3] == ["A", "B", "C"]  # first calls (compilation), then rounds
    rounds = [log[i:i + 3] for i in range(3, 12, 3)]
    assert rounds == [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]]  # each round starts further on
    assert [len(r.times_s) for r in results] == [3, 3, 3]


def test_fast_variants_repeat_until_the_budget_is_spent(monkeypatch):
    log = []
    fast, slow = _fake("fast", log), _fake("slow", log)

    def fixed_time(call):  # durations fixed by name: the test must not depend on the machine's load
        loss = call()
        return (0.05 if log[-1] == "slow" else 1e-6), loss

    monkeypatch.setattr(benchmark, "_time", fixed_time)
    results = benchmark.run_variants([(fast, 10, None), (slow, 10, None)], budget_s=0.1)
    by_name = {r.name: r for r in results}
    assert len(by_name["fast"].times_s) == benchmark.MAX_REPEATS
    assert len(by_name["slow"].times_s) == benchmark.MIN_REPEATS  # 0.1 s budget / 0.05 s < 5
    with pytest.raises(ValueError, match="budget_s must be a positive number"):
        benchmark.run_variants([(fast, 10, None)], budget_s=0)


def test_eager_variants_have_no_compile_time_and_spread_is_kept():
    eager = benchmark.Result("stage 1: x", "PyTorch", 1, 10, (1.0, 2.0, 4.0), 9.0, False, True, 0.1, 4.0)
    jitted = benchmark.Result("y", "JAX", 2, 10, (0.25, 0.5, 1.0), 3.0, True, True, 0.1, 0.1)
    assert eager.compile_seconds is None and jitted.compile_seconds == 2.5
    assert eager.run_seconds == 2.0 and eager.spread_per_network_epoch == (0.1, 0.4)
    benchmark.add_speedups([eager, jitted])
    assert eager.speedup_vs_stage_1 == 1.0
    assert jitted.speedup_vs_stage_1 == pytest.approx(0.2 / 0.025)  # >1: faster than stage 1
    assert jitted.speedup_range == pytest.approx((0.1 / 0.05, 0.4 / 0.0125))
    text = benchmark.table([eager, jitted])
    assert "× faster than stage 1 (>1 means faster)" in text.splitlines()[0]
    assert "— (eager)" in text.splitlines()[1] and "first call +2.5 s" in text.splitlines()[2]
    assert "200 ms (100 ms–400 ms), 3" in text
    assert "200 ms (100 ms–400 ms) |" in benchmark.table([eager], calls=False)
    aot = benchmark.Result("z", "JAX", 1, 10, (1.0,), 5.0, True, False, 0.1, 0.1, 0.25, 0.5)
    assert aot.compile_seconds == 0.75  # ahead of time: trace+lower plus compile, not the first call
    assert "trace+lower 250 ms, compile 500 ms" in benchmark.table([aot])


def _reference_final_loss(name: str, epochs: int) -> float:
    """What each variant must compute: the stage it follows, or one network trained alone."""
    if name.startswith("stage"):
        return stages.run(int(name.split()[1].rstrip(":")), epochs, echo=False).log.means[-1]
    if name.startswith("PyTorch"):  # every PyTorch variant follows stage 2, first network = seed 0
        seed = 0 if "x1024" in name else SEED
        return float(torch_fast.train(epochs, compiled=False, seed=seed)[1][-1])
    seed = 0 if "1024" in name else SEED
    return float(compiled.train(compiled.init_params(seed), *XOR, LEARNING_RATE, epochs)[1][-1])


@pytest.mark.parametrize("variant", benchmark.VARIANTS, ids=lambda v: v.name)
def test_every_variant_computes_its_references_losses(variant):
    if variant.available is not None and not variant.available()[0]:
        pytest.skip(variant.available()[1])
    epochs = 3
    call = variant.prepare(epochs, min(2, variant.networks))
    np.testing.assert_allclose(call(), _reference_final_loss(variant.name, epochs), rtol=1e-5)


def test_torch_vmap_matches_single_runs():
    many = torch_fast.train_many([SEED, 5], 50)
    for row, seed in zip(many, [SEED, 5]):
        np.testing.assert_allclose(row, torch_fast.train(50, compiled=False, seed=seed)[1], rtol=1e-6)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        torch_fast.train(0)


def test_pytorch_best_batched_variants_match_eager_vmap():
    """Compiled vmap and the hand-batched bmm ensemble train every network as vmap does."""
    seeds = [SEED, 5, 11]
    reference = torch_fast.train_many(seeds, 20)
    np.testing.assert_allclose(torch_fast.train_many_compiled(seeds, 20), reference, rtol=1e-5)
    np.testing.assert_allclose(torch_fast.train_many_batched(seeds, 20), reference, rtol=1e-5)
    with pytest.raises(ValueError, match="needs at least one seed"):
        torch_fast.stacked_params([])


def test_measure_a_variant_alone():
    variant = next(v for v in benchmark.VARIANTS if "lax.scan" in v.name)
    result = benchmark.measure(variant, 100, repeats=2)
    assert result.epochs == 100 and result.projected and result.networks == 1
    assert len(result.times_s) == 2 and result.compile_seconds >= 0
    assert result.trace_lower_s > 0 and result.backend_compile_s > 0
    assert result.full_run_seconds == pytest.approx(result.run_seconds * 100)
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        benchmark.measure(variant, 10, repeats=0)
    with pytest.raises(ValueError, match="no variant name contains"):
        benchmark.run_all(only="no such variant")


def test_quick_runs_a_few_sequential_networks_and_marks_them_projected():
    variant = next(v for v in benchmark.VARIANTS if "one by one" in v.name)
    result = benchmark.measure(variant, 10, repeats=1, networks=2)
    assert result.networks == 2 and result.projected and result.syncs_per_epoch == 2 / 10
    for bad in (0, variant.networks + 1, True):
        with pytest.raises(ValueError, match="networks must be an integer from 1"):
            benchmark.measure(variant, 10, networks=bad)


def _bench(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd or benchmark.__file__.rsplit("/helpers/", 1)[0])


def test_cli_writes_json_with_setup_and_spread_and_compares_runs(tmp_path):
    out = tmp_path / "results.json"
    result = _bench("--only", "whole loop (lax.scan)", "--repeats", "2", "--json", str(out))
    assert result.returncode == 0, result.stderr
    run = json.loads(out.read_text())
    assert [r["name"] for r in run["results"]] == ["JAX whole loop (lax.scan)"]
    row = run["results"][0]
    for field in ("times_s", "spread_per_network_epoch", "seconds_per_network_epoch",
                  "compile_seconds", "trace_lower_s", "backend_compile_s", "syncs_per_epoch",
                  "speedup_vs_stage_1", "repeats"):
        assert field in row
    assert len(row["times_s"]) == 2 and row["speedup_vs_stage_1"] is None  # no stage 1 in this run
    assert run["setup"]["threads"]["torch_intra_op"] == 1
    assert "--xla_cpu_multi_thread_eigen=false" in run["setup"]["threads"]["xla_flags"].split()
    assert set(run["setup"]["versions"]) >= {"jax", "torch", "numpy"}
    compared = _bench("--compare", str(out), str(out))
    assert compared.returncode == 0, compared.stderr
    assert compared.stdout.splitlines()[-1].endswith("| 1×")  # a run against itself


def test_cli_times_the_cnn_step_too(tmp_path):
    out = tmp_path / "results.json"
    result = _bench("--only", "whole loop (lax.scan)", "--repeats", "2", "--cnn", "--cnn-budget", "0.5",
                    "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "The digits CNN: one training step, four ways" in result.stdout
    cnn = json.loads(out.read_text())["cnn"]
    assert {r["name"] for r in cnn["results"]} == {"pytorch eager", "pytorch compile", "jax.jit", "nnx.jit"}


def test_cli_rejects_bad_arguments(tmp_path):
    result = _bench("--device", "xpu")
    assert result.returncode == 2 and "invalid choice: 'xpu'" in result.stderr
    result = _bench("--cnn", "--cnn-budget", "0")
    assert result.returncode == 2 and "--cnn-budget must be a positive number" in result.stderr
    not_a_run = tmp_path / "other.json"
    not_a_run.write_text("[]")
    result = _bench("--compare", str(not_a_run), str(not_a_run))
    assert result.returncode == 2 and "is not a benchmark JSON" in result.stderr


def test_run_all_accepts_several_name_filters():
    results = benchmark.run_all(quick=True, repeats=1, only=["JAX whole loop", "stage 6"], progress=None)
    assert [r.name for r in results] == ["stage 6: JAX, one jitted train_step", "JAX whole loop (lax.scan)"]
    assert results.by_name("stage 6").syncs_per_epoch == 4
    with pytest.raises(ValueError, match="no variant name contains"):
        benchmark.run_all(only=["no such", "variant either"], progress=None)


def test_jax_control_loops_over_one_jitted_epoch_and_matches_the_whole_loop():
    params = compiled.init_params(SEED)
    _, whole = compiled.train(params, *XOR, LEARNING_RATE, 200)
    _, per_epoch = compiled.train_per_epoch(params, *XOR, LEARNING_RATE, 200)
    np.testing.assert_allclose(per_epoch, whole, rtol=1e-6)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        compiled.train_per_epoch(params, *XOR, LEARNING_RATE, 0)


def test_hlo_op_counts_see_the_epochs_loop():
    params = compiled.init_params(SEED)
    one = compiled.hlo_op_counts(compiled.one_epoch.lower(params, *XOR, LEARNING_RATE).compile().as_text())
    whole = compiled.hlo_op_counts(compiled.train.lower(params, *XOR, LEARNING_RATE, 10).compile().as_text())
    assert one["while"] == 1 and whole["while"] == 2  # the samples' scan; and the epochs' scan
    assert one["fusion"] >= 1 and one["dot"] >= 1
    assert compiled.hlo_op_counts("ENTRY %main {\n  ROOT %t = (f32[]) tuple(f32[] %p)\n}") == {"tuple": 1}


def test_several_epochs_per_compiled_call_follow_stage_2(stage_runs):
    """Two blocks of two unrolled epochs, then one left over (Dynamo's graph, run without Inductor)."""
    _, means = torch_fast.train_blocks(5, per_call=2, backend="eager")
    np.testing.assert_allclose(means, stage_runs[2].log.means[:5], rtol=1e-6)
    with pytest.raises(ValueError, match="per_call must be a positive integer"):
        torch_fast.train_blocks(5, per_call=0)


def test_quick_leaves_out_slow_compiles_saying_so():
    results = benchmark.run_all(quick=True, repeats=1, only="per compiled call", progress=None)
    assert list(results) == []
    assert results.skipped == [{"name": f"PyTorch functional, {benchmark.EPOCHS_PER_CALL} epochs per "
                                        "compiled call",
                                "reason": "left out of quick runs: slow to compile "
                                          "(python -m bench --slow-compiles runs it)"}]


def test_profile_of_the_compiled_epoch_counts_calls_per_epoch():
    rows = {name: (calls, seconds) for name, calls, seconds in torch_fast.profile_compiled_epoch(5)}
    assert rows["TorchDynamo Cache Lookup"][0] == 1
    assert [calls for name, (calls, _) in rows.items() if name.startswith("## Call CompiledFxGraph")] == [1]
    assert rows["aten::mm"][0] == 12  # three matmuls per sample, called out of the graph
    assert all(seconds >= 0 for _, seconds in rows.values())


def test_inductor_cache_text():
    run = {"first_call_s": 2.0, "fxgraph_cache_hits": 0, "fxgraph_cache_misses": 1}
    cache = {"variant": "v", "epochs": 10, "cold": run,
             "warm": run | {"first_call_s": 0.5, "fxgraph_cache_hits": 1, "fxgraph_cache_misses": 0}}
    assert benchmark.cache_text(cache).splitlines() == [
        "  cold: first call 2 s (0 FX-graph cache hits, 1 misses), v, 10 epochs",
        "  warm: first call 500 ms (1 FX-graph cache hits, 0 misses), v, 10 epochs"]
