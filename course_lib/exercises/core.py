"""Exercise checks that give specific feedback, and reference solutions kept out of sight.

A lesson's stub cell carries the Jupyter tag ``exercise``; the cell after it, tagged
``check``, calls :func:`check`. Checks live in ``course_lib/exercises/lessonNN.py``;
reference solutions in ``course_lib/solutions/lessonNN.py``, shown only by :func:`solution`.
A learner's function runs under a time limit, and whatever it raises becomes feedback.

Every lesson's exercise file follows one template::

    def _cases(rng):                 # seeded; edge cases first: size-1 axes, extremes, thresholds
        return [Case("f(x) for ...", (x,)), ...]

    exercise("NN.name", "Title", solutions.name, Table(
        cases=_cases, returns=Returns("number" | "int" | "array" | "tensor" | "any", ...),
        mistakes=(Mistake(wrong_function, "the whole hint the learner reads"), ...),
        fallback="the hint when no known mistake explains the answer",
        success="what was checked, and nothing more"))

:func:`run_table` runs the answer (through the stock probes of :func:`probed_call`), the
reference and every mistake on each case, and names the mistake whose outputs the answer
reproduces. ``Table.truth`` replaces the reference with an independent truth (torch autograd, a
real DataLoader); ``Table.adapt`` wraps the answer, the truth and every mistake alike (for an
answer judged only as a whole, such as one share per rank). An exercise that needs behaviour
probes (timing, a graph, a training step) keeps a hand-written grader and registers
``Exercise(..., wrong=(Mistake(...), ...))``: the tests run the same Mistake list either way.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import json
import os
import pkgutil
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from course_lib.errors import CourseInputError, expect

Status = Literal["passed", "failed", "not_attempted"]

PROGRESS_LOG_ENV = "COURSE_PROGRESS_LOG"  # when set, check() appends each result here (JSON lines)
DEFAULT_TIME_LIMIT = 5.0  # seconds a learner's function may run per call


class Mismatch(Exception):
    """Raised by a grader: what was checked, what was expected, what came back, and a hint."""

    def __init__(self, what: str, expected: Any, got: Any, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.expected, self.got, self.hint = what, expected, got, hint

    def feedback(self) -> str:
        text = f"{self.what}: expected {self.expected}, got {self.got}."
        return f"{text} Hint: {self.hint}" if self.hint else text


class TimeLimitExceeded(BaseException):
    """Raised inside a learner's function that ran past its time limit.

    A BaseException, so that a learner's ``except Exception`` cannot swallow it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran past {seconds:g} s")
        self.seconds = seconds


def require(condition: object, what: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`Mismatch` with this feedback unless ``condition`` holds."""
    if not condition:
        raise Mismatch(what, expected, got, hint)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its grader, its reference solution and answers known to be wrong."""

    id: str  # "NN.name": NN is the lesson number
    title: str
    grader: Callable[[Any], str]  # returns a success message or raises Mismatch
    solution: Callable[..., Any]  # the reference solution (see ``kind``)
    kind: Literal["function", "value"] = "function"
    wrong: tuple[Mistake, ...] = ()
    time_limit: float = DEFAULT_TIME_LIMIT  # per call of a learner's function (the whole check
    # for a ``value`` exercise)

    def reference_answer(self) -> Any:
        """What a learner who solved it would pass to :func:`check`."""
        return self.solution if self.kind == "function" else self.solution()

    def wrong_answer(self, wrong: Mistake) -> Any:
        """What a learner who gave this wrong answer would pass to :func:`check`."""
        return wrong.answer if self.kind == "function" else wrong.answer()


@dataclass(frozen=True)
class Result:
    """The outcome of one check."""

    id: str
    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        mark = {"passed": "✅ Correct", "failed": "❌ Not yet", "not_attempted": "⏳ Not attempted yet"}
        return f"{mark[self.status]} [{self.id}]: {self.message}"


_REGISTRY: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    """Add an exercise to the registry (called by the lessonNN modules at import)."""
    if ex.id in _REGISTRY and _REGISTRY[ex.id] is not ex:
        raise ValueError(f"exercise {ex.id!r} is registered twice")
    _REGISTRY[ex.id] = ex
    return ex


def _load_lesson(exercise_id: str) -> None:
    lesson = exercise_id.split(".", 1)[0]
    try:
        importlib.import_module(f"course_lib.exercises.lesson{lesson}")
    except ModuleNotFoundError:
        pass


def load_all() -> dict[str, Exercise]:
    """Import every lesson's exercises; return the registry (id -> Exercise)."""
    import course_lib.exercises as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"course_lib.exercises.{info.name}")
    return dict(_REGISTRY)


