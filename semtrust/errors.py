"""Errors that reach the user as one line and a non-zero exit code."""


class SemtrustError(Exception):
    """Base class: the CLI prints ``str(error)`` and exits with :attr:`exit_code`."""

    exit_code = 1


class InputError(SemtrustError):
    """Bad input the user can fix: the message names the file, the place and the fix."""

    exit_code = 2


class EstimationError(SemtrustError):
    """The model could not be estimated (not identified, did not converge)."""

    exit_code = 3


class OutputError(SemtrustError):
    """The outputs could not be written (full disk, I/O error); the output folder was left as it was."""

    exit_code = 1
