"""Checks a run's `metrics.json` against its lab's typed schema (a `typing.TypedDict`).

A lab states its results once, as a TypedDict in its `__init__.py`; the quick-run tests call
`validate_metrics(LAB, metrics)`, so the docs, the README tables and the file cannot drift apart.

Example:
    >>> class Variant(typing.TypedDict):
    ...     final_loss: float
    >>> class Metrics(typing.TypedDict):
    ...     variants: dict[str, Variant]
    >>> validate({"variants": {"course": {"final_loss": 0.1}}}, Metrics)
"""

import types
import typing


class Envelope(typing.TypedDict):
    """The keys every `metrics.json` starts with."""

    lab: str
    preset: str
    seed: int
    quick: bool
    config: dict
    versions: dict[str, str]


class Diagnosis(typing.TypedDict):
    """`metrics.json["diverged"]` of a run whose training stopped being finite."""

    run: str
    message: str


def _is_typeddict(kind):
    return isinstance(kind, type) and issubclass(kind, dict) and hasattr(kind, "__required_keys__")


def validate(value, schema, path="metrics"):
    """Raises `TypeError` naming the first place where `value` does not fit `schema`.

    Supports TypedDicts (extra keys are errors; `NotRequired` keys may be absent), `dict[K, V]`,
    `list[V]`, `tuple[V, ...]`, `Literal[...]`, unions (`X | None`), `typing.Any`, `float` (ints
    accepted), `int`, `str`, `bool`, `dict` and `list`.
    """
    origin, args = typing.get_origin(schema), typing.get_args(schema)
    if schema is typing.Any:
        return
    if _is_typeddict(schema):
        if not isinstance(value, dict):
            raise TypeError(f"{path}: expected an object, got {type(value).__name__}")
        hints = typing.get_type_hints(schema)
        missing = sorted(schema.__required_keys__ - value.keys())
        extra = sorted(value.keys() - hints.keys())
        if missing or extra:
            raise TypeError(f"{path}: missing keys {missing}, unexpected keys {extra}")
        for key, item in value.items():
            validate(item, hints[key], f"{path}.{key}")
        return
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in args:
            try:
                return validate(value, option, path)
            except TypeError as error:
                errors.append(str(error))
        raise TypeError(" or ".join(errors))
    if origin is typing.Literal:
        if value not in args:
            raise TypeError(f"{path}: expected one of {args}, got {value!r}")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"{path}: expected an object, got {type(value).__name__}")
        for key, item in value.items():
            validate(item, args[1], f"{path}.{key}")
        return
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise TypeError(f"{path}: expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            validate(item, args[0], f"{path}[{index}]")
        return
    if schema is type(None):
        if value is not None:
            raise TypeError(f"{path}: expected null, got {value!r}")
        return
    if schema is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif schema is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, schema)
    if not ok:
        raise TypeError(f"{path}: expected {schema.__name__}, got {value!r}")


def validate_metrics(lab, metrics):
    """Checks a lab's `metrics.json`: the envelope, then the lab's `metrics` TypedDict (a
    `"diverged"` diagnosis is allowed too)."""
    envelope_keys = Envelope.__required_keys__
    validate({k: v for k, v in metrics.items() if k in envelope_keys}, Envelope)
    results = {k: v for k, v in metrics.items() if k not in envelope_keys and k != "diverged"}
    if lab.metrics is not None:
        validate(results, lab.metrics)
    if "diverged" in metrics:
        validate(metrics["diverged"], Diagnosis, "metrics.diverged")