def lesson_ids(lesson: str) -> list[str]:
    """The ids of lesson ``lesson``'s registered exercises (``"03"`` -> ``["03.a", ...]``), sorted."""
    _load_lesson(lesson + ".")
    return sorted(i for i in _REGISTRY if i.startswith(lesson + "."))


def get(exercise_id: str) -> Exercise:
    """The exercise with this id, e.g. ``"00.mean_squared_error"``."""
    expect(isinstance(exercise_id, str), "exercise_id", "a string such as '00.mean_squared_error'",
           exercise_id)
    _load_lesson(exercise_id)
    if exercise_id not in _REGISTRY:
        lesson = exercise_id.split(".", 1)[0]
        known = sorted(k for k in _REGISTRY if k.startswith(lesson + ".")) or sorted(load_all())
        raise CourseInputError(f"exercise_id: no exercise {exercise_id!r}; known: {', '.join(known)}.")
    return _REGISTRY[exercise_id]


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the code inside after ``seconds`` of wall time.

    Uses SIGALRM, so it works only in the main thread (where a notebook's cells run);
    elsewhere the code runs without a limit."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # no timer, or one already runs
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limited(fn: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """``fn``, with each call stopped after ``seconds``."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with time_limit(seconds):
            return fn(*args, **kwargs)

    return call


_LIBRARY_DIR = str(Path(__file__).resolve().parent.parent)


def _where_in_learner_code(exc: BaseException) -> str:
    """' (line N of your code: `...`)' for the innermost frame outside course_lib and libraries."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith(_LIBRARY_DIR) or "site-packages" in name or name.startswith(sys.prefix) \
                or name.startswith(sys.base_prefix):
            continue
        code = f": `{frame.line.strip()}`" if frame.line else ""
        found = f" (line {frame.lineno} of your code{code})"
    return found


def _not_attempted(answer: Any) -> bool:
    return answer is ... or answer is NotImplemented


def evaluate(exercise_id: str, answer: Any) -> Result:
    """Run the check and return its :class:`Result`; never raises for a learner's mistake."""
    ex = get(exercise_id)
    todo = "fill in the exercise cell above, run it, then run this cell again."
    if _not_attempted(answer):
        return Result(ex.id, "not_attempted", todo)
    if ex.kind == "function" and not callable(answer):
        return Result(ex.id, "failed",
                      f"expected a function (the one you defined in the exercise cell), got "
                      f"{type(answer).__name__}. Hint: pass the function itself, without calling it.")
    try:
        if ex.kind == "function":
            message = ex.grader(_limited(answer, ex.time_limit))
        else:
            with time_limit(ex.time_limit):
                message = ex.grader(answer)
    except NotImplementedError:
        return Result(ex.id, "not_attempted", todo)
    except Mismatch as m:
        return Result(ex.id, "failed", m.feedback())
    except TimeLimitExceeded as t:
        return Result(ex.id, "failed",
                      f"stopped your code after {t.seconds:g} s{_where_in_learner_code(t)}: the check "
                      "takes well under a second when the answer is right. Hint: look for a loop "
                      "that never ends (a `while` whose condition never changes), or work done "
                      "element by element in Python where one tensor operation would do.")
    except Exception as exc:  # the learner's code raised: say what and where, not a traceback
        return Result(ex.id, "failed",
                      f"your code raised {type(exc).__name__}: {exc}{_where_in_learner_code(exc)}")
    return Result(ex.id, "passed", message)


def _log(result: Result) -> None:
    path = os.environ.get(PROGRESS_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"id": result.id, "status": result.status,
                                  "message": result.message}) + "\n")


