"""Every chapter runs to the end on Colab's versions (tests/colab-stack.txt), alone in a folder.

Outputs are not compared: reprs and float digits differ between versions. What
must hold is that no cell fails except the error demos tagged raises-exception.
"""

from __future__ import annotations

import pytest
from alone import build_helpers_wheel, run_alone
from conftest import ROOT, notebooks

LAYER = ROOT / ".venv" / "colab-stack"
EXPECTED_VERSIONS = ("0.7.2", "7.7.1")  # as pinned in tests/colab-stack.txt


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_helpers_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def layer():
    if not (LAYER / "jax").is_dir():
        pytest.fail(f"{LAYER} is missing: `make test` installs tests/colab-stack.txt there")
    return LAYER


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_chapter_runs_on_colab_versions(notebook, tmp_path, wheel, layer):
    result = run_alone(notebook, tmp_path, wheel, layers=[layer])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "ran to the end" in result.stdout
    jax_version, widgets_version, helpers_file = result.stdout.split("versions ")[1].split()[:3]
    assert (jax_version, widgets_version) == EXPECTED_VERSIONS
    assert str(tmp_path / "env") in helpers_file, "helpers did not come from the bootstrap's install"
