"""A lab's declaration: its presets, flags, subcommands and metrics schema, in one place.

A lab package declares itself once, in its `__init__.py`, without importing TensorFlow:

    @dataclasses.dataclass(frozen=True)
    class Config:
        epochs: int = kit.flag(80, "passes over the training windows")
        cell: str = kit.flag("gru", "recurrent cell", choices=("gru", "lstm"))
        units: int = 10  # not a flag: set by the presets only

        def quick(self):
            return dataclasses.replace(self, epochs=2)

    LAB = kit.Lab(__name__, __doc__, {"course": Config(), "improved": Config(units=32)},
                  section="3_5_Seq2Seq", commands={"translate": kit.Command(Translate, "...")})

Every field declared with `kit.flag` is a command-line flag (`--cell`); the config a run uses is
the preset, made `quick()` under `--quick`, with the flags given applied last, so
`metrics.json["config"]` is exactly what ran. A subcommand's options are a dataclass of
`kit.flag` and `kit.argument` fields in the same way.
"""

import argparse
import dataclasses
import math
import os
import pathlib
import shlex
import sys
import types
import typing

SEED_MAX = 2**32 - 1  # what numpy and TensorFlow accept as a seed
STRATEGIES = ("default", "mirrored")  # --strategy (labs.kit.training.get_strategy)


@dataclasses.dataclass(frozen=True)
class FlagSpec:
    """How a config or options field appears on the command line (see `flag`, `argument`)."""

    help: str
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    positional: bool = False


def flag(default, help, *, choices=None, minimum=None, maximum=None):
    """A dataclass field that is also a command-line flag, `--<field-name>`.

    The flag's type is the field's annotation: `int` (≥ `minimum`, 1 unless given), `float`
    (finite; > 0 unless `minimum` is given, then ≥ it), `str`, `bool` (`--x` / `--no-x`),
    `pathlib.Path`, `tuple[str, ...]` or `tuple[int, ...]` (comma-separated), or `X | None`.

    Args:
        default: the field's default (a preset may set another value).
        help: one line for `--help`.
        choices: the accepted values (for a tuple field: the names it may list).
        minimum: the smallest accepted number.
        maximum: the largest accepted number.

    Returns:
        A `dataclasses.field`.

    Example:
        >>> epochs: int = kit.flag(30, "most epochs per model")
    """
    spec = FlagSpec(help, tuple(choices) if choices else None, minimum, maximum)
    return dataclasses.field(default=default, metadata={"flag": spec})


def argument(help, *, default=dataclasses.MISSING, choices=None):
    """A positional command-line argument of a subcommand's options (a `tuple` field takes
    one or more values, any other field exactly one).

    Example:
        >>> words: tuple[str, ...] = kit.argument("the words to start from")
    """
    spec = FlagSpec(help, tuple(choices) if choices else None, positional=True)
    return dataclasses.field(default=default, metadata={"flag": spec})


