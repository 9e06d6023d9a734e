"""Errors that reach the user as one line and a non-zero exit code."""

__all__ = ["SemtrustError", "InputError", "DataError", "EstimationError", "OutputError", "shown"]


class SemtrustError(Exception):
    r"""Base class: the CLI prints ``str(error)`` and exits with :attr:`exit_code`.

    The message is one line of bounded length whatever user text went into it: line breaks
    become spaces, and the middle of a message over 400 characters is cut (its start names
    the file and place, its end the fix).

    >>> str(InputError("data.csv: column 'a\nb' " + "x" * 1000 + " ; rename it"))[-40:]
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxx ; rename it'
    """

    exit_code = 1
    MAX_LENGTH = 400

    def __init__(self, message: str = "", *args):
        text = " ".join(str(message).splitlines())
        if len(text) > self.MAX_LENGTH:
            text = text[: self.MAX_LENGTH // 2] + " [...] " + text[-self.MAX_LENGTH // 2 + 7:]
        super().__init__(text, *args)


class InputError(SemtrustError):
    """Bad input the user can fix: the message names the file, the place and the fix.

    >>> error = InputError("survey.csv: no column 'CA1'; rename the column or give --mapping")
    >>> error.exit_code, str(error)
    (2, "survey.csv: no column 'CA1'; rename the column or give --mapping")
    """

    exit_code = 2


class DataError(InputError):
    """Bad data values (too few cases, a constant or dependent item): the stage that knows the
    data file puts its name in front.

    >>> issubclass(DataError, InputError), DataError("x").exit_code
    (True, 2)
    """


class EstimationError(SemtrustError):
    """The model could not be estimated (not identified, did not converge).

    >>> EstimationError("the model did not converge; simplify it").exit_code
    3
    """

    exit_code = 3


class OutputError(SemtrustError):
    """The outputs could not be written (full disk, I/O error); the output folder was left as it was.

    >>> issubclass(OutputError, SemtrustError), OutputError("out: not writable").exit_code
    (True, 1)
    """

    exit_code = 1


def shown(value, limit: int = 60) -> str:
    """A user value as a message quotes it: a repr that looks at a few elements of a few levels
    and is cut to ``limit`` characters, so a huge or deeply nested value (a YAML "billion
    laughs", a pasted file) costs no time or memory and never floods a message.

    >>> shown("no"), shown("x" * 100)[-5:], shown([[[[1]]], list(range(1000))])
    ("'no'", "xxxx'", '[[[[...]]], [0, 1, 2, 3, 4, 5, ...]]')
    """
    import reprlib

    bounded = reprlib.Repr()
    bounded.maxlevel, bounded.maxstring, bounded.maxother = 3, limit, limit
    text = bounded.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
