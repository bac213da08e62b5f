"""Every committed chapter is clean, starts with the shared bootstrap, and is in the TOC."""

from __future__ import annotations

import json
import pathlib
import sys

import nbformat
import pytest
from conftest import BOOK, ROOT, notebooks

sys.path.insert(0, str(ROOT / "scripts"))
import nbclean  # noqa: E402

NOTEBOOKS = notebooks()


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: pathlib.Path):
    nb = json.loads(path.read_text())
    nbformat.validate(nbformat.from_dict(nb))
    assert nbclean.problems(nb, path.stem) == []


def test_every_chapter_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for path in NOTEBOOKS:
        assert f"book/{path.relative_to(BOOK).with_suffix('').as_posix()}" in toc, path.name


def test_bootstrap_installs_the_release_named_in_the_config():
    config = (ROOT / "_config.yml").read_text()
    assert f"url: {nbclean.REPOSITORY}" in config
    from helpers import __version__
    assert nbclean.RELEASE_REF == f"v{__version__}"


def test_cleaning_is_idempotent_and_renumbers_widgets():
    state = {"a" * 32: {"ref": "IPY_MODEL_" + "b" * 32}, "b" * 32: {}}
    nb = {"metadata": {"kernelspec": {}, "execution": {"x": 1},
                       "widgets": {nbclean.WIDGET_STATE: {"state": state}}},
          "cells": [{"cell_type": "code", "metadata": {"tags": [], "execution": {}}, "source": "",
                     "outputs": [{"output_type": "display_data", "metadata": {},
                                  "data": {nbclean.WIDGET_VIEW: {"model_id": "a" * 32}}}]}]}
    once = nbclean.clean(nb, "demo")
    assert nbclean.clean(once, "demo") == once
    assert "execution" not in once["metadata"]
    assert once["cells"][0]["metadata"] == {"tags": ["hide-input"]}  # the first code cell: the bootstrap
    text = json.dumps(once)
    assert "a" * 32 not in text and "b" * 32 not in text
    first = once["cells"][0]["outputs"][0]["data"][nbclean.WIDGET_VIEW]["model_id"]
    assert "IPY_MODEL_" + first not in text  # a refers to b, not to itself
    assert first in once["metadata"]["widgets"][nbclean.WIDGET_STATE]["state"]


def test_cleaning_merges_streams_and_pins_kernel_paths():
    """Output split by timing, the kernel's pid and the environment's path must not make a
    notebook differ."""
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["a\n"]},
               {"output_type": "stream", "name": "stdout", "text": "b\n"},
               {"output_type": "stream", "name": "stderr", "text": "c\n"},
               {"output_type": "error", "ename": "E", "evalue": "at /tmp/ipykernel_4242/17.py:1",
                "traceback": ['File "/home/me/.venv/lib/python3.11/site-packages/torch/x.py"']}]
    nb = {"metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": "",
                                     "outputs": outputs}]}
    cleaned = nbclean.clean(nb, "demo")["cells"][0]["outputs"]
    assert [o.get("text") for o in cleaned[:2]] == ["a\nb\n", "c\n"]
    assert cleaned[2]["evalue"] == "at <cell>:1"
    assert cleaned[2]["traceback"] == ['File "/…/site-packages/torch/x.py"']


def test_gpu_chapters_ask_colab_for_a_gpu_runtime():
    for path in NOTEBOOKS:
        metadata = json.loads(path.read_text())["metadata"]
        wanted = path.stem in nbclean.GPU_CHAPTERS
        assert (metadata.get("accelerator") == "GPU") == wanted, path.name
        assert (metadata.get("colab", {}).get("gpuType") == "T4") == wanted, path.name
    assert nbclean.GPU_CHAPTERS <= {p.stem for p in NOTEBOOKS}


def test_bootstrap_turns_on_colabs_widget_manager_only_on_colab(monkeypatch):
    import types

    calls = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("on"))
    colab = types.ModuleType("google.colab")
    colab.output = output
    exec(nbclean.BOOTSTRAP_SOURCE, {})  # helpers is importable here: nothing happens
    assert calls == []
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    exec(nbclean.BOOTSTRAP_SOURCE, {})
    assert calls == ["on"]


def test_cleaning_pins_object_ids_in_reprs_consistently():
    evalue = "<Tracer 139836680033888> is referred to by <list 139836681949312>[0] <list 139836681949312>"
    nb = {"metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": "",
                                     "outputs": [{"output_type": "error", "ename": "E", "evalue": evalue,
                                                  "traceback": []}]}]}
    once = nbclean.clean(nb, "demo")
    assert once["cells"][0]["outputs"][0]["evalue"] == (
        "<Tracer 140000000000001> is referred to by <list 140000000000002>[0] <list 140000000000002>")
    assert nbclean.clean(once, "demo") == once


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_figures_are_opaque_for_dark_mode(path: pathlib.Path):
    """A transparent figure background shows the page through it: black axes vanish in dark mode."""
    import base64
    import io

    from PIL import Image

    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")
                corners = [image.getpixel((x, y))
                           for x in (0, image.width - 1) for y in (0, image.height - 1)]
                assert all(pixel[3] == 255 for pixel in corners), f"{path.name}: a figure is transparent"


def test_bootstrap_stops_with_a_short_message_when_helpers_cannot_be_installed(tmp_path):
    """No network, or a release that does not exist: say what failed and what to do, no traceback."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(BOOK_HELPERS_SOURCE=str(tmp_path / "no-such-helpers.whl"), PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    # The base interpreter in isolated mode: helpers is not importable there, as on Colab.
    result = subprocess.run([sys._base_executable, "-I", "-c", nbclean.BOOTSTRAP_SOURCE], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Could not install the book's helpers from" in result.stderr
    assert "no-such-helpers.whl" in result.stderr and "BOOK_HELPERS_SOURCE" in result.stderr
    assert "Traceback" not in result.stderr


def test_repository_url_is_written_once():
    """_config.yml holds the URL; the bootstrap and the release tag are derived from it and pyproject."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert nbclean.RELEASE_REF == f"v{version}"
    assert "git+https://github.com/jax-for-pytorch-users/" in nbclean.BOOTSTRAP_SOURCE
    assert nbclean.REPOSITORY.count("github.com") == 1
    assert "github.com" not in (ROOT / "scripts" / "nbclean.py").read_text()
