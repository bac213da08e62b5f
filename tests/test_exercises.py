"""helpers.exercises.check: says 'not answered', 'correct' or 'not yet', and never hides a bad test."""

from __future__ import annotations

import pytest

from helpers.exercises import NOT_ANSWERED, check


def test_ellipsis_is_not_answered(capsys):
    assert check(..., lambda a: a == 3) is None
    assert capsys.readouterr().out.strip() == NOT_ANSWERED


def test_a_function_that_is_not_written_yet_is_not_answered(capsys):
    def answer():
        raise NotImplementedError

    check(answer, lambda f: f() == 1)
    assert capsys.readouterr().out.strip() == NOT_ANSWERED


def test_right_and_wrong_answers(capsys):
    check(3, lambda a: a == 3)
    assert capsys.readouterr().out.strip() == "Correct."
    check(2, lambda a: a == 3, hint="count the signatures")
    assert capsys.readouterr().out.strip() == "Not yet. Hint: count the signatures"


def test_a_test_that_is_not_a_function_is_a_clear_error():
    with pytest.raises(TypeError, match="test must be a function"):
        check(3, 3)


def test_errors_other_than_not_implemented_reach_the_reader():
    with pytest.raises(ZeroDivisionError):
        check(0, lambda a: 1 / a > 0)