def check(exercise_id: str, answer: Any) -> None:
    """Check a learner's answer and print specific feedback (used in cells tagged ``check``)."""
    result = evaluate(exercise_id, answer)
    _log(result)
    print(result)


# ---------------------------------------------------------------------------------------------
# The engine. An exercise is a table: seeded cases, a return contract, known mistakes (each
# with the whole hint its learner reads) and a fallback hint. Every call of a learner's
# function goes through the stock probes: its inputs stay unchanged, its result is not one of
# them, and global state (grad mode, default dtype, random generators) is as it was.


class Mistake(NamedTuple):
    """A known-wrong answer and the whole hint a learner who gives it reads.

    For a ``function`` exercise ``answer`` is the wrong function; for a ``value`` exercise, a
    function of no arguments that builds the wrong value. The tests run every one."""

    answer: Callable[..., Any]
    hint: str


class Case(NamedTuple):
    """One call of the learner's function: how the feedback names it, and its arguments."""

    what: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()  # keyword arguments, as (name, value) pairs

    def call(self, fn: Callable[..., Any]) -> Any:
        """``fn`` on fresh copies of the arguments."""
        import copy

        return fn(*copy.deepcopy(self.args), **copy.deepcopy(dict(self.kwargs)))


class Technique(NamedTuple):
    """A library function the answer must call (``required``) or must not call (write it yourself)."""

    owner: Any  # the module or class that holds it
    name: str
    required: bool
    hint: str


NUMBER_HINT = ("return one number: a Python or NumPy number, or a 0-d array or tensor "
               "(.item() turns a one-element array into a number).")
INT_HINT = "return a whole number as an int (3, not 3.0): the text asks for a count."


@dataclass(frozen=True)
class Returns:
    """The return contract: type, shape and dtype, and what counts as equal to the reference.

    One rule for scalars across the course: ``number`` accepts a Python or NumPy int or float,
    a 0-d array or a 0-d tensor (not a bool, not an array of shape (1,)); ``int`` accepts the
    integer ones only. ``array`` wants a NumPy array, ``tensor`` a torch tensor."""

    kind: Literal["number", "int", "array", "tensor", "any"] = "any"
    shape: Callable[[Case], tuple[int, ...]] | None = None  # the shape expected for a case
    dtype: str | None = None  # "float", "int" (class labels: a loss refuses floats), or a name
    rtol: float = 1e-6
    atol: float = 1e-8
    equal: Callable[[Any, Any], bool] | None = None  # replaces the closeness test
    show: Callable[[Any], Any] | None = None  # how feedback prints a value
    convert: Callable[[Any, str, Case | None], Any] | None = None  # checks and converts an "any"
    type_hint: str = ""
    shape_hint: str = ""
    dtype_hint: str = ""

    def same(self, got: Any, want: Any) -> bool:
        """Does ``got`` count as equal to ``want`` (both already conformed)?"""
        if self.equal is not None:
            return bool(self.equal(got, want))
        if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
            a, b = np.asarray(got), np.asarray(want)
            if a.shape != b.shape:
                return False
            if a.dtype.kind in "fciub" and b.dtype.kind in "fciub":
                return bool(np.allclose(a, b, rtol=self.rtol, atol=self.atol, equal_nan=True))
            return bool(np.array_equal(a, b))
        if isinstance(want, float) or isinstance(got, float):
            try:
                return bool(np.isclose(got, want, rtol=self.rtol, atol=self.atol, equal_nan=True))
            except TypeError:
                return False
        try:
            return bool(got == want)
        except Exception:  # noqa: BLE001 - a comparison that fails means "not equal"
            return False

    def shown(self, value: Any) -> Any:
        """``value`` as the feedback prints it: numbers rounded, long arrays cut short."""
        if self.show is not None:
            return self.show(value)
        return show(value)


