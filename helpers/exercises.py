"""Checks for the chapters' exercises: the reader's answer is tested without revealing the solution.

Every exercise has a starter cell that ends with :func:`check`. Until the reader
replaces the ``...`` (or the ``raise NotImplementedError``) it says so; then it
runs the chapter's test on the answer and says whether it passes. The folded
solution cell calls the same :func:`check`, so the stored output proves that the
solution passes the test the reader is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NOT_ANSWERED = "Not answered yet: replace the ... (or the NotImplementedError) above, then run it again."


def check(answer: Any, test: Callable[[Any], bool], hint: str = "") -> None:
    """Print whether ``answer`` passes ``test``.

    ``answer`` is the reader's value or function. ``...`` (Ellipsis) means not
    answered yet; so does a function that raises ``NotImplementedError`` when
    the test calls it. ``test`` returns True for a right answer; ``hint`` is
    printed when it returns False.
    """
    if not callable(test):
        raise TypeError(f"test must be a function of the answer returning a bool, got {test!r}")
    if answer is Ellipsis:
        print(NOT_ANSWERED)
        return
    try:
        passed = test(answer)
    except NotImplementedError:
        print(NOT_ANSWERED)
        return
    # Printed, not returned: a starter cell ending in check(...) shows only this line.
    print("Correct." if passed else "Not yet." + (f" Hint: {hint}" if hint else ""))
