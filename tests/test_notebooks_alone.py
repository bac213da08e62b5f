"""Every chapter runs to the end alone in an empty folder, installing helpers through its bootstrap."""

from __future__ import annotations

import importlib.metadata

import pytest
from alone import build_helpers_wheel, run_alone
from conftest import notebooks

EXPECTED_VERSIONS = (importlib.metadata.version("jax"), importlib.metadata.version("ipywidgets"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_helpers_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_chapter_runs_alone_with_the_pinned_packages(notebook, tmp_path, wheel):
    result = run_alone(notebook, tmp_path, wheel)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "ran to the end" in result.stdout
    jax_version, widgets_version, helpers_file = result.stdout.split("versions ")[1].split()[:3]
    assert (jax_version, widgets_version) == EXPECTED_VERSIONS
    assert str(tmp_path / "env") in helpers_file, "helpers did not come from the bootstrap's install"
