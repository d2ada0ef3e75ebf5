"""Every exercise: its reference solution passes, known-wrong answers fail with feedback."""

import pytest

from course_lib import exercises
from course_lib.errors import CourseInputError
from course_lib.exercises.core import Exercise, Result, evaluate, register

ALL = exercises.load_all()


def test_there_are_exercises():
    assert "00.mean_squared_error" in ALL


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_reference_solution_passes(exercise_id):
    ex = ALL[exercise_id]
    result = evaluate(exercise_id, ex.reference_answer())
    assert result.passed, f"{exercise_id}: the reference solution fails its own check: {result.message}"


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_wrong_answers_fail_with_feedback(exercise_id):
    ex = ALL[exercise_id]
    assert ex.wrong, f"{exercise_id}: give at least one known-wrong answer"
    for make_wrong in ex.wrong:
        result = evaluate(exercise_id, make_wrong())
        assert result.status == "failed", f"{exercise_id}: a wrong answer passed"
        assert len(result.message) > 20, f"{exercise_id}: feedback too thin: {result.message!r}"


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_untouched_stub_reads_not_attempted(exercise_id):
    assert evaluate(exercise_id, ...).status == "not_attempted"
    if ALL[exercise_id].kind == "function":
        def stub(*args, **kwargs):
            raise NotImplementedError

        assert evaluate(exercise_id, stub).status == "not_attempted"


def test_check_prints_and_never_raises(capsys):
    exercises.check("00.mean_squared_error", lambda y_pred, y: 1 / 0)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet [00.mean_squared_error]: your code raised ZeroDivisionError")
    exercises.check("00.mean_squared_error", ...)
    assert "Not attempted yet" in capsys.readouterr().out


def test_feedback_names_expected_got_and_hint():
    result = evaluate("00.mean_squared_error", lambda y_pred, y: float(((y_pred - y) ** 2).sum()))
    assert result.message == ("mean_squared_error(y_pred, y): expected 0.5625, got 2.25. "
                              "Hint: 2.25 is the sum of squared errors: divide by the number of elements.")
    assert str(result).startswith("❌ Not yet")


def test_solution_is_revealed_only_on_request(capsys):
    exercises.solution("00.mean_squared_error")
    out = capsys.readouterr().out
    assert "def mean_squared_error" in out and "np.mean" in out


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(CourseInputError, match="no exercise '00.nope'; known: 00.mean_squared_error"):
        exercises.check("00.nope", 1)
    with pytest.raises(CourseInputError, match="exercise_id: expected a string"):
        exercises.get(0)


def test_register_refuses_duplicates():
    ex = Exercise("99.tmp", "t", checker=lambda a: "ok", solution=lambda: 1, kind="value")
    register(ex)
    register(ex)  # the same object again is fine (re-import)
    with pytest.raises(ValueError, match="registered twice"):
        register(Exercise("99.tmp", "t", checker=lambda a: "ok", solution=lambda: 1))
    assert evaluate("99.tmp", 5) == Result("99.tmp", "passed", "ok")
