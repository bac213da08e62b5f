"""Stage 7's variants and evidence: same losses as the stages, the graphs the chapter names."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.xor import compile_report, stage7_variants, stages

# What Dynamo compiles for each variant with the pinned torch, warm-up
# included: (graphs, graph breaks). The chapter's table prints these.
EXPECTED_GRAPHS = {
    "stage 1, eager": (0, 0),
    "stage 7 as the post wrote it": (3, 3),
    "stage 7, grads set to None": (2, 1),
    "... and compiled autograd": (3, 1),
    "stage 1, torch.compile(model)": (1, 0),
}


@pytest.fixture(scope="module")
def results():
    return stage7_variants.measure_all(epochs_per_repeat=3, repeats=2, progress=False)


@pytest.fixture(scope="module")
def references():
    return {n: stages.run(n, 6, echo=False).log.means for n in (1, 7)}


def test_every_variant_is_measured_once(results):
    assert [r.name for r in results] == list(stage7_variants.VARIANTS)
    assert set(EXPECTED_GRAPHS) == set(stage7_variants.VARIANTS)
    for r in results:
        assert len(r.seconds_per_epoch) == 2 and len(r.means) == 6
        assert all(s > 0 for s in r.seconds_per_epoch)


def test_variants_train_the_same_network(results, references):
    for r in results:
        np.testing.assert_allclose(r.means, references[r.reference], rtol=1e-6, atol=0,
                                   err_msg=r.name)


def test_variants_compile_the_graphs_the_chapter_names(results):
    found = {r.name: (r.graphs, r.graph_breaks) for r in results}
    assert found == EXPECTED_GRAPHS
    assert all(r.recompiled_while_timed == 0 for r in results)


def test_table_ratios_are_relative_to_eager_stage_1(results):
    text = stage7_variants.table(results)
    assert text.splitlines()[0].endswith("| × faster than stage 1 (>1 means faster)")
    assert text.splitlines()[1].startswith("stage 1, eager |")
    assert text.splitlines()[1].endswith("| 1×")
    with pytest.raises(ValueError, match="include the 'stage 1, eager' result"):
        stage7_variants.table(results[1:])


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "stage 8"}, "unknown variant 'stage 8'"),
    ({"name": "stage 1, eager", "epochs_per_repeat": 0}, "epochs_per_repeat must be"),
    ({"name": "stage 1, eager", "repeats": 2.0}, "repeats must be"),
    ({"name": "stage 1, eager", "repeats": True}, "repeats must be"),
])
def test_measure_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stage7_variants.measure(**kwargs)


def test_aot_autograd_compiles_a_backward_graph_for_stage_7():
    """The chapter's correction: backward() runs a compiled backward graph."""
    counts = compile_report.aot_graph_counts(epochs=2)
    assert counts.compiled == {"forward": 2, "backward": 2, "inference": 1}
    assert counts.runs == {"forward": 8, "backward": 8, "inference": 8}
    assert "backward  graphs compiled: 2, run 8 times" in repr(counts)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        compile_report.aot_graph_counts(epochs=0)


def test_profile_shows_the_compiled_backward_and_the_eager_zero_grad():
    table, calls = compile_report.profile_epoch(rows=3)
    lines = table.splitlines()
    assert lines[0] == "event | self CPU | share | calls" and len(lines) == 4
    assert max(map(len, lines)) <= 79  # fits the book's column
    assert "<table>" in table._repr_html_()
    assert calls["CompiledFunctionBackward"] == 4
    assert calls["aten::zero_"] == 16
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        compile_report.profile_epoch(rows=0)


def test_compile_report_names_the_failed_guard():
    found = compile_report.report(calls=3)
    assert any(".grad is None" in guard for guard in found.recompiled_because)
    assert any("inplace view on a graph input" in reason for reason in found.graph_breaks)
