"""The exercise engine and its stock probes, on small exercises made up for the tests."""

import random

import numpy as np
import pytest
import torch

from course_lib.exercises import core
from course_lib.exercises.core import (
    Case,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    as_number,
    evaluate,
    exercise,
)


def _double(x):
    return 2 * x


def _cases(rng):
    return [Case("double([1.0, 2.0])", (np.array([1.0, 2.0]),)),
            Case("double(random (1, 5) array)", (rng.standard_normal((1, 5)),))]


def _table(**kwargs):
    settings = dict(cases=_cases, returns=Returns("array", shape=lambda c: c.args[0].shape, dtype="float"),
                    mistakes=(Mistake(lambda x: 3 * x, "that triples: multiply by 2."),
                              Mistake(lambda x: x + 2, "that adds 2: multiply by 2.")),
                    fallback="multiply every element by 2.", success="doubles arrays.")
    settings.update(kwargs)
    return Table(**settings)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(core, "_REGISTRY", dict(core._REGISTRY))  # leave the real registry alone


def _check(answer, table=None, solution=_double, kind="function"):
    core._REGISTRY.pop("99.engine", None)
    exercise("99.engine", "a test exercise", solution, table or _table(), kind=kind)
    return evaluate("99.engine", answer)


def test_the_reference_passes_with_the_success_text(registry):
    assert _check(_double).message == "doubles arrays."


def test_a_mistake_is_named_by_the_output_it_reproduces(registry):
    result = _check(lambda x: x * 3)
    assert result.status == "failed"
    assert result.message == ("double([1.0, 2.0]): expected [2.0, 4.0], got [3.0, 6.0]. "
                              "Hint: that triples: multiply by 2.")
    assert "that adds 2" in _check(lambda x: 2.0 + x).message


def test_an_unknown_wrong_answer_gets_the_fallback(registry):
    assert _check(lambda x: x * 5).message.endswith("Hint: multiply every element by 2.")


def test_a_mistake_must_explain_every_case_not_only_the_first(registry):
    # right on the first case, tripled on the second: no single mistake explains both
    def half_right(x):
        return 2 * x if x.shape == (2,) else 3 * x

    assert _check(half_right).message.startswith("double(random (1, 5) array)")
    assert _check(half_right).message.endswith("Hint: multiply every element by 2.")


def test_the_contract_refuses_wrong_shape_and_dtype(registry):
    msg = _check(lambda x: (2 * x).ravel()).message
    assert "double(random (1, 5) array).shape: expected (1, 5), got (5,)" in msg
    assert "dtype: expected floats, got int64" in _check(lambda x: (2 * x).astype(np.int64)).message
    assert "expected a NumPy array, got list" in _check(lambda x: (2 * x).tolist()).message


def test_changing_an_input_in_place_is_refused(registry):
    def in_place(x):
        x *= 2
        return x.copy()

    msg = _check(in_place).message
    assert msg.startswith("x after double([1.0, 2.0]): expected unchanged, got its values changed")
    assert "work on a copy" in msg


def test_returning_the_input_object_is_refused(registry):
    table = _table(cases=lambda rng: [Case("same([0.0])", (np.zeros(1),))])
    msg = _check(lambda x: x, table, solution=lambda x: x.copy()).message
    assert "you returned `x` itself" in msg


def test_in_place_exercises_can_opt_out(registry):
    table = _table(probes=Probes(inputs_unchanged=False, not_an_input=False))

    def in_place(x):
        x *= 2
        return x

    assert _check(in_place, table).passed


def test_grad_mode_and_default_dtype_must_be_left_alone(registry):
    def no_grad(x):
        torch.set_grad_enabled(False)
        return 2 * x

    def float64(x):
        torch.set_default_dtype(torch.float64)
        return 2 * x

    assert "autograd's grad mode after" in _check(no_grad).message
    assert torch.is_grad_enabled(), "the probe puts grad mode back"
    assert "torch's default dtype after" in _check(float64).message
    assert torch.get_default_dtype() == torch.float32


def test_the_global_random_generators_must_be_left_alone_unless_opted_out(registry):
    def seeds(x):
        np.random.seed(0)
        return 2 * x

    def draws(x):
        random.random()
        return 2 * x

    assert "NumPy's global random generator" in _check(seeds).message
    assert "Python's random module" in _check(draws).message
    assert _check(seeds, _table(probes=Probes(rng=False))).passed


