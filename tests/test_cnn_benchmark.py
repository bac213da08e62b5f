"""The CNN training-step benchmark: losses agree, table and JSON hold together, bad input is refused.

Tiny budgets only, and no timing is ever asserted.
"""

import json

import pytest

from helpers import cnn_benchmark


@pytest.fixture(scope="module")
def results():
    return cnn_benchmark.run(budget_s=0.2, min_rounds=5)


def test_every_variant_runs_and_matches_eager_losses(results):
    assert [r.name for r in results] == list(cnn_benchmark.VARIANTS)
    reference = results[0].check_losses
    for r in results:
        assert len(r.check_losses) == cnn_benchmark.CHECK_STEPS
        assert r.check_losses == pytest.approx(reference, rel=cnn_benchmark.RTOL,
                                               abs=cnn_benchmark.ATOL)
        assert len(r.times_s) >= 5
    assert results[0].compile_s is None and all(r.compile_s is not None for r in results[1:])


def test_table_has_a_line_per_variant(results):
    text = cnn_benchmark.table(results)
    assert "× faster than PyTorch eager" in text and "torch.set_num_threads(1)" in text
    for name in cnn_benchmark.VARIANTS:
        assert sum(line.startswith(name + " ") for line in text.splitlines()) == 1


def test_json_records_versions_threads_and_times(results):
    data = json.loads(json.dumps(cnn_benchmark.to_json(results)))
    assert {"jax", "torch", "flax", "optax"} <= set(data["setup"]["versions"])
    assert data["setup"]["threads"]["torch_set_num_threads"] == 1
    assert data["reference"] == "pytorch eager"
    for row in data["results"]:
        assert len(row["times_s"]) == row["repeats"] >= 5
        assert set(row) >= {"name", "median_s", "spread_s", "compile_s", "speedup", "speedup_range"}


def test_a_loss_mismatch_is_a_clear_error():
    with pytest.raises(cnn_benchmark.LossMismatch, match="jax.jit's losses"):
        cnn_benchmark.check_losses({"pytorch eager": [2.0, 1.9], "jax.jit": [2.0, 1.8]})


@pytest.mark.parametrize("kwargs, message", [
    ({"budget_s": 0}, "budget_s must be a positive"),
    ({"budget_s": -1.0}, "budget_s must be a positive"),
    ({"variants": ["pytorch eager", "tensorflow"]}, "unknown variant 'tensorflow'"),
    ({"variants": []}, "at most once"),
    ({"min_rounds": 0}, "min_rounds must be a positive integer"),
    ({"threads": 0}, "threads must be a positive integer"),
])
def test_bad_arguments_are_refused_before_anything_runs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cnn_benchmark.run(**kwargs)
