"""compare_outputs: what another stack prints differently, after masking what varies anyway."""

from __future__ import annotations

from compare_outputs import MAX_PER_CHAPTER, differences


def notebook(*printed: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "source": "text"}] + [
        {"cell_type": "code", "source": "", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": text}]} for text in printed]}


def test_equal_outputs_and_masked_timings_are_not_differences():
    assert differences(notebook("a\nb\n", "took 3.2 s"), notebook("a\nb\n", "took 41 ms")) == []


def test_a_changed_line_is_reported_with_its_cell():
    found = differences(notebook("same", "JitTracer(float32[2])\nend"),
                        notebook("same", "JitTracer<float32[2]>\nend"))
    assert found == [{"cell": 2, "stored": "JitTracer(float32[2])", "here": "JitTracer<float32[2]>"}]


def test_results_and_errors_count_but_widgets_and_figures_do_not():
    stored = {"cells": [{"cell_type": "code", "source": "", "outputs": [
        {"output_type": "execute_result", "data": {"text/plain": "Array(1., dtype=float32)"}},
        {"output_type": "display_data", "data": {"image/png": "x", "text/plain": "<Figure 1>"}},
        {"output_type": "error", "ename": "TypeError", "evalue": "bad", "traceback": []}]}]}
    here = {"cells": [{"cell_type": "code", "source": "", "outputs": [
        {"output_type": "display_data", "data": {"text/plain": "Array(1., dtype=float32)"}},
        {"output_type": "display_data", "data": {"image/png": "y", "text/plain": "<Figure 2>"}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}]}]}
    assert differences(stored, here) == [{"cell": 1, "stored": "TypeError: bad", "here": "ValueError: bad"}]


def test_the_list_is_capped():
    many = [str(i) for i in range(40)]
    assert len(differences(notebook(*many), notebook(*(s + "!" for s in many)))) == MAX_PER_CHAPTER


def test_cells_whose_output_varies_anyway_are_not_compared():
    stored, here = notebook("a table of timings"), notebook("another table")
    stored["cells"][1]["metadata"] = {"tags": ["nbval-ignore-output"]}
    assert differences(stored, here) == []
