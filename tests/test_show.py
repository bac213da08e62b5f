"""helpers.show: source and diffs come from the modules themselves."""

from __future__ import annotations

import pytest

from helpers import show
from helpers.xor import problem, stages


def test_source_is_the_module_text():
    src = show.Source(problem)
    assert src.text == open(problem.__file__).read()
    assert "LEARNING_RATE = 0.1" in repr(src)
    assert "<pre>" in src._repr_html_()


def test_source_rejects_objects_without_source():
    with pytest.raises(TypeError, match="cannot show the source"):
        show.Source(42)


def test_diff_counts_and_colours_lines():
    diff = show.Diff("a\nb\nc\n", "a\nB\nc\nd\n")
    assert (diff.added, diff.removed) == (2, 1)
    html = diff._repr_html_()
    assert "2 lines added, 1 removed" in html
    assert "rgba(46,160,67" in html and "rgba(248,81,73" in html
    assert "+B" in repr(diff)


def test_identical_texts_have_no_diff():
    assert repr(show.Diff("x\n", "x\n")) == "(no differences)"


def test_diff_between_stage_modules_is_small():
    diff = show.Diff.of(stages.module(5), stages.module(6))
    assert 0 < diff.added < 20


def test_diff_lines_are_single_spaced_blocks():
    """A newline after a display:block span inside <pre> renders as a blank line."""
    html = show.Diff("a\nb\n", "a\nc\n")._repr_html_()
    body = html.split("<pre", 1)[1]
    assert "\n" not in body
    assert body.count("<span style='display:block") == len(show.Diff("a\nb\n", "a\nc\n").lines)


def test_table_is_text_when_printed_and_a_table_when_displayed():
    text = "variant | time | ratio\nstage 1 | 1.5 ms | 1.00×\nstage 9 | skipped: no scan"
    table = show.Table(text)
    assert str(table) == repr(table) == text
    html = table._repr_html_()
    assert html.count("<tr>") == 3 and "<th>variant</th>" in html
    assert "<td style='text-align:right'>1.5 ms</td>" in html
    assert "<td colspan='2'>skipped: no scan</td>" in html
    assert show.Table("a | <b>\n1 | 2")._repr_html_().count("&lt;b&gt;") == 1
