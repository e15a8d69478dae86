"""`kit.main(LAB)`: a lab's whole command line, from argv to `metrics.json` or a subcommand.

The flags are parsed before TensorFlow is imported, so `--help` and a bad flag answer at once;
then the libraries start quietly (unless `--verbose`), and the lab's `run.run(experiment)` or
`commands.<name>(context, options)` is imported and called.
"""

import importlib
import signal
import sys

from labs.data import DataError
from labs.kit import cli
from labs.kit import lab as lab_declaration
from labs.kit.errors import Interrupted, LabError


def execute(lab, argv=None):
    """Runs a lab's command in this process; errors are raised, not printed.

    Args:
        lab: the lab's `kit.Lab`.
        argv: its arguments (`sys.argv[1:]` when None), e.g. `["--quick", "--seed", "1"]` or
            `["translate", "march 3, 2007"]`.

    Returns:
        The metrics as written to `metrics.json` (the main command), or what the subcommand
        returned.

    Raises:
        SystemExit: a bad flag (status 2, one line on stderr).
        LabError, DataError: what the user can fix.
    """
    context, settings = lab_declaration.parse(lab, argv)
    if not context.verbose:
        cli.quiet_libraries()
    if context.command is not None:
        commands = importlib.import_module(f"{lab.package}.commands")
        return getattr(commands, context.command)(context, settings)

    from labs.kit.experiment import Experiment  # imports Keras: only after the flags are parsed

    run = importlib.import_module(f"{lab.package}.run").run
    with Experiment(lab, context, settings) as experiment:
        run(experiment)
        return experiment.finish()


def _interrupt(signum, frame):
    cli.interrupt(signum)


def main(lab, argv=None):
    """`python -m labs.<lab>`: `execute`, with what goes wrong told in one line.

    A `LabError` or a data loader's `DataError` prints `<lab>: error: <message>` and exits 1; a
    subcommand's integer result is the exit status; Ctrl-C and SIGTERM (what `kill` and job
    schedulers send) print where the partial results are and exit 130.
    """
    previous = {
        signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        status = execute(lab, argv)
    except (LabError, DataError) as error:
        print(f"{lab.name}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except Interrupted as interrupted:
        message = f"{lab.name}: interrupted; partial results are in {interrupted.out}/"
        if (interrupted.out / "backup").is_dir():
            message += (
                f" and the training state in {interrupted.out / 'backup'}/: run the same "
                "command again to resume"
            )
        print(f"\n{message}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print(f"\n{lab.name}: interrupted before writing anything", file=sys.stderr)
        sys.exit(130)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if isinstance(status, int) and not isinstance(status, bool) and status:
        sys.exit(status)