def show(value: Any) -> Any:
    """A short, readable form of a value for feedback."""
    if isinstance(value, float):
        return float(f"{value:.6g}")  # six significant digits: 1.5625e-09 stays readable
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            value = np.round(value.astype(np.float64), 4)  # float32 would print 0.8359000086784363
        if value.size <= 8:
            return value.tolist()
        shown = value.ravel()[:3].tolist()
        return f"an array of shape {value.shape} starting {shown}"
    return value


def _torch() -> Any:
    """torch if the session has imported it (so the probes never import it themselves)."""
    return sys.modules.get("torch")


def _to_numpy(value: Any) -> np.ndarray | None:
    """A NumPy array for an array or tensor (torch, TensorFlow), else None."""
    if isinstance(value, np.ndarray):
        return value
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        return np.asarray(value.detach().cpu().numpy())
    if hasattr(value, "numpy") and hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            return np.asarray(value.numpy())  # a TensorFlow tensor
        except Exception:  # noqa: BLE001 - not an eager tensor after all
            return None
    return None


def as_number(value: Any, *, whole: bool = False) -> float | int | None:
    """The one scalar rule: a number for a Python/NumPy scalar or a 0-d array or tensor, else None.

    With ``whole``, integer types only (a float that happens to be whole is refused)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if whole else float(value)
    array = _to_numpy(value)
    if array is None or array.ndim != 0:
        return None
    if array.dtype.kind in "iu":
        return int(array)
    if array.dtype.kind == "f" and not whole:
        return float(array)
    return None


def conform(value: Any, returns: Returns, what: str, case: Case | None = None) -> Any:
    """``value`` checked against the contract and made comparable; raises :class:`Mismatch`."""
    if returns.kind in ("number", "int"):
        whole = returns.kind == "int"
        number = as_number(value, whole=whole)
        if number is None:
            shape = getattr(value, "shape", None)
            got = (f"an array of shape {tuple(shape)}" if shape is not None and len(shape) > 0
                   else f"{type(value).__name__} {value!r}" if isinstance(value, (int, float, str))
                   else type(value).__name__ if shape is None else f"{type(value).__name__} of dtype "
                   f"{getattr(value, 'dtype', '?')}")
            raise Mismatch(what, "an int" if whole else "a single number", got,
                           returns.type_hint or (INT_HINT if whole else NUMBER_HINT))
        return number
    if returns.kind == "any":
        return returns.convert(value, what, case) if returns.convert else value
    torch = _torch()
    if returns.kind == "tensor":
        ok = torch is not None and isinstance(value, torch.Tensor)
        hint = "return a torch tensor, computed with torch operations."
    else:
        ok = isinstance(value, np.ndarray)
        hint = "return a NumPy array (np.asarray turns a list into one)."
    if not ok:
        raise Mismatch(what, "a torch tensor" if returns.kind == "tensor" else "a NumPy array",
                       type(value).__name__, returns.type_hint or hint)
    array = _to_numpy(value)
    assert array is not None
    if returns.shape is not None and case is not None:
        want = tuple(returns.shape(case))
        if array.shape != want:
            raise Mismatch(f"{what}.shape", want, tuple(array.shape),
                           returns.shape_hint or "look at which axes the result should keep.")
    if returns.dtype is not None:
        kinds = {"float": "f", "int": "iu"}.get(returns.dtype)
        ok = array.dtype.kind in kinds if kinds else array.dtype == np.dtype(returns.dtype)
        if not ok:
            raise Mismatch(f"{what}.dtype", returns.dtype if not kinds else f"{returns.dtype}s",
                           str(value.dtype), returns.dtype_hint or f"return {returns.dtype} values.")
    return array


# -- the stock probes --------------------------------------------------------------------------


def _snapshot(value: Any) -> Any:
    """A copy of ``value`` to compare with afterwards (arrays, tensors, models and containers)."""
    torch = _torch()
    if isinstance(value, np.ndarray):
        return value.copy()
    if torch is not None and isinstance(value, torch.nn.Module):
        return ([m.training for m in value.modules()],
                {k: v.detach().clone() for k, v in value.state_dict().items()},
                [p.requires_grad for p in value.parameters()])
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().clone(), value.requires_grad
    if isinstance(value, (list, tuple)):
        return type(value), [_snapshot(v) for v in value]
    if isinstance(value, dict):
        return dict, {k: _snapshot(v) for k, v in value.items()}
    return None  # immutable, or not something the probes can compare


def _changed(value: Any, before: Any) -> str:
    """How ``value`` differs from its snapshot ``before`` ('' when it does not)."""
    torch = _torch()
    if isinstance(value, np.ndarray):
        same = before.shape == value.shape and before.dtype == value.dtype and \
            np.array_equal(before, value, equal_nan=before.dtype.kind in "fc")
        return "" if same else "its values"
    if torch is not None and isinstance(value, torch.nn.Module):
        modes, state, grads = before
        if [m.training for m in value.modules()] != modes:
            return "its train/eval mode"
        now = value.state_dict()
        if now.keys() != state.keys() or not all(torch.equal(now[k], state[k]) for k in state):
            return "its parameters or buffers"
        return "" if [p.requires_grad for p in value.parameters()] == grads else "requires_grad"
    if torch is not None and isinstance(value, torch.Tensor):
        tensor, requires_grad = before
        same = tensor.shape == value.shape and tensor.dtype == value.dtype and \
            bool(torch.equal(tensor, value.detach()))
        return "its values" if not same else "" if requires_grad == value.requires_grad else \
            "requires_grad"
    if isinstance(value, (list, tuple)):
        kind, items = before
        if len(items) != len(value):
            return "its length"
        return next((c for v, b in zip(value, items, strict=True) if (c := _changed(v, b))), "")
    if isinstance(value, dict):
        items = before[1]
        if value.keys() != items.keys():
            return "its keys"
        return next((c for k, b in items.items() if (c := _changed(value[k], b))), "")
    return ""


def _mutable(value: Any) -> bool:
    torch = _torch()
    return isinstance(value, (np.ndarray, list, dict)) or (
        torch is not None and isinstance(value, (torch.Tensor, torch.nn.Module)))


def _global_state(rng: bool) -> dict[str, Any]:
    """What a learner's function must leave as it found it."""
    import random

    state: dict[str, Any] = {}
    torch = _torch()
    if torch is not None:
        state["grad"] = torch.is_grad_enabled()
        state["dtype"] = torch.get_default_dtype()
        if rng:
            state["torch_rng"] = torch.random.get_rng_state()
    if rng:
        state["numpy_rng"] = np.random.get_state()
        state["python_rng"] = random.getstate()
    return state