@dataclasses.dataclass(frozen=True)
class Command:
    """A lab's subcommand, such as `python -m labs.attention translate "march 3, 2007"`.

    Args:
        options: a frozen dataclass of the subcommand's `kit.flag` / `kit.argument` fields.
        help: one line for the lab's `--help`.
        reads_run: the subcommand reads a finished run (`--output-dir`, default `runs/<lab>`).
        seeded: the subcommand draws random numbers: it takes `--seed` (`context.seed`).

    The function run is `labs.<lab>.commands.<name>(context, options)`; it returns None or an
    exit status.
    """

    options: type
    help: str
    reads_run: bool = True
    seeded: bool = False


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What a command was asked to do besides the lab's config: where, with which seed, how.

    Attributes:
        lab: the lab's name (`"seq2seq"`).
        output_dir: the run's folder (`--output-dir`, default `runs/<lab>`).
        seed: `--seed`, 0 … 2**32 - 1.
        preset: `--preset` (None for a subcommand).
        quick: `--quick`: the smallest run that exercises every code path.
        plots: False under `--no-plots`.
        verbose: `--verbose`: library log lines and warnings are kept.
        manual_dir: `--manual-dir` (env `LABS_MANUAL_DIR`) for labs that load data.
        data_dir: `--data-dir` (env `TFDS_DATA_DIR`) for labs that load tfds data.
        strategy: `--strategy` of labs that offer it.
        tensorboard: `--tensorboard` of labs that offer it.
        argv: the arguments the command was given, for the run's page.
        command: the subcommand's name, None for the lab's main command.
    """

    lab: str
    output_dir: pathlib.Path
    seed: int = 0
    preset: str | None = None
    quick: bool = False
    plots: bool = True
    verbose: bool = False
    manual_dir: pathlib.Path | None = None
    data_dir: pathlib.Path | None = None
    strategy: str = "default"
    tensorboard: bool = False
    argv: tuple = ()
    command: str | None = None

    @property
    def command_line(self):
        """The shell command of this run, quoted for a shell."""
        return shlex.join(["python", "-m", f"labs.{self.lab}", *map(str, self.argv)])


@dataclasses.dataclass(frozen=True)
class Lab:
    """A lab's declaration; `kit.main(LAB)` is its whole `__main__`.

    Args:
        package: the lab package's `__name__` (`"labs.seq2seq"`); its `run` module holds
            `run(experiment)`, its `commands` module the subcommands.
        doc: the package docstring, shown by `--help`.
        presets: `{name: config}`, frozen dataclasses of one class; the first is the default.
        section: the course notebook or section the lab reproduces (`python -m labs`).
        data: `"tfds"` adds `--manual-dir` and `--data-dir`, `"files"` `--manual-dir` only.
        strategy: offer `--strategy default|mirrored`.
        tensorboard: offer `--tensorboard`.
        commands: `{name: Command}`.
        metrics: a `typing.TypedDict` of what the lab adds to `metrics.json` after the envelope
            (validated by `kit.validate_metrics` in the tests).
        figure: the run's key figure (a PNG name), shown first on its page and on the day's.
        headline: `{label: dotted key into metrics.json}`, the numbers a learner reads first,
            e.g. `{"test accuracy": "best.test_accuracy"}`.
    """

    package: str
    doc: str
    presets: dict
    section: str = ""
    data: str | None = None
    strategy: bool = False
    tensorboard: bool = False
    commands: dict = dataclasses.field(default_factory=dict)
    metrics: type | None = None
    figure: str | None = None
    headline: dict = dataclasses.field(default_factory=dict)

    @property
    def name(self):
        return self.package.rsplit(".", 1)[-1]

    @property
    def summary(self):
        """The docstring's first line."""
        return (self.doc or "").strip().splitlines()[0] if self.doc else ""

    @property
    def default_output_dir(self):
        return pathlib.Path("runs") / self.name


class LabArgumentParser(argparse.ArgumentParser):
    """`ArgumentParser` whose errors are one line (what is wrong and what is accepted), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ---------------------------------------------------------------------------------------------
# Value types for argparse


def _integer(minimum=None, maximum=None):
    minimum = 1 if minimum is None else minimum

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            limits = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"expected an integer {limits}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def _number(minimum=None, maximum=None):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > 0 if minimum is None else value >= minimum)
        if not ok or (maximum is not None and value > maximum):
            limits = "> 0" if minimum is None else f">= {minimum:g}"
            if maximum is not None:
                limits += f" and <= {maximum:g}"
            raise argparse.ArgumentTypeError(f"expected a finite number {limits}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def names(choices):
    """argparse type for a comma-separated subset of `choices`, e.g. `--models gru,bilstm`.

    Returns:
        A function turning `"gru,bilstm"` into `("gru", "bilstm")`; an unknown or empty list is an
        argparse error (exit 2) that names the accepted values.
    """
    choices = tuple(choices)

    def parse(text):
        picked = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
        unknown = [name for name in picked if name not in choices]
        if unknown or not picked:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected a comma-separated list of {', '.join(choices)}"
            )
        return picked

    parse.__name__ = "names"
    return parse


def _integers(minimum=None, maximum=None):
    one = _integer(minimum, maximum)

    def parse(text):
        values = tuple(one(part.strip()) for part in text.split(",") if part.strip())
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
        return values

    parse.__name__ = "integers"
    return parse


def _text(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


def _path(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty one")
    return pathlib.Path(text)


def _unwrap_optional(kind):
    """`int` for `int | None` or `Optional[int]`, else `kind`."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return kind


