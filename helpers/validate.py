"""Checks that the helpers run on their arguments, with errors that say what to pass.

Readers call the helpers from notebooks and type the counts in by hand; a
float, a bool or zero would otherwise fail far from the call, or silently run
nothing. One function per kind of check keeps the error messages alike.
"""

from __future__ import annotations


def positive_int(name: str, value: object) -> int:
    """``value`` if it is an ``int`` of at least 1, else ``ValueError`` naming ``name``.

    ``True`` is refused although ``bool`` subclasses ``int``: it is never a count.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