def test_a_model_that_is_only_read_must_keep_its_mode_and_weights(registry):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    table = _table(cases=lambda rng: [Case("outputs(model)", (model,))],
                   returns=Returns("number"))

    def reads(m):
        return float(sum(p.detach().sum() for p in m.parameters()))

    def evals(m):
        m.eval()
        return reads(m)

    def trains(m):
        with torch.no_grad():
            m[0].weight += 1
        return reads(m) - 2 * 2

    assert _check(reads, table, solution=reads).passed
    assert "its train/eval mode changed" in _check(evals, table, solution=reads).message
    assert "its parameters or buffers changed" in _check(trains, table, solution=reads).message


def test_one_scalar_rule():
    for value in (3, np.int64(3), np.array(3), torch.tensor(3)):
        assert as_number(value, whole=True) == 3
    for value in (2.5, np.float32(2.5), np.array(2.5), torch.tensor(2.5)):
        assert as_number(value) == 2.5
    for value in (True, np.bool_(True), np.array([2.5]), torch.ones(1), "2.5", None):
        assert as_number(value) is None
    for value in (3.0, np.float64(3.0), torch.tensor(3.0)):
        assert as_number(value, whole=True) is None, "a float where the text says int"


def test_numbers_and_ints_under_the_contract(registry):
    cases = lambda rng: [Case("count([1, 2])", (np.array([1, 2]),))]  # noqa: E731
    table = _table(cases=cases, returns=Returns("int"), mistakes=())
    count = len
    assert _check(lambda x: np.int64(2), table, solution=count).passed
    assert _check(lambda x: np.array(2), table, solution=count).passed
    msg = _check(lambda x: 2.0, table, solution=count).message
    assert "expected an int, got float 2.0" in msg and "not 3.0" in msg
    table = _table(cases=cases, returns=Returns("number"), mistakes=())
    assert _check(lambda x: torch.tensor(2.0), table, solution=count).passed
    assert "a single number, got an array of shape (1,)" in _check(lambda x: np.ones(1) * 2, table,
                                                                    solution=count).message


def test_integer_labels_refuse_floats(registry):
    table = _table(returns=Returns("array", dtype="int"), mistakes=(),
                   cases=lambda rng: [Case("labels(x)", (np.array([0.2, 0.9]),))])
    labels = lambda x: (x > 0.5).astype(np.int64)  # noqa: E731
    assert _check(labels, table, solution=labels).passed
    msg = _check(lambda x: (x > 0.5).astype(np.float32), table, solution=labels).message
    assert "dtype: expected ints, got float32" in msg


def test_techniques_required_and_forbidden(registry):
    import math

    forbid = Technique(math, "fsum", required=False, hint="write the sum yourself, without math.fsum.")
    table = _table(cases=lambda rng: [Case("total([1.0, 2.0])", ([1.0, 2.0],))], returns=Returns("number"),
                   mistakes=(), probes=Probes(techniques=(forbid,)))
    assert _check(lambda xs: sum(xs), table, solution=sum).passed
    assert "without math.fsum" in _check(lambda xs: math.fsum(xs), table, solution=sum).message
    assert math.fsum.__name__ == "fsum", "the spy is removed afterwards"
    need = Technique(math, "fsum", required=True, hint="use math.fsum.")
    table = _table(cases=table.cases, returns=table.returns, mistakes=(), probes=Probes(techniques=(need,)))
    assert _check(lambda xs: math.fsum(xs), table, solution=sum).passed
    assert "use math.fsum" in _check(lambda xs: sum(xs), table, solution=sum).message


def test_value_exercises(registry):
    table = Table(cases=lambda rng: [Case("number of traces", ())], returns=Returns("int"),
                  mistakes=(Mistake(lambda: 6, "repeated trees do not trace again."),),
                  fallback="count the distinct trees.", success="4 traces.")
    assert _check(4, table, solution=lambda: 4, kind="value").passed
    assert _check(6, table, solution=lambda: 4, kind="value").message.endswith("do not trace again.")
    assert _check(5, table, solution=lambda: 4, kind="value").message.endswith("distinct trees.")
    assert "expected an int, got str '4'" in _check("4", table, solution=lambda: 4, kind="value").message


