"""Enforcing one request's budget (doctor.stream.budget) where the bytes are read.

Two places, one rule (`RequestGuard.overdue`):

- the body's network reads: the response's raw byte stream is wrapped (timestamping each read
  for the analysis, as before) and every read checks the time limits; its decoded bytes
  (`iter_bytes`, after gzip: what the SDK's SSE decoder buffers) are counted against the byte
  limits. Going past one raises `LimitReached`, which the SDK lets through untouched.
- a watchdog thread, for the waits no read returns from: response headers trickling in a byte
  at a time (each byte resets the HTTP library's read timeout), or a read blocked past the
  run's end. It shuts the connection's socket down, which makes the blocked read fail; the
  guard's `tripped` then says why.

Both are installed from the HTTP client's response hook, before the SDK reads any body: an
error body is bounded like a stream.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Optional

from doctor.stream import trace as t
from doctor.stream.budget import EVENT_BYTES, Budget

_EVENT_ENDS = (b"\n\n", b"\r\r", b"\r\n\r\n")
_WAKE_SLACK_S = 0.005  # wake just after a deadline, so `overdue` (strictly past) sees it
# The deadlines move (the connection is made, an event arrives) while the watchdog sleeps; it
# looks again at least this often rather than being woken on every chunk.
_LOOK_EVERY_S = 0.1


class LimitReached(Exception):
    """A budget limit, raised from inside the SDK's byte stream."""

    def __init__(self, limit: t.StreamLimit) -> None:
        super().__init__(limit.kind)
        self.limit = limit


class RequestGuard:
    """The limits of one attempt (one HTTP request), from just before `create()`.

    `connected` and `headers_in` are fed by the connection probe's trace events; `progress()`
    by the caller each time the SDK yields a chunk.
    """

    def __init__(self, budget: Budget, t0: float, *, reply_bytes: int, reply_bytes_kind: str,
                 kill: Callable[[], None], clock: Callable[[], float] = time.perf_counter) -> None:
        self.budget = budget
        self.t0 = t0
        self.reads: List[float] = []
        self.decoded = 0
        self._reply_bytes = reply_bytes
        self._reply_bytes_kind = reply_bytes_kind
        self._event = 0  # decoded bytes since the last event boundary
        self._tail = b""
        self._clock = clock
        self._kill = kill
        self.connected: Optional[float] = None
        self.headers_in: Optional[float] = None
        self.last_progress: Optional[float] = None
        self.tripped: Optional[t.StreamLimit] = None
        self.installed = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="chat-doctor-stream-guard", daemon=True)

    # --- the rule ---------------------------------------------------------------------------

    def overdue(self, now: float) -> Optional[t.StreamLimit]:
        b = self.budget
        if self.headers_in is None:
            # Before the connection is made the HTTP library's connect timeout (T) rules.
            start = self.connected if self.connected is not None else self.t0 + b.timeout_s
            if now - start > b.headers_s:
                return t.StreamLimit(t.LIMIT_HEADERS, b.headers_s, now - start, "s")
            return None
        if now - self.t0 > b.run_s:
            return t.StreamLimit(t.LIMIT_RUN_TIME, b.run_s, now - self.t0, "s")
        last = max(self.headers_in, self.last_progress or 0.0)
        if now - last > b.stall_s:
            return t.StreamLimit(t.LIMIT_STALL, b.stall_s, now - last, "s")
        return None

    def _next_deadline(self) -> float:
        b = self.budget
        if self.headers_in is None:
            start = self.connected if self.connected is not None else self.t0 + b.timeout_s
            return start + b.headers_s
        last = max(self.headers_in, self.last_progress or 0.0)
        return min(self.t0 + b.run_s, last + b.stall_s)

    # --- feeding it -------------------------------------------------------------------------

    def progress(self, now: float) -> None:
        self.last_progress = now

    def _check(self) -> None:
        now = self._clock()
        limit = self.tripped or self.overdue(now)
        if limit is not None:
            self.tripped = limit
            raise LimitReached(limit)

    def _count(self, piece: bytes) -> None:
        self.decoded += len(piece)
        if self.decoded > self._reply_bytes:
            self._trip_raise(t.StreamLimit(self._reply_bytes_kind, self._reply_bytes, self.decoded, "bytes"))
        window = self._tail + piece
        end = max((window.rfind(sep) + len(sep) if sep in window else -1) for sep in _EVENT_ENDS)
        if end >= 0:
            self._event = len(window) - end
        else:
            self._event += len(piece)
        self._tail = window[-3:]
        if self._event > EVENT_BYTES:
            self._trip_raise(t.StreamLimit(t.LIMIT_EVENT_BYTES, EVENT_BYTES, self._event, "bytes"))

    def _trip_raise(self, limit: t.StreamLimit) -> None:
        self.tripped = limit
        raise LimitReached(limit)

    # --- installing it ----------------------------------------------------------------------

    def install(self, response: Any) -> None:
        """Wrap the response's byte streams (the raw reads and the decoded bytes)."""
        self.installed = True
        library = sys.modules.get(type(response).__module__.split(".")[0])
        base = getattr(library, "SyncByteStream", None)
        inner: Any = getattr(response, "stream", None)
        guard = self
        if base is not None and inner is not None:

            class _GuardedStream(base):  # type: ignore[misc,valid-type]  # the library's base class, found at run time
                def __iter__(self) -> Iterator[bytes]:
                    clock = guard._clock
                    for part in inner:
                        guard.reads.append(clock())
                        guard._check()
                        yield part

                def close(self) -> None:
                    inner.close()

            response.stream = _GuardedStream()
        original = getattr(response, "iter_bytes", None)
        if original is not None:

            def iter_bytes(chunk_size: Optional[int] = None) -> Iterator[bytes]:
                for piece in original(chunk_size):
                    guard._count(piece)
                    yield piece

            response.iter_bytes = iter_bytes  # the SDK's SSE decoder and read() both pull from it

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while True:
            wait = min(_LOOK_EVERY_S, self._next_deadline() - self._clock() + _WAKE_SLACK_S)
            if self._done.wait(max(0.0, wait)):
                return
            limit = self.overdue(self._clock())
            if limit is not None:
                self.tripped = self.tripped or limit
                self._kill()
                return


def shut_down(sock: Optional[socket.socket]) -> None:
    """Make a read blocked on `sock` (in another thread) fail at once. Best effort.

    The base class's shutdown: an SSLSocket's own would tear down its TLS state under the
    reading thread's feet.
    """
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError, ValueError):
        pass
