"""doctor.outcome.Outcome: the one-shot result the runner's facts and checks wait on."""

from __future__ import annotations

import threading
import time
from typing import List

import pytest

from doctor.outcome import Outcome, OutcomeTimeout


def test_waiters_get_the_value_set_later_by_another_thread() -> None:
    outcome = Outcome()
    threading.Timer(0.05, outcome.set_result, args=(42,)).start()
    assert not outcome.done()
    assert outcome.result(timeout=5) == 42 and outcome.done() and outcome.exception() is None


def test_an_exception_is_raised_in_every_caller() -> None:
    outcome = Outcome()
    outcome.set_exception(OSError("probe exploded"))
    for _ in range(2):
        with pytest.raises(OSError, match="probe exploded"):
            outcome.result()
    assert isinstance(outcome.exception(), OSError)


def test_a_wait_that_runs_out_raises_outcome_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(OutcomeTimeout):
        Outcome().result(timeout=0.05)
    assert time.monotonic() - started >= 0.05
    with pytest.raises(OutcomeTimeout):
        Outcome().exception(timeout=0)


def test_it_is_set_once() -> None:
    outcome = Outcome()
    outcome.set_result(1)
    with pytest.raises(RuntimeError):
        outcome.set_result(2)
    assert outcome.result() == 1


def test_callbacks_run_once_set_or_at_once_when_set_already() -> None:
    seen: List[object] = []
    outcome = Outcome()
    outcome.add_done_callback(lambda done: seen.append(("before", done.result())))
    assert seen == []
    outcome.set_result("x")
    outcome.add_done_callback(lambda done: seen.append(("after", done.result())))
    assert seen == [("before", "x"), ("after", "x")]


def test_a_failing_callback_neither_undoes_the_result_nor_skips_the_others() -> None:
    seen: List[object] = []
    outcome = Outcome()

    def boom(_done: Outcome) -> None:
        raise ValueError("a spinner that broke")

    outcome.add_done_callback(boom)
    outcome.add_done_callback(lambda done: seen.append(done.result()))
    outcome.set_result(7)
    outcome.add_done_callback(boom)  # set already: called at once, and still contained
    assert seen == [7] and outcome.result() == 7