def test_mistakes_are_the_exercises_wrong_answers(registry):
    ex = exercise("99.engine", "t", _double, _table())
    assert [w.hint for w in ex.wrong] == ["that triples: multiply by 2.", "that adds 2: multiply by 2."]


def test_a_mistake_the_contract_refuses_still_gets_its_own_hint(registry):
    table = _table(mistakes=(Mistake(lambda x: (2 * x).ravel(), "you flattened the array: keep its axes."),))
    msg = _check(lambda x: (x + x).ravel(), table).message
    assert msg.startswith("double(random (1, 5) array).shape: expected (1, 5), got (5,)")
    assert msg.endswith("Hint: you flattened the array: keep its axes.")
    assert _check(lambda x: (2 * x)[..., :1], table).message.endswith("look at which axes the result "
                                                                      "should keep.")


def test_an_answer_that_ignores_its_input_is_told_so(registry):
    table = _table(cases=lambda rng: [Case("double([1, 2])", (np.array([1.0, 2.0]),)),
                                      Case("double([3, 4])", (np.array([3.0, 4.0]),))])
    assert "the same for every input tried" in _check(lambda x: np.array([7.0, 7.0]), table).message


def test_keyword_arguments_and_known_exceptions(registry):
    def scale(x, factor=2.0):
        return factor * x

    cases = lambda rng: [Case("scale([1.0])", (np.ones(1),)),  # noqa: E731
                         Case("scale([1.0], factor=3.0)", (np.ones(1),), (("factor", 3.0),))]
    table = _table(cases=cases, mistakes=(Mistake(lambda x, factor=2.0: 2 * x, "use factor."),),
                   raised=lambda case, exc: ("a scaled copy", "accept factor as a keyword.")
                   if isinstance(exc, TypeError) else None)
    assert _check(scale, table, solution=scale).passed
    assert _check(lambda x, factor=2.0: 2 * x, table, solution=scale).message.endswith("use factor.")
    msg = _check(lambda x: 2 * x, table, solution=scale).message
    assert msg.startswith("scale([1.0], factor=3.0): expected a scaled copy, got TypeError")
    assert msg.endswith("Hint: accept factor as a keyword.")


def test_an_adapter_wraps_answer_truth_and_mistakes_alike(registry):
    """``adapt`` turns each function into one that answers a whole case; ``truth`` (with the
    reference's parameters) replaces the reference as what the answer must equal; a mistake is listed
    unadapted, as a learner writes it."""
    def every_part(fn):  # fn(x, k) is part k of the doubled array; the engine wants all parts at once
        return lambda x: np.concatenate([fn(x, k) for k in range(len(x))])

    table = _table(adapt=every_part, truth=lambda x, k: 2 * x[k:k + 1],
                   returns=Returns("array", dtype="float"),
                   mistakes=(Mistake(lambda x, k: 3 * x[k:k + 1], "that triples: multiply by 2."),))
    never_called = lambda x, k: 1 / 0  # noqa: E731 - the truth is what counts, not the reference
    assert _check(lambda x, k: 2 * x[k:k + 1], table, solution=never_called).passed
    msg = _check(lambda x, k: 3 * x[k:k + 1], table, solution=never_called).message
    assert msg.endswith("Hint: that triples: multiply by 2.")
    assert "got [3.0, 6.0]" in msg
    ex = core.get("99.engine")
    assert ex.wrong == table.mistakes and ex.wrong_answer(ex.wrong[0])(np.ones(2), 1).shape == (1,)


def _triples_and_switches_autograd_off(x):
    torch.set_grad_enabled(False)
    torch.set_default_dtype(torch.float64)
    return 3 * x


def test_looking_for_the_mistake_leaves_the_learners_session_as_it_was(registry):
    """The engine runs every known mistake to name the one an answer reproduces: a mistake that
    switches autograd off or changes the default dtype must not do so to the learner's session."""
    table = _table(mistakes=(Mistake(_triples_and_switches_autograd_off, "that triples."),))
    result = _check(lambda x: x + 10, table)  # wrong, and explained by no mistake: all are run
    assert result.status == "failed"
    assert torch.is_grad_enabled()
    assert torch.get_default_dtype() == torch.float32
