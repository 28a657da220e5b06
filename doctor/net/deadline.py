"""A total deadline on a socket that another thread reads: the cure for a trickling server.

Socket timeouts are per read: a server that sends one byte a second never trips a 10 s
timeout, and http.client reads a response head line by line, byte run by byte run. So the
reader is left alone and a timer ends the exchange instead: when the deadline passes it
shuts the connection down (`shutdown` on a duplicate of the socket's descriptor, which works
whatever wraps the original: TLS, http.client's file object), the blocked read returns or
raises at once, and the caller asks `expired` what happened instead of trusting the
exception (a shut-down socket looks like a server that hung up).
"""

from __future__ import annotations

import socket
import threading
from typing import Optional, Tuple


class Deadline:
    """Arms a timer per phase (`arm`), shuts the watched socket down if it fires."""

    def __init__(self, grace_s: float = 0.0) -> None:
        # Fire `grace_s` after the bound: when a per-read timeout of the same length also
        # applies, a silent peer is then reported by it (silence), and only a trickle by us.
        self.grace_s = grace_s
        self._lock = threading.Lock()
        self._sock: Optional[socket.socket] = None
        self._timer: Optional[threading.Timer] = None
        self._expired: Optional[Tuple[str, float]] = None

    def watch(self, sock: socket.socket) -> None:
        """Watch `sock` from now on (a duplicate descriptor: TLS wrapping detaches the original)."""
        with self._lock:
            self._close_watched()
            try:
                self._sock = sock.dup()
            except OSError:
                self._sock = None

    def arm(self, seconds: float, phase: str, shown_s: Optional[float] = None) -> None:
        """`phase` must be over within `seconds`; replaces any earlier arming. `shown_s`: the
        bound to report when it runs out, where `seconds` is what is left of it."""
        with self._lock:
            self._cancel()
            if self._expired is not None:
                return
            timer = threading.Timer(seconds + self.grace_s, self._fire, args=(phase, seconds if shown_s is None else shown_s))
            timer.daemon = True
            self._timer = timer
            timer.start()

    def disarm(self) -> None:
        with self._lock:
            self._cancel()

    @property
    def expired(self) -> Optional[Tuple[str, float]]:
        """(phase, seconds) of the arming that ran out, or None."""
        with self._lock:
            return self._expired

    def close(self) -> None:
        with self._lock:
            self._cancel()
            self._close_watched()

    def _fire(self, phase: str, seconds: float) -> None:
        with self._lock:
            if self._timer is None or self._timer is not threading.current_thread():
                return  # disarmed or re-armed while this timer was starting
            self._timer = None
            self._expired = (phase, seconds)
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by the peer
                    pass

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close_watched(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
