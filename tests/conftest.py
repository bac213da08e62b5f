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
