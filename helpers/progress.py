"""Progress bars that look the same on every run, so stored notebook outputs stay stable."""

from __future__ import annotations

from typing import Any

from .validate import positive_int


def stable_bar(total: int, description: str, unit: str) -> Any:
    """A tqdm bar (a widget in Jupyter, text elsewhere) showing count, percentage and a postfix.

    No elapsed time or rate: those change from run to run, and the bar's text
    is stored in the notebook, so regenerating would change it every time.
    """
    positive_int("total", total)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} " + unit + " {postfix}")
