"""Every chapter runs to the end alone in an empty folder, installing helpers through its bootstrap."""

from __future__ import annotations

import importlib.metadata

import pytest
from alone import assert_ran_alone, run_alone
from conftest import notebooks

EXPECTED_VERSIONS = (importlib.metadata.version("jax"), importlib.metadata.version("ipywidgets"))


@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_chapter_runs_alone_with_the_pinned_packages(notebook, tmp_path, helpers_wheel):
    assert_ran_alone(run_alone(notebook, tmp_path, helpers_wheel), tmp_path, EXPECTED_VERSIONS)
