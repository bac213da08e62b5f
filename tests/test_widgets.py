"""helpers.widgets: the explorer redraws its picture when a control changes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.widgets import explorer, figure_png  # noqa: E402


def draw(width):
    fig, ax = plt.subplots(figsize=(width, 1))
    ax.plot([0, 1])
    return fig


def test_picture_follows_the_control():
    slider = widgets.IntSlider(value=2, min=1, max=4)
    panel = explorer(draw, {"width": slider})
    picture = panel.children[-1]
    first = bytes(picture.value)
    assert first.startswith(b"\x89PNG")
    slider.value = 4
    assert bytes(picture.value) != first


def test_figure_png_rejects_non_figures():
    with pytest.raises(TypeError, match="expected a matplotlib Figure"):
        figure_png("not a figure")


def test_explorer_validates_its_controls():
    with pytest.raises(ValueError, match="at least one control"):
        explorer(draw, {})
    with pytest.raises(TypeError, match="is not an ipywidgets control"):
        explorer(draw, {"width": 3})
    with pytest.raises(ValueError, match="columns must be a positive integer"):
        explorer(draw, {"width": widgets.IntSlider()}, columns=0)


def test_text_explorer_shows_escaped_text():
    from helpers.widgets import text_explorer

    choice = widgets.Dropdown(options=["a<b", "c"], value="a<b")
    panel = text_explorer(lambda name: f"chose {name}", {"name": choice})
    assert panel.children[-1].value == "<pre style='line-height:1.3'>chose a&lt;b</pre>"
    choice.value = "c"
    assert "chose c" in panel.children[-1].value



def test_labels_are_shown_whole_and_rows_wrap():
    slider = widgets.FloatSlider(description="learning rate")
    panel = explorer(lambda learning_rate: draw(1), {"learning_rate": slider})
    assert slider.style.description_width == "initial"
    assert panel.children[0].layout.flex_flow == "row wrap"