STATE_HINTS = {
    "grad": ("autograd's grad mode", "your function switched autograd off (or on) for the whole "
             "session: use `with torch.no_grad():`, which puts it back when the block ends."),
    "dtype": ("torch's default dtype", "your function changed the default dtype for the whole "
              "session: give the dtype to the tensors you create (dtype=...) instead."),
    "torch_rng": ("torch's global random generator", "your function drew from (or seeded) torch's "
                  "global generator, which changes every random number drawn after it: the "
                  "exercise needs no randomness."),
    "numpy_rng": ("NumPy's global random generator", "your function drew from (or seeded) "
                  "np.random, which changes every random number drawn after it: the exercise "
                  "needs no randomness."),
    "python_rng": ("Python's random module", "your function drew from (or seeded) Python's "
                   "random module: the exercise needs no randomness."),
}


def _same_state(a: Any, b: Any) -> bool:
    torch = _torch()
    if torch is not None and isinstance(a, torch.Tensor):
        return bool(torch.equal(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def _restore(state: dict[str, Any]) -> None:
    import random

    torch = _torch()
    if "grad" in state:
        torch.set_grad_enabled(state["grad"])
        torch.set_default_dtype(state["dtype"])
    if "torch_rng" in state:
        torch.random.set_rng_state(state["torch_rng"])
    if "numpy_rng" in state:
        np.random.set_state(state["numpy_rng"])
        random.setstate(state["python_rng"])


@dataclass(frozen=True)
class Probes:
    """The stock probes, all on by default; an exercise turns one off only with a reason."""

    inputs_unchanged: bool = True  # off only where the exercise is about in-place work
    not_an_input: bool = True  # the result is a new object, not one of the arguments
    global_state: bool = True  # grad mode and default dtype
    rng: bool = True  # off where the function is meant to draw random numbers
    mutation_hint: str = ""  # replaces the stock hint for a changed argument
    techniques: tuple[Technique, ...] = ()


@contextmanager
def _spying(techniques: tuple[Technique, ...], calls: dict[str, int]) -> Iterator[None]:
    """Count calls of each technique's function while the learner's code runs."""
    saved = []
    for t in techniques:
        original = getattr(t.owner, t.name)

        def spy(*args: Any, _original: Any = original, _name: str = t.name, **kwargs: Any) -> Any:
            calls[_name] = calls.get(_name, 0) + 1
            return _original(*args, **kwargs)

        saved.append((t.owner, t.name, original))
        setattr(t.owner, t.name, spy)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def probed_call(fn: Callable[..., Any], case: Case, names: list[str], probes: Probes,
                calls: dict[str, int] | None = None) -> Any:
    """Call ``fn`` on fresh copies of the case's arguments and run the stock probes on the call."""
    import copy

    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs))
    before = [_snapshot(a) for a in args] if probes.inputs_unchanged else []
    state = _global_state(probes.rng) if probes.global_state else {}
    try:
        with _spying(probes.techniques, calls if calls is not None else {}):
            got = fn(*args, **kwargs)
    finally:
        now = _global_state(probes.rng) if probes.global_state else {}
        _restore(state)  # leave the learner's session as it was, whatever happened
    for key, value in state.items():
        if not _same_state(value, now[key]):
            name, hint = STATE_HINTS[key]
            raise Mismatch(f"{name} after {case.what}", "unchanged", "changed", hint)
    for name, arg, snap in zip(names, args, before, strict=False):
        change = _changed(arg, snap) if snap is not None else ""
        if change:
            raise Mismatch(f"{name} after {case.what}", "unchanged", f"{change} changed",
                           probes.mutation_hint or f"your function changed its argument `{name}` "
                           "in place: work on a copy (or build a new result) and leave the "
                           "input as it was.")
    if probes.not_an_input:
        for name, arg in zip(names, args, strict=False):
            if got is arg and _mutable(arg):
                raise Mismatch(case.what, "a new object", f"the argument `{name}` itself",
                               f"you returned `{name}` itself: build and return a new object, so "
                               "that changing the result cannot change the input.")
    return got


