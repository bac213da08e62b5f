"""The HTML book builds from the stored outputs with warnings as errors."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

from conftest import ROOT, notebooks


def test_book_builds_without_warnings(tmp_path: pathlib.Path):
    jupyter_book = shutil.which("jupyter-book", path=str(pathlib.Path(sys.executable).parent))
    assert jupyter_book, "jupyter-book is not installed in this environment (run `make test`)"
    result = subprocess.run(
        [jupyter_book, "build", str(ROOT), "--path-output", str(tmp_path), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").exists()
    for path in notebooks():
        page = html / path.relative_to(ROOT).with_suffix(".html")
        assert page.exists(), f"{page} was not built"
        text = page.read_text()
        stored_images = path.read_text().count('"image/png"')
        assert text.count("<img") >= stored_images, f"{page.name} lost figures"
