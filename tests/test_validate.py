"""The helpers' shared argument checks refuse what is not a count, naming the argument."""

from __future__ import annotations

import pytest

from helpers.validate import positive_int


@pytest.mark.parametrize("value", [1, 7, 10_000])
def test_positive_int_returns_a_count(value):
    assert positive_int("epochs", value) == value


@pytest.mark.parametrize("value", [0, -3, 2.0, "5", None, True, False])
def test_positive_int_refuses_anything_else_naming_the_argument(value):
    with pytest.raises(ValueError, match=rf"^epochs must be a positive integer, got {value!r}$"):
        positive_int("epochs", value)