# -- the table and its engine ------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Everything the engine needs to check one exercise."""

    cases: Callable[[np.random.Generator], list[Case]]  # seeded; for a value exercise, one Case
    returns: Returns
    mistakes: tuple[Mistake, ...]
    fallback: str  # the hint when no known mistake explains the answer
    success: str  # what was checked, and nothing more
    seed: int = 0
    probes: Probes = Probes()
    diagnose: Callable[[Case, Any, Any], str | None] | None = None  # a rule tried before fallback
    shown: Callable[[Case, Any, Any], tuple[Any, Any]] | None = None  # (expected, got) as printed
    raised: Callable[[Case, Exception], tuple[str, str] | None] | None = None  # (expected, hint)
    # for an exception that a known mistake raises
    ignores_input_hint: str = ("your result is the same for every input tried: compute it from the "
                               "arguments, not from a variable of the notebook or a number of your own.")
    truth: Callable[..., Any] | None = None  # what the answer must equal, when not the reference
    # (an independent truth: torch autograd, a real DataLoader)
    adapt: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None  # wraps the answer, the
    # truth and every mistake alike: e.g. calls a per-rank function once per rank, to judge one case


def explain(got: list[Any], mistakes: tuple[Mistake, ...], outputs: Callable[[Mistake], list[Any]],
            same: Callable[[Any, Any], bool]) -> Mistake | None:
    """The first mistake whose outputs equal the answer's on every case (None if none does)."""
    for mistake in mistakes:
        try:
            theirs = outputs(mistake)
        except Exception:  # noqa: BLE001 - a mistake that fails on some case explains nothing here
            continue
        if len(theirs) == len(got) and all(same(g, t) for g, t in zip(got, theirs, strict=True)):
            return mistake
    return None


