"""The error course_lib raises when a learner passes something it cannot use, and the checks.

Every public function checks its arguments with these helpers, so a wrong argument gets one
kind of message: what was passed, and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


class CourseInputError(ValueError, TypeError):
    """A bad argument: the message names what was passed and what was expected.

    It subclasses both ValueError and TypeError so ``except`` clauses written for
    either keep working.
    """


def describe(value: Any) -> str:
    """A short description of a value for an error message (type, and shape if any)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    text = type(value).__name__
    if shape is not None:
        text += f" of shape {tuple(shape)}"
    if dtype is not None:
        text += f" and dtype {dtype}"
    if shape is None and isinstance(value, (int, float, bool)):
        text += f" {value!r}"
    elif isinstance(value, str):
        text += f" {value[:60]!r}" + ("..." if len(value) > 60 else "")
    return text


def expect(condition: object, name: str, expected: str, got: Any) -> None:
    """Raise CourseInputError naming ``name``, what was expected and what came, unless ``condition``."""
    if not condition:
        raise CourseInputError(f"{name}: expected {expected}, got {describe(got)}.")


def _range_text(low: float | None, high: float | None, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}" if not low_open else f" above {low} and at most {high}"
    if low is not None:
        return f" above {low}" if low_open else f" of at least {low}"
    return f" of at most {high}" if high is not None else ""


def is_int(value: Any) -> bool:
    """True for an int or NumPy integer; False for ``bool``, which Python counts as an int."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def expect_bool(value: Any, name: str) -> bool:
    """``value`` if it is True or False (not 0, 1 or a string such as "yes")."""
    expect(isinstance(value, (bool, np.bool_)), name, "True or False", value)
    return bool(value)


def expect_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int within [low, high]; ``bool`` and floats are refused."""
    ok = is_int(value) and (low is None or value >= low) and (high is None or value <= high)
    expect(ok, name, "an int" + _range_text(low, high), value)
    return int(value)


def expect_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> float:
    """``value`` as a finite float within the range (``low_open``: strictly above ``low``)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (low is None or (v > low if low_open else v >= low)) \
            and (high is None or v <= high)
    expect(ok, name, "a finite number" + _range_text(low, high, low_open), value)
    return float(value)


def expect_fields(obj: Any, *, nan_ok: Sequence[str] = ()) -> None:
    """Check each field of a dataclass instance against its annotation (int, float, str, bool,
    list[float], or None where the annotation allows it); ``nan_ok``: float fields that may be NaN."""
    import dataclasses
    import typing

    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value, hint = getattr(obj, f.name), hints.get(f.name, Any)
        args = typing.get_args(hint)
        if type(None) in args:
            if value is None:
                continue
            hint = next(a for a in args if a is not type(None)) if len(args) == 2 else Any
        if hint is int:
            expect_int(value, f.name)
        elif hint is float:
            if not (f.name in nan_ok and isinstance(value, float) and math.isnan(value)):
                expect_number(value, f.name)
        elif hint is bool:
            expect_bool(value, f.name)
        elif hint is str:
            expect(isinstance(value, str), f.name, "a str", value)
        elif typing.get_origin(hint) is list and typing.get_args(hint) == (float,):
            expect(isinstance(value, list), f.name, "a list of numbers", value)
            for i, v in enumerate(value):
                expect_number(v, f"{f.name}[{i}]")


def expect_port(value: Any, name: str = "port") -> int:
    """``value`` if it is a TCP port number, an int from 1 to 65535 (``bool`` refused)."""
    expect(is_int(value) and 1 <= value <= 65535, name, "an int between 1 and 65535", value)
    return int(value)


def expect_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``."""
    if isinstance(value, bool) or value not in choices:
        raise CourseInputError(f"{name}: expected one of {', '.join(map(repr, choices))}, "
                               f"got {describe(value)}.")
    return value


def expect_callable(value: Any, name: str) -> Callable[..., Any]:
    """``value`` if it can be called."""
    expect(callable(value), name, "a function (something callable)", value)
    return value


def expect_path(value: Any, name: str, *, exists: str | None = None) -> Path:
    """``value`` (a ``str`` or ``Path``) as a Path; ``exists="file"`` or ``"dir"`` also requires it."""
    expect(isinstance(value, (str, Path)) and str(value) != "", name, "a path (a str or pathlib.Path)",
           value)
    path = Path(value)
    if exists == "file" and not path.is_file():
        raise CourseInputError(f"{name}: expected an existing file, got {str(value)!r}.")
    if exists == "dir" and not path.is_dir():
        raise CourseInputError(f"{name}: expected an existing folder, got {str(value)!r}.")
    return path


