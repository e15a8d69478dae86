"""The errors a lab reports to its user in one line (`kit.main` prints them, exit status 1)."""

import pathlib


class LabError(Exception):
    """A problem the user can fix (a bad flag value, an unwritable folder): one line, exit 1."""


class Diverged(LabError):
    """Training stopped being finite (a loss, validation loss or perplexity became NaN or inf).

    Attributes:
        run: the name of the model that diverged.
        history: its history up to the epoch it diverged in, for the lab to write.
    """

    def __init__(self, message, run, history):
        super().__init__(message)
        self.run = run
        self.history = history


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run whose output dir is `out` (for the one-line message)."""

    def __init__(self, out):
        super().__init__()
        self.out = pathlib.Path(out)