def _differences(want: np.ndarray, got: np.ndarray, returns: Returns) -> tuple[str, str]:
    """Up to four elements where two arrays of one shape differ, with their indices."""
    a, b = got.reshape(-1), want.reshape(-1)
    if returns.equal is None and a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
        flat = np.flatnonzero(~np.isclose(a, b, rtol=returns.rtol, atol=returns.atol, equal_nan=True))[:4]
    else:
        flat = np.array([i for i in range(min(a.size, 10_000))
                         if not returns.same(a[i:i + 1], b[i:i + 1])][:4], dtype=np.int64)
    where = [tuple(int(k) for k in np.unravel_index(i, want.shape)) for i in flat]
    at = ", ".join(str(w[0] if len(w) == 1 else list(w)) for w in where)
    return (f"{show(want.reshape(-1)[flat])} at index {at}", f"{show(got.reshape(-1)[flat])} there")


def _quietly(make: Callable[[], Any]) -> Any:
    """``make()`` with NumPy's and Python's warnings silenced (a known mistake may divide by 0), and
    the session's global state (grad mode, default dtype, random generators) put back afterwards:
    a known mistake that switches autograd off must not do so to the learner's session."""
    state = _global_state(rng=True)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make()
    finally:
        _restore(state)


def _same_raw(a: Any, b: Any) -> bool:
    """Two raw results alike: same type, and for arrays and tensors the same shape, dtype and values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_raw(u, v) for u, v in zip(a, b, strict=True))
    x, y = _to_numpy(a), _to_numpy(b)
    if x is None or y is None:
        try:
            return bool(a == b)
        except Exception:  # noqa: BLE001 - a comparison that fails means "not alike"
            return False
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if x.dtype.kind in "fc":
        return bool(np.allclose(x, y, rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(x, y))


def _name_refused_mistake(refusal: Mismatch, raw: list[Any], cases: list[Case],
                          mistakes: tuple[Mistake, ...]) -> None:
    """Re-raise the contract's refusal with the hint of a mistake that returns the very same values."""

    def outputs(m: Mistake) -> list[Any]:
        return list(_quietly(lambda: [c.call(m.answer) for c in cases]))

    found = explain(raw, mistakes, outputs, _same_raw)
    if found is not None:
        raise Mismatch(refusal.what, refusal.expected, refusal.got, found.hint) from None


def _is_probe(exc: BaseException) -> bool:
    """A stock probe's finding (always reported), as opposed to a wrong or failed result."""
    return isinstance(exc, Mismatch) and exc.expected in ("unchanged", "a new object")


