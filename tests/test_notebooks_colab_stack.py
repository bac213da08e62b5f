"""Every chapter runs to the end alone in an empty folder on Colab's versions (tests/colab-stack.txt).

This is the book's one alone-in-a-folder run: the chapter is copied into an
empty folder and executed in a fresh environment without the repository, so its
bootstrap cell must install ``helpers`` (from a wheel of this checkout, named by
``BOOK_HELPERS_SOURCE``), and the packages it imports are Colab's versions
layered over requirements.txt. What this cannot reproduce: Colab's Python (3.13
there, 3.11 here) and its torch (2.11, a multi-GB CUDA build for Python 3.13;
our torch 2.13 CPU stays), see the header of tests/colab-stack.txt.

Outputs are not asserted equal: reprs and float digits may differ between
versions. What must hold is that no cell fails except the error demos tagged
raises-exception. The lines printed differently are measured
(tests/compare_outputs.py) and, when ``BOOK_COLAB_REPORT`` names a folder,
written there for the status page (scripts/colab_report.py).
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

import nbformat
import pytest
from alone import assert_ran_alone, run_alone
from compare_outputs import differences
from conftest import ROOT, notebooks

sys.path.insert(0, str(ROOT / "scripts"))
import colab_report  # noqa: E402

LAYER = ROOT / ".venv" / "colab-stack"
PINS = colab_report.pinned_versions()  # tests/colab-stack.txt
EXPECTED_VERSIONS = (PINS["jax"], PINS["ipywidgets"])


@pytest.fixture(scope="module")
def layer():
    if not (LAYER / "jax").is_dir():
        pytest.fail(f"{LAYER} is missing: `make test` installs tests/colab-stack.txt there")
    return LAYER


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_chapter_runs_alone_on_colab_versions(notebook, tmp_path, helpers_wheel, layer):
    result = run_alone(notebook, tmp_path, helpers_wheel, layers=[layer])
    executed = tmp_path / "work" / "executed.ipynb"
    report = os.environ.get("BOOK_COLAB_REPORT")
    if report:
        found = differences(nbformat.read(notebook, as_version=4),
                            nbformat.read(executed, as_version=4)) if executed.exists() else []
        pathlib.Path(report).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(report) / f"{notebook.stem}.json").write_text(json.dumps(
            {"passed": result.returncode == 0, "differences": found}, indent=1))
    assert_ran_alone(result, tmp_path, EXPECTED_VERSIONS)
