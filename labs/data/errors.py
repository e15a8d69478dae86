"""The error every dataset loader raises for a problem the user can fix."""


class DataError(Exception):
    """Data that cannot be had: no file and no network, a wrong checksum, an unreadable file.

    Its message is one line saying what to do (usually which `--manual-dir` to pass); `kit.main`
    prints it and exits with status 1.
    """
