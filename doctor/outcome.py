"""A one-shot result that threads wait for: the part of concurrent.futures.Future the runner
and check's head start use. Why not Future itself: concurrent.futures imports logging
(~10 ms), and the runner is loaded before check's head start writes its request
(scripts/bench.py network), where every millisecond is the server's answer arriving later."""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional


class OutcomeTimeout(TimeoutError):
    """`result(timeout)` ran out before a result was set."""


class Outcome:
    """Set once (`set_result` or `set_exception`); `result()` waits for it and returns the value
    or raises the exception, in every caller."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self._callbacks: List[Callable[[Outcome], None]] = []

    def set_result(self, value: Any) -> None:
        self._finish(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: Optional[float] = None) -> Any:
        if not self._done.wait(timeout):
            raise OutcomeTimeout
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        if not self._done.wait(timeout):
            raise OutcomeTimeout
        return self._error

    def add_done_callback(self, callback: Callable[[Outcome], None]) -> None:
        """Called once the outcome is set (at once if it is already), in the setting thread."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        self._call(callback)

    def _finish(self, value: Any, error: Optional[BaseException]) -> None:
        with self._lock:
            if self._done.is_set():
                raise RuntimeError("an Outcome is set once")
            self._value, self._error = value, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._call(callback)

    def _call(self, callback: Callable[[Outcome], None]) -> None:
        try:
            callback(self)
        except Exception:  # noqa: BLE001  # as Future: a failing callback must not undo the result or skip the others
            pass
