"""The code and the notebooks pass the project's lint rules (pyproject.toml), as `make lint` checks."""

from __future__ import annotations

import json
import pathlib
import re
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


def test_displayed_helper_code_fits_the_books_column():
    """Helper code that a chapter shows (``Source(...)``, ``Diff.of(...)``)
    fits the same 79 columns as the notebook code: in the HTML book a longer
    line wraps and loses its indentation.

    Checked on the stored outputs, so every displayed object counts with no
    list to keep in sync; nbval checks that those outputs are current. A diff
    line has a one-character prefix (``+``, ``-`` or a space) before the code.
    """
    shows = re.compile(r"\b(?:Source|Diff\.of)\(")
    too_long = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code" or not shows.search(
                    "".join(cell["source"])):
                continue
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/plain")
                if text is None:
                    continue
                is_diff = "".join(text).startswith("--- ")
                for line in "".join(text).splitlines():
                    code = line[1:] if is_diff else line
                    if len(code) > 79:
                        too_long.append(f"{path.name} cell {index} "
                                        f"({len(code)}): {code}")
    assert not too_long, "\n".join(too_long)
