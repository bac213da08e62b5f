"""Every chapter runs to the end on Colab's versions (tests/colab-stack.txt), alone in a folder.

Outputs are not compared: reprs and float digits differ between versions. What
must hold is that no cell fails except the error demos tagged raises-exception.
"""

from __future__ import annotations

import pytest
from alone import assert_ran_alone, run_alone
from conftest import ROOT, notebooks

LAYER = ROOT / ".venv" / "colab-stack"
EXPECTED_VERSIONS = ("0.7.2", "7.7.1")  # as pinned in tests/colab-stack.txt


@pytest.fixture(scope="module")
def layer():
    if not (LAYER / "jax").is_dir():
        pytest.fail(f"{LAYER} is missing: `make test` installs tests/colab-stack.txt there")
    return LAYER


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_chapter_runs_on_colab_versions(notebook, tmp_path, helpers_wheel, layer):
    result = run_alone(notebook, tmp_path, helpers_wheel, layers=[layer])
    assert_ran_alone(result, tmp_path, EXPECTED_VERSIONS)
