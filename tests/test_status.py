"""The status page matches the stored outputs: every chapter listed, produced by this environment."""

from __future__ import annotations

import sys

from conftest import ROOT, notebooks

sys.path.insert(0, str(ROOT / "scripts"))
import status  # noqa: E402


def test_status_lists_every_chapter_and_nothing_else():
    assert set(status.load()["chapters"]) == {p.stem for p in notebooks()}


def test_stored_outputs_come_from_this_environment():
    """CI runs the pinned environment, so this fails when outputs were made with other versions."""
    assert status.load()["environment"] == status.environment()


def test_page_is_rendered_from_the_data():
    assert status.PAGE.read_text() == status.render(status.load())
