"""Every row of every mapping table in the book is backed by a check that runs both sides.

A mapping table is a Markdown table (in a page or a chapter's markdown cell)
whose header names a ``PyTorch`` column, or whose first column is an error's
``symptom``. The checks live in ``tests/table_checks/`` (see its docstring and
CONTRIBUTING.md); a row without one, or a check whose row is gone, fails here.
"""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
import table_checks
from conftest import BOOK


def mapping_tables_text(page) -> list[str]:
    """The Markdown text of a page, or of each markdown cell of a notebook."""
    if page.suffix == ".md":
        return [page.read_text()]
    cells = json.loads(page.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def split_row(line: str) -> list[str]:
    """The cells of one Markdown table line (a `|` inside backticks does not split)."""
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return [*cells, current.strip()]


def mapping_rows() -> list[tuple[str, str]]:
    """(page, first cell) for every body row of every mapping table in the book."""
    rows = []
    for page in sorted([*BOOK.glob("*.md"), *BOOK.glob("*.ipynb")]):
        for text in mapping_tables_text(page):
            header = None
            for line in text.splitlines():
                if not line.startswith("|"):
                    header = None
                    continue
                cells = split_row(line)
                if header is None:
                    header = cells
                elif set("".join(cells)) <= set("-: "):
                    continue
                elif "PyTorch" in header or header[0].startswith("symptom"):
                    rows.append((page.stem, cells[0]))
    return rows


def load_checks() -> dict:
    for module in pkgutil.iter_modules(table_checks.__path__):
        importlib.import_module(f"table_checks.{module.name}")
    return table_checks.CHECKS


ROWS = mapping_rows()


def test_the_book_has_mapping_tables():
    assert len(ROWS) > 20


def test_every_row_has_a_check_and_every_check_a_row():
    checks = load_checks()
    missing = [row for row in ROWS if row not in checks]
    orphans = [key for key in checks if key not in ROWS]
    assert not missing, f"rows without a check in tests/table_checks/: {missing}"
    assert not orphans, f"checks whose row is no longer in the book: {orphans}"


@pytest.mark.parametrize("page,first_cell", ROWS, ids=[f"{p}:{c[:40]}" for p, c in ROWS])
def test_row(page, first_cell):
    check = load_checks().get((page, first_cell))
    if check is None:
        pytest.fail(f"no check for the row {first_cell!r} of {page}")
    check()
