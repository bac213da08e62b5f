"""helpers.progress: bars whose text does not change from run to run."""

from __future__ import annotations

import pytest

from helpers.progress import stable_bar


def test_bar_text_has_count_unit_and_postfix_but_no_rate():
    bar = stable_bar(10, "training", "steps")
    try:
        bar.update(3)
        bar.set_postfix_str("loss 0.5")
        text = str(bar)
    finally:
        bar.close()
    assert text.startswith("training:  30%|") and "3/10 steps" in text and text.endswith("loss 0.5")
    assert "it/s" not in text and "<" not in text  # no rate, no time remaining


@pytest.mark.parametrize("total", [0, -1, 2.5, True])
def test_bar_rejects_bad_totals(total):
    with pytest.raises(ValueError, match="positive integer"):
        stable_bar(total, "x", "steps")
