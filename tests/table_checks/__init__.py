"""Checks that run both sides of every row of the book's mapping tables.

A mapping table pairs a PyTorch thing (or an error's first line) with its JAX
counterpart. Each of its rows is backed by one function registered here with
:func:`row`, keyed by the page and the row's first cell exactly as written in
the Markdown. ``tests/test_tables.py`` finds every such table in the book and
fails for a row without a check, a check without a row, and a check that fails.

The modules of this package are imported by ``tests/test_tables.py``; each
holds the checks for one page (``cheatsheet.py``, ``debugging.py``, ...).
"""

from __future__ import annotations

from collections.abc import Callable

CHECKS: dict[tuple[str, str], Callable[[], None]] = {}


def row(page: str, first_cell: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register ``check`` for the row of ``page`` whose first cell is ``first_cell``."""

    def register(check: Callable[[], None]) -> Callable[[], None]:
        key = (page, first_cell)
        if key in CHECKS:
            raise ValueError(f"two checks for the row {first_cell!r} of {page}")
        CHECKS[key] = check
        return check

    return register


def scratch_folder() -> str:
    """A temporary folder for a check's files, removed when the test process exits."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="table-check-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
