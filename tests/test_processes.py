"""Helper processes of a run (semtrust.processes): the result comes back from a forked process,
its exception is raised in the caller, and a cancelled helper stops at once."""
import os
import time

import pytest

from semtrust.processes import in_background


def test_the_result_is_computed_in_another_process():
    finish = in_background(os.getpid)
    assert finish() != os.getpid()


def test_the_helpers_exception_is_raised_by_the_caller():
    def fails(text):
        raise ValueError(text)

    finish = in_background(fails, "no table")
    with pytest.raises(ValueError, match="no table"):
        finish()


def test_a_cancelled_helper_stops_without_its_result():
    start = time.perf_counter()
    finish = in_background(time.sleep, 30)
    assert finish(cancel=True) is None
    assert time.perf_counter() - start < 10


def test_a_helper_that_dies_is_replaced_by_the_work_done_here():
    parent = os.getpid()

    def dies_in_the_helper():
        if os.getpid() != parent:
            os._exit(1)
        return "done here"

    assert in_background(dies_in_the_helper)() == "done here"
