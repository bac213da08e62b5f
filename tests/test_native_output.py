"""helpers.native_output: what native code writes to file descriptors 1 and 2 is dropped, then restored."""

from __future__ import annotations

import os

from helpers import native_output


def test_silenced_drops_both_descriptors_and_restores_them(capfd):
    with native_output.silenced():
        os.write(1, b"native stdout\n")
        os.write(2, b"native stderr\n")
    os.write(1, b"after\n")
    os.write(2, b"after too\n")
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("after\n", "after too\n")


def test_silenced_restores_the_descriptors_after_an_error(capfd):
    try:
        with native_output.silenced():
            raise KeyError("inside")
    except KeyError:
        pass
    os.write(1, b"still here\n")
    assert capfd.readouterr().out == "still here\n"
