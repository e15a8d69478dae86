"""Dataset loaders for the labs, one module a dataset; each raises `DataError` for what a user can
fix.

Import the loaders from their modules (`from labs.data.ptb import load_ptb`); this package itself
imports nothing heavy, so a lab's `--help` starts instantly.
"""

from labs.data.errors import DataError

__all__ = ["DataError"]
