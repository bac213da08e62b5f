"""Interactive figures that work in Jupyter, on Colab and in the built HTML book.

The figure is drawn with matplotlib and shown in an ``ipywidgets.Image``
rather than captured through an ``Output`` widget: the PNG lives in the
widget's own state, so the HTML book shows the last drawing, nbval sees the
same output as Jupyter, and it works with ipywidgets 7 (Colab) and 8.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from .validate import positive_int


def figure_png(fig: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    if not hasattr(fig, "savefig"):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def explorer(draw: Callable[..., Any], controls: dict[str, Any], columns: int = 2) -> Any:
    """A panel of ``controls`` above a picture that ``draw(**values)`` redraws on every change.

    ``draw`` returns a matplotlib Figure; ``controls`` maps each of its keyword
    arguments to an ipywidgets control. The picture is drawn once immediately.
    """
    import ipywidgets as widgets

    _check_controls(controls, columns)
    picture = widgets.Image(format="png")

    def redraw(_change: Any = None) -> None:
        picture.value = figure_png(draw(**{name: c.value for name, c in controls.items()}))

    return _panel(controls, columns, picture, redraw)


def _check_controls(controls: dict[str, Any], columns: int) -> None:
    if not controls:
        raise ValueError("explorer needs at least one control")
    positive_int("columns", columns)
    for name, control in controls.items():
        if not hasattr(control, "observe") or not hasattr(control, "value"):
            raise TypeError(f"control {name!r} is not an ipywidgets control: {control!r}")


def _panel(controls: dict[str, Any], columns: int, view: Any, update: Callable[..., None]) -> Any:
    """Wire every control to ``update``, run it once, and lay controls out above ``view``."""
    import ipywidgets as widgets

    for control in controls.values():
        control.observe(update, names="value")
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"  # the whole label, never "learning r..."
    update()
    items = list(controls.values())
    # Rows wrap: on a phone the controls stack instead of shrinking to bare knobs.
    wrap = widgets.Layout(flex_flow="row wrap")
    rows = [widgets.HBox(items[i:i + columns], layout=wrap) for i in range(0, len(items), columns)]
    return widgets.VBox([*rows, view])


def text_explorer(render: Callable[..., str], controls: dict[str, Any], columns: int = 2) -> Any:
    """Like :func:`explorer`, for a ``render(**values)`` that returns text (shown preformatted)."""
    import html

    import ipywidgets as widgets

    _check_controls(controls, columns)
    text = widgets.HTML()

    def refresh(_change: Any = None) -> None:
        rendered = render(**{name: c.value for name, c in controls.items()})
        text.value = f"<pre style='line-height:1.3'>{html.escape(rendered)}</pre>"

    return _panel(controls, columns, text, refresh)
