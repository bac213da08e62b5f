"""The prose and code of the book are free of common misspellings (codespell, with a project word list).

Notebooks are checked on their cells' sources only: stored outputs hold base64
figures, which read as random words.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from conftest import ROOT, notebooks

WORDS = ROOT / "tests" / "codespell-words.txt"


def test_no_misspellings(tmp_path: pathlib.Path):
    for path in notebooks():
        cells = json.loads(path.read_text())["cells"]
        text = "\n\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                           for c in cells)
        (tmp_path / f"{path.stem}.ipynb.txt").write_text(text)
    codespell = pathlib.Path(sys.executable).parent / "codespell"
    targets = [str(tmp_path), "README.md", "book/index.md", "book/glossary.md",
               "helpers", "scripts", "tests", "bench", "_config.yml", "_toc.yml"]
    result = subprocess.run([str(codespell), "--ignore-words", str(WORDS), "--skip", "*.png,*.pyc",
                             *targets], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, "misspellings (notebook sources are checked as <name>.ipynb.txt):\n" + \
        result.stdout + result.stderr
