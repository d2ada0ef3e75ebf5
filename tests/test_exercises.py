"""Every exercise: its reference solution passes, each known-wrong answer fails with its own hint."""

import dataclasses
import time

import pytest

from course_lib import exercises
from course_lib.errors import CourseInputError
from course_lib.exercises.core import Exercise, Mistake, Result, evaluate, register, time_limit

ALL = exercises.load_all()
WRONG = [(ex_id, i) for ex_id, ex in sorted(ALL.items()) for i in range(len(ex.wrong))]


def test_there_are_exercises():
    assert "00.mean_squared_error" in ALL


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_reference_solution_passes(exercise_id):
    ex = ALL[exercise_id]
    result = evaluate(exercise_id, ex.reference_answer())
    assert result.passed, f"{exercise_id}: the reference solution fails its own check: {result.message}"


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_every_exercise_has_wrong_answers(exercise_id):
    ex = ALL[exercise_id]
    assert len(ex.wrong) >= 2, f"{exercise_id}: give at least two known-wrong answers"
    assert all(isinstance(w, Mistake) for w in ex.wrong), f"{exercise_id}: each wrong answer is a Mistake"
    assert all(len(w.hint) >= 8 for w in ex.wrong), f"{exercise_id}: a hint too short to be specific"


@pytest.mark.parametrize(("exercise_id", "index"), WRONG, ids=[f"{e}-{i}" for e, i in WRONG])
def test_wrong_answer_fails_with_its_own_hint(exercise_id, index):
    ex = ALL[exercise_id]
    wrong = ex.wrong[index]
    result = evaluate(exercise_id, ex.wrong_answer(wrong))
    assert result.status == "failed", f"{exercise_id}: wrong answer {index} passed: {result.message}"
    assert result.message.endswith(f"Hint: {wrong.hint}"), (  # the whole hint, word for word
        f"{exercise_id}: wrong answer {index} should get the hint {wrong.hint!r}; got {result.message!r}")
    others = [w.hint for j, w in enumerate(ex.wrong) if j != index and w.hint not in wrong.hint]
    assert not any(h in result.message for h in others), (
        f"{exercise_id}: wrong answer {index} also matches another answer's hint: {result.message!r}")


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_untouched_stub_reads_not_attempted(exercise_id):
    assert evaluate(exercise_id, ...).status == "not_attempted"
    if ALL[exercise_id].kind == "function":
        def stub(*args, **kwargs):
            raise NotImplementedError

        assert evaluate(exercise_id, stub).status == "not_attempted"


@pytest.mark.parametrize("exercise_id", sorted(k for k, ex in ALL.items() if ex.kind == "function"))
def test_an_endless_loop_is_stopped_with_a_hint(exercise_id, monkeypatch):
    def endless(*args, **kwargs):
        while True:
            pass

    from course_lib.exercises import core

    assert 1 <= ALL[exercise_id].time_limit <= 30, "a few seconds per call"
    quick = dataclasses.replace(ALL[exercise_id], time_limit=0.5)  # the same check, a shorter limit
    monkeypatch.setitem(core._REGISTRY, exercise_id, quick)
    start = time.perf_counter()
    result = evaluate(exercise_id, endless)
    took = time.perf_counter() - start
    assert result.status == "failed"
    assert "stopped your code after 0.5 s" in result.message, result.message
    assert "a loop that never ends" in result.message
    assert took < 15


@pytest.mark.parametrize("exercise_id", sorted(k for k, ex in ALL.items() if ex.kind == "function"))
def test_a_learners_exception_is_feedback(exercise_id):
    def broken(*args, **kwargs):
        return {}["no such key"]

    result = evaluate(exercise_id, broken)
    assert result.status == "failed"
    assert result.message.startswith("your code raised KeyError: 'no such key'"), result.message


def test_check_prints_and_never_raises(capsys):
    exercises.check("00.mean_squared_error", lambda y_pred, y: 1 / 0)
    out = capsys.readouterr().out
    assert out.startswith("❌ Not yet [00.mean_squared_error]: your code raised ZeroDivisionError")
    exercises.check("00.mean_squared_error", ...)
    assert "Not attempted yet" in capsys.readouterr().out


def test_the_error_points_at_the_learners_line(tmp_path):
    cell = tmp_path / "cell.py"  # a learner's code lives outside course_lib, as a notebook cell does
    cell.write_text("def mean_squared_error(y_pred, y):\n    return float(y_pred.nope)\n")
    namespace: dict = {}
    exec(compile(cell.read_text(), str(cell), "exec"), namespace)
    result = evaluate("00.mean_squared_error", namespace["mean_squared_error"])
    assert result.message.startswith("your code raised AttributeError")
    assert "(line 2 of your code: `return float(y_pred.nope)`)" in result.message


