"""The code and the notebooks pass the project's lint rules (pyproject.toml), as `make lint` checks."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    ruff = pathlib.Path(sys.executable).parent / "ruff"
    assert ruff.exists(), "ruff is not installed in this environment (run `make test`)"
    result = subprocess.run([str(ruff), "check", "--output-format", "concise",
                             "helpers", "tests", "scripts", "bench", "book"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebook_code_fits_the_books_column():
    """The HTML book's text column shows about 80 monospace characters: wider code scrolls."""
    ruff = pathlib.Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--output-format", "concise", "--line-length", "79",
                             "--select", "E501", *sorted(str(p) for p in (ROOT / "book").glob("*.ipynb"))],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