def _argparse_type(kind, spec):
    kind = _unwrap_optional(kind)
    if typing.get_origin(kind) is tuple or kind is tuple:
        item = (typing.get_args(kind) or (str,))[0]
        if item is int:
            return {"type": _integers(spec.minimum, spec.maximum)}
        return {"type": names(spec.choices) if spec.choices else _names_free}
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    if kind is int:
        return {"type": _integer(spec.minimum, spec.maximum)}
    if kind is float:
        return {"type": _number(spec.minimum, spec.maximum)}
    if kind is pathlib.Path:
        return {"type": _path}
    if spec.choices:
        return {"choices": spec.choices}
    return {"type": _text}


def _names_free(text):
    picked = tuple(part.strip() for part in text.split(",") if part.strip())
    if not picked:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return picked


def _flag_fields(cls):
    """`(field, annotation, FlagSpec)` for every `kit.flag`/`kit.argument` field of `cls`."""
    hints = typing.get_type_hints(cls)
    return [
        (field, hints[field.name], field.metadata["flag"])
        for field in dataclasses.fields(cls)
        if "flag" in field.metadata
    ]


def _show(value):
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "none" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Parsers


def _common_flags(parser, lab, *, main, seed=True, data=True):
    if seed:
        parser.add_argument(
            "--seed",
            type=_integer(0, SEED_MAX),
            default=0,
            help=f"seed for every random choice, 0 to {SEED_MAX} (default: 0)",
        )
    parser.add_argument(
        "--output-dir",
        type=_path,
        default=lab.default_output_dir,
        help=("where the run's files go" if main else "the run to read")
        + " (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's and other libraries' log messages and warnings",
    )
    if data and lab.data is not None:
        parser.add_argument(
            "--manual-dir",
            type=_path,
            default=os.environ.get("LABS_MANUAL_DIR") or None,
            help="offline: a folder holding the dataset's files, or a folder of dataset folders "
            "such as ../shared/data (env LABS_MANUAL_DIR)",
        )
    if data and lab.data == "tfds":
        parser.add_argument(
            "--data-dir",
            type=_path,
            default=os.environ.get("TFDS_DATA_DIR") or None,
            help="where tfds keeps prepared datasets (env TFDS_DATA_DIR; tfds default otherwise)",
        )


def _commands_epilog(lab):
    if not lab.commands:
        return None
    width = max(map(len, lab.commands))
    lines = [f"  {name:<{width}}  {command.help}" for name, command in lab.commands.items()]
    return f"commands (python -m labs.{lab.name} COMMAND --help):\n" + "\n".join(lines)


