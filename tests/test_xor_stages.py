"""Each stage of the XOR port reproduces the post's printed figures exactly.

These run the same stage modules the chapter shows, for the full 10,000
epochs, and compare with the numbers quoted in helpers.xor.post_figures.
"""

from __future__ import annotations

import pytest

from helpers.xor import post_figures, stages
from helpers.xor.problem import EPOCHS
from helpers.xor.record import EpochLog


@pytest.fixture(scope="module")
def full_runs():
    """Every stage trained once for the full run, shared by the tests below."""
    return {n: stages.run(n, EPOCHS, echo=False) for n in stages.STAGES}


@pytest.mark.parametrize("stage", sorted(stages.STAGES))
def test_loss_table_matches_the_post(full_runs, stage):
    run = full_runs[stage]
    printed = {epoch: round(loss, 6) for epoch, loss in run.log.table().items()}
    assert printed == post_figures.post_table(stage)


@pytest.mark.parametrize("stage", sorted(stages.STAGES))
def test_predictions_match_the_post(full_runs, stage):
    run = full_runs[stage]
    # Compared as printed: PyTorch shows four decimals, JAX a float32's eight digits.
    assert run.predictions() == list(post_figures.post_predictions(stage))


def test_jit_changes_the_last_digits_of_the_eager_port(full_runs):
    """Stage 4 (eager) and stage 5 (jit) print the same table but are not bitwise equal."""
    eager, jitted = full_runs[4].log.means, full_runs[5].log.means
    assert eager[:10] == jitted[:10]
    assert eager != jitted
    assert max(abs(a - b) for a, b in zip(eager, jitted)) < 1e-6


def test_stage_5_and_stage_6_are_bitwise_identical(full_runs):
    assert full_runs[5].log.means == full_runs[6].log.means


def test_loss_at_end_in_the_post_is_really_epoch_9000(full_runs):
    """The post prints "Loss at end" from the last logged epoch, not the last epoch."""
    run = full_runs[1]
    assert round(run.log.table()[9000], 6) == 0.003516
    assert round(run.log.means[-1], 6) < 0.003516


def test_epoch_log_validates_its_calls():
    log = EpochLog(echo=False)
    log(0, [1.0, 3.0])
    assert log.means == [2.0]
    with pytest.raises(ValueError, match="expected epoch 1 but got 5"):
        log(5, [1.0])
    with pytest.raises(ValueError, match="no losses"):
        log(1, [])


@pytest.mark.parametrize("bad", [0, 8, "1", 1.0, True])
def test_unknown_stage_is_rejected(bad):
    with pytest.raises(ValueError, match=r"stage must be one of \[1, 2, 3, 4, 5, 6, 7\]"):
        stages.run(bad, 1)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10"])
def test_bad_epoch_count_is_rejected(bad):
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        stages.run(6, bad)