def run_table(table: Table, solution: Callable[..., Any], answer: Any, kind: str) -> str:
    """Check ``answer`` against the table: the grader behind every table exercise."""

    cases = list(table.cases(np.random.default_rng(table.seed)))
    returns = table.returns
    calls: dict[str, int] = {}
    if kind == "value":
        got = [conform(answer, returns, cases[0].what, cases[0])]
        want = [conform(_quietly(solution), returns, cases[0].what, cases[0])]
    else:
        names = list(inspect.signature(solution).parameters)
        got, want, raw = [], [], []
        for c in cases:
            want.append(conform(_quietly(functools.partial(c.call, solution)), returns, c.what, c))
            try:
                raw.append(probed_call(answer, c, names, table.probes, calls))
                got.append(conform(raw[-1], returns, c.what, c))
            except Exception as exc:  # an earlier wrong result explains more than this
                if _is_probe(exc) or all(returns.same(g, w) for g, w in zip(got, want, strict=False)):
                    said = table.raised(c, exc) if table.raised and not isinstance(exc, Mismatch) else None
                    if said is not None:
                        raise Mismatch(c.what, said[0], f"{type(exc).__name__}: {exc}", said[1]) from None
                    if isinstance(exc, Mismatch) and len(raw) > len(got):  # the contract refused it
                        _name_refused_mistake(exc, raw, cases[:len(raw)], table.mistakes)
                    raise
                cases, want = cases[:len(got)], want[:len(got)]
                break
    bad = [i for i in range(len(cases)) if not returns.same(got[i], want[i])]
    if not bad:
        for t in table.probes.techniques:
            used = calls.get(t.name, 0)
            require(bool(used) == t.required, f"{t.name} in your function",
                    "called" if t.required else "not called", f"called {used} time(s)", t.hint)
        return table.success
    i = bad[0]
    case, shown_want, shown_got = cases[i], returns.shown(want[i]), returns.shown(got[i])
    if table.shown is not None:
        shown_want, shown_got = table.shown(case, want[i], got[i])
    elif isinstance(want[i], np.ndarray) and isinstance(got[i], np.ndarray) and \
            want[i].shape == got[i].shape and want[i].size > 8:
        shown_want, shown_got = _differences(want[i], got[i], returns)

    def outputs(mistake: Mistake) -> list[Any]:
        if kind == "value":
            return [conform(_quietly(mistake.answer), returns, cases[0].what, cases[0])]
        return [conform(v, returns, c.what, c) for c, v in zip(cases, _quietly(
            lambda: [c.call(mistake.answer) for c in cases]), strict=True)]

    found = explain(got, table.mistakes, outputs, returns.same)
    if found is not None:
        raise Mismatch(case.what, shown_want, shown_got, found.hint)
    if len(got) > 1 and all(returns.same(g, got[0]) for g in got) and \
            not all(returns.same(w, want[0]) for w in want):
        raise Mismatch(case.what, shown_want, shown_got, table.ignores_input_hint)
    hint = table.diagnose(case, got[i], want[i]) if table.diagnose else None
    raise Mismatch(case.what, shown_want, shown_got, hint or table.fallback)


def exercise(id: str, title: str, solution: Callable[..., Any], table: Table,  # noqa: A002
             kind: Literal["function", "value"] = "function",
             time_limit: float = DEFAULT_TIME_LIMIT) -> Exercise:
    """Register a table exercise: the engine is its grader, its mistakes are its wrong answers."""
    adapt = table.adapt or (lambda fn: fn)
    inner = dataclasses.replace(table, mistakes=tuple(Mistake(adapt(m.answer), m.hint)
                                                      for m in table.mistakes))
    truth = adapt(table.truth or solution)
    return register(Exercise(
        id=id, title=title, solution=solution, kind=kind, wrong=table.mistakes,
        grader=lambda answer: run_table(inner, truth, adapt(answer), kind), time_limit=time_limit))


def solution(exercise_id: str) -> None:
    """Print the reference solution as code to paste over the exercise cell (only when asked)."""
    from course_lib.tools.solutions_text import paste_text

    ex = get(exercise_id)
    print(f"# Reference solution for {ex.id}: {ex.title}")
    print(paste_text(ex.solution, ex.kind))