def main_parser(lab):
    """The parser of `python -m labs.<lab>`: the uniform flags, then one per config flag field."""
    parser = LabArgumentParser(
        prog=f"python -m labs.{lab.name}",
        description=lab.doc,
        epilog=_commands_epilog(lab),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    presets = lab.presets
    default = next(iter(presets))
    parser.add_argument(
        "--preset",
        choices=list(presets),
        default=default,
        help="settings to start from: %(choices)s (default: %(default)s)",
    )
    config_class = type(presets[default])
    for field, kind, spec in _flag_fields(config_class):
        values = {name: getattr(preset, field.name) for name, preset in presets.items()}
        if len(set(map(repr, values.values()))) == 1:
            shown = f"default: {_show(values[default])}"
        else:
            shown = "presets: " + ", ".join(f"{name} {_show(v)}" for name, v in values.items())
        choices = (
            f"; one or more of {', '.join(spec.choices)}"
            if (spec.choices and typing.get_origin(_unwrap_optional(kind)) is tuple)
            else ""
        )
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            dest=field.name,
            default=None,
            help=f"{spec.help}{choices} ({shown})".replace("%", "%%"),
            **_argparse_type(kind, spec),
        )
    _common_flags(parser, lab, main=True)
    parser.add_argument(
        "--quick", action="store_true", help="smallest run that still exercises every code path"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip writing PNG plots")
    if lab.strategy:
        parser.add_argument(
            "--strategy",
            choices=STRATEGIES,
            default="default",
            help="default: one device; mirrored: tf.distribute.MirroredStrategy over every GPU "
            "(every logical CPU without one), --batch-size being the global batch "
            "(default: %(default)s)",
        )
    if lab.tensorboard:
        parser.add_argument(
            "--tensorboard",
            action="store_true",
            help="also log per-epoch scalars to <output-dir>/tensorboard/<model>/ "
            "(view: tensorboard --logdir <output-dir>/tensorboard)",
        )
    return parser


def command_parser(lab, name):
    """The parser of `python -m labs.<lab> <name>`: its options, then the uniform flags."""
    command = lab.commands[name]
    parser = LabArgumentParser(
        prog=f"python -m labs.{lab.name} {name}",
        description=command.help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for field, kind, spec in _flag_fields(command.options):
        options = _argparse_type(kind, spec)
        if spec.positional:
            many = typing.get_origin(_unwrap_optional(kind)) is tuple
            if many:
                options = {"type": _text}
            parser.add_argument(
                field.name,
                nargs=("*" if field.default is not dataclasses.MISSING else "+") if many else None,
                help=spec.help,
                **options,
            )
            continue
        required = field.default is dataclasses.MISSING
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            dest=field.name,
            required=required,
            default=None if required else field.default,
            help=spec.help + ("" if required else f" (default: {_show(field.default)})"),
            **options,
        )
    _common_flags(parser, lab, main=not command.reads_run, seed=command.seeded, data=False)
    return parser


# ---------------------------------------------------------------------------------------------
# From parsed flags to (context, config or options)


def _context(lab, args, argv, command=None):
    get = args.__dict__.get
    return RunContext(
        lab=lab.name,
        output_dir=get("output_dir") or lab.default_output_dir,
        seed=get("seed") or 0,
        preset=get("preset"),
        quick=bool(get("quick")),
        plots=not get("no_plots"),
        verbose=bool(get("verbose")),
        manual_dir=get("manual_dir"),
        data_dir=get("data_dir"),
        strategy=get("strategy") or "default",
        tensorboard=bool(get("tensorboard")),
        argv=tuple(argv),
        command=command,
    )


def configure(lab, preset, *, quick=False, **flags):
    """The config a run uses: the preset, `quick()` under `--quick`, then the flags given.

    Args:
        lab: the `Lab`.
        preset: a key of `lab.presets`.
        quick: apply the config's `quick()` first.
        **flags: config fields to set (a None value is "not given").

    Returns:
        A new frozen config (the preset is never changed).

    Raises:
        ValueError: the config's own checks (`__post_init__`) refused the combination.
    """
    config = lab.presets[preset]
    if quick:
        config = config.quick()
    given = {name: value for name, value in flags.items() if value is not None}
    return dataclasses.replace(config, **given) if given else config


def parse(lab, argv=None):
    """Parses a lab's command line; exits 2 with one line on a bad flag (TensorFlow not imported).

    Returns:
        `(context, config)` for the main command, `(context, options)` for a subcommand.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in lab.commands:
        name = argv[0]
        parser = command_parser(lab, name)
        args = parser.parse_args(argv[1:])
        fields = {f.name for f in dataclasses.fields(lab.commands[name].options)}
        values = {key: value for key, value in vars(args).items() if key in fields}
        values = {key: tuple(v) if isinstance(v, list) else v for key, v in values.items()}
        try:
            options = lab.commands[name].options(**values)
        except ValueError as error:
            parser.error(str(error))
        return _context(lab, args, argv, command=name), options
    parser = main_parser(lab)
    args = parser.parse_args(argv)
    config_fields = {field.name for field, _, _ in _flag_fields(type(lab.presets[args.preset]))}
    try:
        config = configure(
            lab,
            args.preset,
            quick=args.quick,
            **{name: getattr(args, name) for name in config_fields},
        )
    except ValueError as error:
        parser.error(str(error))
    return _context(lab, args, argv), config
