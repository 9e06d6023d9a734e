"""Helper processes of a run: forked from it, stopped with it.

The bootstrap's workers (:mod:`semtrust.estimation.bootstrap`) and the report writer's
background task (:func:`in_background`, the Word report rendered while the other outputs are)
are forked from the run's process, so they start without importing anything and see its objects
without pickling them. Each one leaves Ctrl-C and SIGTERM to the run, which stops it, and on Linux
ends when the run's process is killed outright, so none outlives its run.

>>> finish = in_background(sum, [1, 2, 3])
>>> finish()
6
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys

__all__ = ["follow_parent", "in_background"]


def follow_parent(parent: int) -> None:
    """In a forked helper: ignore Ctrl-C and take SIGTERM's default action (not the CLI's
    handler, inherited by fork), and end with ``parent`` even when it is killed (Linux:
    PR_SET_PDEATHSIG).

    >>> def ignores_ctrl_c():
    ...     follow_parent(os.getppid())
    ...     return signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    >>> in_background(ignores_ctrl_c)()
    True
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:   # the parent died before prctl
            os._exit(1)


def in_background(function, *args):
    """Start ``function(*args)`` in a forked process and return ``finish``, which waits for its
    result and returns it (raising its exception); ``finish(cancel=True)`` stops the process
    instead. Where no process can be forked (no ``fork`` start method, or the helper dies), the
    result is computed in this process when it is asked for.

    >>> finish = in_background(max, [4, 9, 2])
    >>> finish()
    9
    """
    def in_this_process(cancel: bool = False):
        return None if cancel else function(*args)

    try:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
    except (ValueError, OSError):
        return in_this_process
    parent = os.getpid()

    def helper() -> None:
        follow_parent(parent)
        receive.close()
        try:
            outcome = (True, function(*args))
        except Exception as error:   # the caller raises it
            outcome = (False, error)
        send.send(outcome)
        send.close()

    for stream in (sys.stdout, sys.stderr):   # else the helper would write their buffered text again
        if stream is not None:
            stream.flush()
    process = context.Process(target=helper, daemon=True)
    try:
        process.start()
    except OSError:
        receive.close()
        send.close()
        return in_this_process
    send.close()

    def finish(cancel: bool = False):
        if cancel:
            process.terminate()
        try:
            outcome = None if cancel else receive.recv()
        except EOFError:   # the helper died without an answer: do the work here
            outcome = None
        except BaseException:   # interrupted: the helper stops with the run
            process.terminate()
            raise
        finally:
            receive.close()
            process.join()
        if cancel:
            return None
        if outcome is None:
            return in_this_process()
        succeeded, value = outcome
        if not succeeded:
            raise value
        return value

    return finish