def _shape_ok(shape: tuple[int, ...], want: Sequence[int | None]) -> bool:
    return len(shape) == len(want) and all(w is None or s == w for s, w in zip(shape, want, strict=True))


def _shape_text(want: Sequence[int | None]) -> str:
    inner = ", ".join("any" if w is None else str(w) for w in want)
    return f"({inner},)" if len(want) == 1 else f"({inner})"


def expect_array(value: Any, name: str, *, ndim: int | Sequence[int] | None = None,
                shape: Sequence[int | None] | None = None, dtype: str | Sequence[str] | None = None,
                low: float | None = None, high: float | None = None, finite: bool = False,
                what: str = "a NumPy array") -> np.ndarray:
    """``value`` if it is a NumPy array of this rank, shape, dtype kind and value range.

    ``dtype`` names NumPy kinds: "uint8", "float" (any float), "int" (any integer), "bool", or an
    exact dtype such as "float32"; ``shape`` may hold ``None`` for "any size"."""
    expect(isinstance(value, np.ndarray), name, what, value)
    return _expect_values(value, name, value.shape, value.dtype, ndim, shape, dtype, low, high, finite,
                         what)


def expect_tensor(value: Any, name: str, *, ndim: int | Sequence[int] | None = None,
                 shape: Sequence[int | None] | None = None, dtype: str | Sequence[str] | None = None,
                 low: float | None = None, high: float | None = None, finite: bool = False,
                 what: str = "a torch.Tensor") -> Any:
    """``value`` if it is a torch tensor of this rank, shape, dtype and value range (as expect_array)."""
    import torch

    expect(isinstance(value, torch.Tensor), name, what, value)
    return _expect_values(value, name, tuple(value.shape), value.dtype, ndim, shape, dtype, low, high,
                         finite, what)


def _dtype_matches(dtype: Any, want: str) -> bool:
    text = str(dtype).replace("torch.", "")
    if want == "float":
        return text.startswith(("float", "bfloat"))
    if want == "int":
        return text.startswith(("int", "uint"))
    return text == want


def _expect_values(value: Any, name: str, have: tuple[int, ...], dtype: Any, ndim: int | Sequence[int] | None,
                  shape: Sequence[int | None] | None, want_dtype: str | Sequence[str] | None,
                  low: float | None, high: float | None, finite: bool, what: str) -> Any:
    if ndim is not None:
        ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        expect(len(have) in ranks, name, f"{what} with {' or '.join(map(str, ranks))} dimension(s)", value)
    if shape is not None:
        expect(_shape_ok(have, shape), name, f"{what} of shape {_shape_text(shape)}", value)
    if want_dtype is not None:
        kinds = (want_dtype,) if isinstance(want_dtype, str) else tuple(want_dtype)
        expect(any(_dtype_matches(dtype, k) for k in kinds), name, f"{what} of dtype {' or '.join(kinds)}",
               value)
    if finite or low is not None or high is not None:
        arr = np.asarray(value.detach().cpu().float() if hasattr(value, "detach") else value, dtype=float)
        if finite and arr.size and not np.isfinite(arr).all():
            raise CourseInputError(f"{name}: expected finite values, got {describe(value)} containing "
                                   "NaN or infinity.")
        if arr.size and ((low is not None and arr.min() < low) or (high is not None and arr.max() > high)):
            raise CourseInputError(f"{name}: expected values{_range_text(low, high)}, got "
                                   f"{describe(value)} with values from {arr.min():.4g} to {arr.max():.4g}.")
    return value


@contextmanager
def wrapped(what: str, *, errors: tuple[type[BaseException], ...] = (Exception,)) -> Iterator[None]:
    """Turn an error from a deeper library (OpenCV, torch, ...) into a CourseInputError naming ``what``.

    ``what`` says what the learner passed, e.g. ``"Resize(size=32) on an image of shape (4, 4, 7)"``."""
    try:
        yield
    except CourseInputError:
        raise
    except errors as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise CourseInputError(f"{what}: {type(exc).__name__} from the library below: {first[:200]}") \
            from exc
