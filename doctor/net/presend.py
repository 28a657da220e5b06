"""A plain-http request written before urllib3 is imported; urllib3 then reads its answer.

Why: against a slow endpoint `check` cannot end before the answer, and importing urllib3
(http.client, email, its URL regexes, importlib.metadata: about 0.1 s) is the largest cost
before the request leaves (scripts/bench.py network). Written first, the import runs while
the server thinks.

How, without a second HTTP client: `presend` dials the way urllib3's connection does
(doctor.net.connect.dial, bounded) and writes `request_head`: the bytes urllib3 and
http.client would write for this method, URL and headers. doctor.net.http.exchange then runs
its usual urlopen: the connection adopts this socket instead of dialling (`adopt`), and its
write goes to a recorder compared with what went out (`replay`), so the head, the body, the
bounds, the timing marks and the failures are the serial path's own code, and a urllib3 that
would have written other bytes is noticed (HttpExchange.presend == "differed"; tests fail).

`request_head` declines (None: the serial path then writes) whatever it cannot be sure of:
a method other than GET, an https or proxied request (exchange never asks then), a URL that
urllib3 would normalise (percent signs, dot segments, upper-case or trailing-dot hosts,
userinfo, a fragment, anything outside printable ASCII), a header urllib3 or http.client
would add or drop (Host, Accept-Encoding, framing) or would encode otherwise, and a request
without a User-Agent (urllib3 1.26 and 2.x place their default one differently).

Nothing is written where urllib3 may not load to read the answer (doctor.net.urllib3_loads: not
found, or a TLS library its release refuses): the key would leave for nothing. A dial that fails
in any way fails again where urllib3 dials; the answer is bounded from the write (`remaining`),
as the serial path bounds it; the watcher thread ends with the exchange.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from doctor.net.connect import DEFAULT_SOCKET_OPTIONS, dial
from doctor.net.deadline import Deadline
from doctor.net.resolve import Address
from doctor.net.timing import Marks, now

# Character sets, not regular expressions: compiling six patterns cost ~3 ms before the request.
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = frozenset(_LOWER + _LOWER[:26].upper())
# urllib3's path and query characters (unreserved, sub-delims, ":", "@", "/", and "?" in the
# query) less "%": what urllib3.util.url.parse_url leaves exactly as it is.
_PATH = _ALNUM | frozenset("-._~!$&'()*+,;=:@/")
_QUERY = _PATH | {"?"}
_HOST = frozenset(_LOWER + ".-")  # lower case: urllib3 keeps such a name as it is
_IPV6 = frozenset("0123456789abcdef:.")  # no zone id (http.client strips it from Host)
_TOKEN = _ALNUM | frozenset("!#$%&'*+-.^_`|~")  # http.client's legal header name
_DIGITS = frozenset("0123456789")
# Headers urllib3 or http.client write themselves (or decide on) when the caller gives none.
_THEIRS = {"host", "accept-encoding", "content-length", "transfer-encoding"}
_SKIP_HEADER = "@@@SKIP_HEADER@@@"  # urllib3.util.SKIP_HEADER: a value that means "omit"
# The least read timeout left for an answer that may be waiting already: zero would make
# the socket non-blocking, and urllib3 refuses a zero read timeout.
_LEAST_S = 0.001


def request_head(method: str, url: str, headers: Mapping[str, str]) -> Optional[Tuple[str, int, bytes]]:
    """(host, port, the request head urllib3 would write) or None when not sure of it."""
    if method != "GET" or not url.startswith("http://"):
        return None
    netloc, slash, rest = url[len("http://"):].partition("/")
    target = "/" + rest
    path, _, query = target.partition("?")
    if not slash or not _PATH.issuperset(path) or not _QUERY.issuperset(query) or any(s in (".", "..") for s in path.split("/")):
        return None
    address = _host_port(netloc)
    if address is None:
        return None
    names = [name.lower() for name in headers]
    if "user-agent" not in names or _THEIRS.intersection(names):
        return None
    for name, value in headers.items():
        if not name or not _TOKEN.issuperset(name) or not isinstance(value, str) or not _printable_ascii(value) or value == _SKIP_HEADER:
            return None
    host, port = address
    # http.client's putrequest: the request line, Host (the port unless it is the default),
    # Accept-Encoding; then the headers in order; endheaders: an empty line. One write.
    lines = [f"GET {target} HTTP/1.1", f"Host: {host if port == 80 else f'{host}:{port}'}", "Accept-Encoding: identity",
             *(f"{name}: {value}" for name, value in headers.items())]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _printable_ascii(value: str) -> bool:
    """Space to tilde only: latin-1 encoding changes nothing, no line breaks."""
    return value.isascii() and value.isprintable()


def _host_port(netloc: str) -> Optional[Tuple[str, int]]:
    if netloc.startswith("["):
        end = netloc.find("]") + 1
        host, rest = netloc[:end], netloc[end:]
        if not end or len(host) < 3 or not _IPV6.issuperset(host[1:-1]):
            return None
    else:
        host = netloc.partition(":")[0]
        rest = netloc[len(host):]
        if not host or not _HOST.issuperset(host) or host[0] in ".-" or host[-1] in ".-":
            return None
    if not rest:
        return host, 80
    digits = rest[1:]
    if rest[:1] != ":" or not 1 <= len(digits) <= 5 or not _DIGITS.issuperset(digits) or digits[0] == "0" or int(digits) > 65535:
        return None
    return host, int(rest[1:])


@dataclass(frozen=True)
class Presented:
    """A request written (or tried) before urllib3 was imported, for its connection to adopt."""

    head: bytes
    sock: Optional[socket.socket] = None
    address: Optional[Address] = None
    # Whatever the dial raised (ResolveError, ConnectError, an OSError such as EMFILE, no thread
    # to resolve in): re-raised where urllib3 would dial, so it reads as the serial path's.
    dial_error: Optional[Exception] = None
    dial_phase: str = "connect"  # where the dial stood ("dns", "connect") when it raised dial_error
    send_error: Optional[OSError] = None  # re-raised where urllib3 would write
    sent_at: Optional[float] = None  # doctor.net.timing.now() once written: the server's time runs from here
    # The first-bytes watcher (_watch): "at", when the answer started to arrive; "stop", the
    # write end of a pipe that wakes it (a select on a socket is not woken by its close).
    watcher: Dict[str, Any] = field(default_factory=dict, compare=False)

    def adopt(self, on_phase: Callable[[str], None]) -> Tuple[socket.socket, Address]:
        """The connected socket, for urllib3's connection (doctor.net.http's `_new_conn` hook);
        `on_phase` hears where a failed dial stood, as from doctor.net.connect.dial."""
        if self.dial_error is not None:
            on_phase(self.dial_phase)
            raise self.dial_error
        assert self.sock is not None and self.address is not None  # set together by presend
        return self.sock, self.address

    def replay(self, conn: Any, write: Callable[[], Any], state: Dict[str, Any]) -> Any:
        """Run urllib3's own request `write` on `conn` with a recorder for its socket, and
        record in state["presend"] whether it wrote the bytes that went out."""
        real = conn.sock
        recorder = _Recorder(real, self.send_error)
        conn.sock = recorder
        try:
            result = write()
        finally:
            if conn.sock is recorder:
                conn.sock = real
            state["presend"] = "matched" if bytes(recorder.written) == self.head else "differed"
        self.stop_watching()  # urllib3 reads from here on: its own reads mark what comes
        state["head_arrived"] = self._head_arrived()
        return result

    def remaining(self, timeout_s: float) -> float:
        """What is left of the response's `timeout_s`, counted from the write: the server's
        time, the same bound the serial path gives it (urllib3's load is not the server's, but
        neither is it a reprieve: an answer later than timeout_s after the write is late)."""
        if self.sent_at is None:
            return timeout_s
        return max(timeout_s - (now() - self.sent_at), _LEAST_S)

    def _head_arrived(self) -> Optional[float]:
        """When the response head came in, if it is already waiting whole: while urllib3 loaded,
        no one read the socket, and the head's mark must be the server's time, not ours. An API
        head arrives in one segment (doctor.net.timing): its first bytes' moment is the head's."""
        stamp = self.watcher.get("at")
        if stamp is None or self.sock is None:
            return None
        try:  # readable it was, and nothing has read it since: the peek returns at once
            waiting = self.sock.recv(65536, socket.MSG_PEEK)
        except OSError:  # shut down or reset: read as the serial path reads it
            return None
        return stamp if b"\r\n\r\n" in waiting else None

    def close(self) -> None:
        self.stop_watching()
        if self.sock is not None:
            self.sock.close()

    def stop_watching(self) -> None:
        """Wake the first-bytes watcher and let it end (idempotent)."""
        stop = self.watcher.pop("stop", None)
        if stop is not None:
            try:
                os.write(stop, b"x")
            except OSError:  # the watcher gave up already (its timeout) and closed the read end
                pass
            finally:
                os.close(stop)


class _Recorder:
    """The socket as urllib3's request sees it: the write is kept, not sent (it went out already);
    a write that failed then fails again here, as it would have. Only what a request uses."""

    def __init__(self, sock: socket.socket, error: Optional[OSError]) -> None:
        self._sock = sock
        self._error = error
        self.written = bytearray()

    def sendall(self, data: bytes) -> None:
        self.written += data  # compared even when the write failed
        if self._error is not None:
            raise self._error

    def settimeout(self, value: Optional[float]) -> None:
        self._sock.settimeout(value)

    def gettimeout(self) -> Optional[float]:
        return self._sock.gettimeout()


def presend(method: str, url: str, headers: Mapping[str, str], timeout_s: float, marks: Marks, deadline: Deadline,
            on_sent: Optional[Callable[[], None]]) -> Optional[Presented]:
    """Dial and write the request now, as urllib3's connection would (its marks, its deadline,
    `on_sent` once written); None when `request_head` is not sure of the bytes."""
    target = request_head(method, url, headers)
    if target is None:
        return None
    host, port, head = target
    phases = ["dns"]
    try:
        sock, address = dial(host, port, timeout_s, DEFAULT_SOCKET_OPTIONS, marks, phases.append)
    except Exception as exc:  # noqa: BLE001  # ResolveError, ConnectError, EMFILE, no thread: urllib3's dial raises it
        return Presented(head, dial_error=exc, dial_phase=phases[-1])
    deadline.watch(sock)
    try:
        sock.sendall(head)
    except OSError as exc:
        return Presented(head, sock, address, send_error=exc)
    marks.mark("sent")
    presented = Presented(head, sock, address, sent_at=now())
    _watch(presented, timeout_s)
    if on_sent is not None:
        on_sent()
    return presented


def _watch(presented: Presented, timeout_s: float) -> None:
    """Note when the answer starts to arrive (watcher["at"]), from a thread that waits in
    select (the GIL released) while urllib3 loads, until urllib3 takes over or the request is
    dropped (watcher["stop"] wakes it: no thread outlives its exchange)."""

    sock = presented.sock
    assert sock is not None  # written on it just now
    fd = sock.fileno()
    try:
        wake, stop = os.pipe()
    except OSError:  # no descriptor to spare: the head is marked when read, as without a watcher
        return

    def wait() -> None:
        try:
            ready: List[int] = select.select([fd, wake], [], [], timeout_s)[0]
        except (OSError, ValueError):  # the socket closed meanwhile
            ready = []
        finally:
            os.close(wake)
        if fd in ready:
            presented.watcher.setdefault("at", now())

    presented.watcher["stop"] = stop
    try:
        threading.Thread(target=wait, name="presend first byte", daemon=True).start()
    except RuntimeError:  # no thread to be had: the head is marked when read, as before
        presented.watcher.pop("stop")
        os.close(stop)
        os.close(wake)