def test_a_learners_except_exception_cannot_swallow_the_time_limit():
    def stubborn(y_pred, y):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - what a learner might write
                pass

    result = evaluate("00.mean_squared_error", stubborn)
    assert "stopped your code after 5 s" in result.message


def test_time_limit_leaves_fast_code_alone():
    with time_limit(2.0):
        total = sum(range(1000))
    assert total == 499500


def test_feedback_names_expected_got_and_hint():
    result = evaluate("00.mean_squared_error", lambda y_pred, y: float(((y_pred - y) ** 2).sum()))
    assert result.message == ("mean_squared_error(y_pred, y): expected 0.5625, got 2.25. "
                              "Hint: that is the sum of squared errors: divide by the number of elements.")
    assert str(result).startswith("❌ Not yet")


def test_check_logs_results_when_asked(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(exercises.PROGRESS_LOG_ENV, str(log))
    exercises.check("00.mean_squared_error", ...)
    exercises.check("00.mean_squared_error", ALL["00.mean_squared_error"].solution)
    lines = log.read_text().splitlines()
    assert [line.split('"status": ')[1].split('"')[1] for line in lines] == ["not_attempted", "passed"]


def test_solution_is_revealed_only_on_request(capsys):
    exercises.solution("00.mean_squared_error")
    out = capsys.readouterr().out
    assert "def mean_squared_error" in out and "mean(" in out


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(CourseInputError, match="no exercise '00.nope'; known: 00.mean_squared_error"):
        exercises.check("00.nope", 1)
    with pytest.raises(CourseInputError, match="exercise_id: expected a string"):
        exercises.get(0)


def test_register_refuses_duplicates(monkeypatch):
    from course_lib.exercises import core

    monkeypatch.setattr(core, "_REGISTRY", dict(core._REGISTRY))  # leave the real registry alone
    ex = Exercise("99.tmp", "t", grader=lambda a: "ok", solution=lambda: 1, kind="value",
                  wrong=(Mistake(lambda: 2, "two"),))
    register(ex)
    register(ex)  # the same object again is fine (re-import)
    with pytest.raises(ValueError, match="registered twice"):
        register(Exercise("99.tmp", "t", grader=lambda a: "ok", solution=lambda: 1))
    assert evaluate("99.tmp", 5) == Result("99.tmp", "passed", "ok")
    assert ex.wrong == (Mistake(ex.wrong[0].answer, "two"),)


def _pixel_count_objects(mask, min_area):
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask)  # pixel counts, not contour areas
    return int(sum(1 for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area))


def _iterative_depth(tree):
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, tuple):
            stack += [(node[0], depth + 1), (node[1], depth + 1)]
        deepest = max(deepest, depth)
    return deepest


def _right_answers():
    """Unusual but right answers, which the checks must accept (one scalar rule, any view or dtype)."""
    import numpy as np
    import torch

    return {
        "00.mean_squared_error": [lambda p, y: np.mean((p - y) ** 2),
                                  lambda p, y: np.float32(((p - y) ** 2).mean()),
                                  lambda p, y: torch.tensor(((p - y) ** 2).mean())],
        "01.to_model_input": [lambda a: torch.as_tensor(a, dtype=torch.float32),
                              lambda a: torch.tensor(a).float()],
        "08.count_objects": [_pixel_count_objects, lambda m, a: np.int64(_pixel_count_objects(m, a))],
        "08.disparity_to_depth": [lambda d, f, b, o: np.where(d < 0, np.nan,
                                                              b * f / (d + o)).astype(np.float32)],
        "09.top1_agreement": [lambda a, b: np.mean(a.argmax(-1) == b.argmax(-1)),
                              lambda a, b: torch.tensor(a.argmax(1) == b.argmax(1)).float().mean()],
        "10.tree_depth": [_iterative_depth, lambda t: np.int64(_iterative_depth(t))],
        "12.to_linear_weight": [lambda w: torch.from_numpy(w).T, lambda w: torch.tensor(w.T.copy())],
        "13.kv_cache_bytes": [lambda n, w, t, bytes_per_number=2: np.int64(2) * n * w * t * bytes_per_number],
        "13.sampling_probs": [lambda logits, temperature=1.0, top_k=None: torch.softmax(
            (logits / temperature) if top_k is None else (logits / temperature).masked_fill(
                logits / temperature < torch.topk(logits / temperature, top_k).values[..., -1:], -torch.inf),
            dim=-1)],
    }


RIGHT = [(i, k) for i, answers in sorted(_right_answers().items()) for k in range(len(answers))]


@pytest.mark.parametrize(("exercise_id", "index"), RIGHT, ids=[f"{e}-{k}" for e, k in RIGHT])
def test_unusual_right_answers_pass(exercise_id, index):
    result = evaluate(exercise_id, _right_answers()[exercise_id][index])
    assert result.passed, f"{exercise_id}: a right answer was refused: {result.message}"
