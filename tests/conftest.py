"""Shared fixtures: the repository root and the list of chapters."""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def notebooks() -> list[pathlib.Path]:
    """Every chapter notebook, in a stable order."""
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def helpers_wheel(tmp_path_factory) -> pathlib.Path:
    """A wheel of ``helpers`` from this checkout, for the chapters' bootstrap to install."""
    from alone import build_helpers_wheel

    return build_helpers_wheel(tmp_path_factory.mktemp("wheel"))


def pytest_collection_modifyitems(items) -> None:
    """Give nbval's cells 60 s, not its hard-coded 5 s, to deliver output after they finish.

    On a loaded 2-core machine the kernel's output messages can trail the
    execution reply by more than 5 s; nbval then fails a cell that ran fine
    ("Timeout of 5 seconds exceeded waiting for output").
    """
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
