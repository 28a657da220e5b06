"""One HTTP exchange over urllib3, every phase timestamped, nothing retried or followed.

Why urllib3 (and not the openai SDK or httpx): the product is built on it; it lets us refuse
redirects and retries outright (`redirect=False, retries=False`), gives separate connect and
read timeouts, tunnels through proxies with `ProxyManager`, and its connection class has
clean seams (`_new_conn`, `_tunnel`, `connect`, `request`, `getresponse`) where a subclass can
timestamp DNS, TCP, CONNECT, TLS, request-sent and response-head exactly. The connection
resolves names through `doctor.net.resolve` (bounded: getaddrinfo itself has no timeout) and
connects through `doctor.net.connect` (one budget over all addresses), so `--timeout` holds.

Bounds (urllib3's timeouts are per read, so a server sending a byte a second would never trip
them): a `doctor.net.deadline.Deadline` gives the CONNECT tunnel, the response head (from the
request written) and the body (from the head) `timeout_s` each in total, and the body is read
up to MAX_BODY_BYTES (after decoding), so every exchange ends in bounded time and memory.

urllib3 is imported lazily and defensively: in chat-doctor's own interpreter it may fail to
import (old OpenSSL) or warn (LibreSSL): the very bug chat-doctor diagnoses elsewhere. A
failure becomes `Urllib3Unavailable` (a finding, not a crash) and the warning is silenced so it
never reaches the user's screen.
"""

from __future__ import annotations

import socket
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from doctor.net.connect import ConnectError, dial
from doctor.net.deadline import Deadline
from doctor.net.resolve import ResolveError
from doctor.net.timing import Marks

if TYPE_CHECKING:  # ssl, doctor.net.tls (certificates) and .tunnel are imported where TLS, a failure or a proxy
    import ssl  # needs them: a plain-http request leaves sooner (doctor.net.presend)

    from doctor.net.tls import TlsFailure

MAX_BODY_BYTES = 2 * 1024 * 1024
# Small reads: urllib3 inflates a gzip/deflate body per read, so one read of N compressed bytes
# can hold ~1000 N decoded bytes before the size check sees them.
_READ_CHUNK = 16 * 1024
# http.client's limits on a response head (100 header lines of 64 KB at most), reported as
# "too long" instead of as a connection that closed.
_HEAD_TOO_LONG = ("LineTooLong", "got more than 100 headers")
_IMPORT_LOCK = threading.Lock()
# The response deadline fires this long after its bound (doctor.net.deadline.Deadline.grace_s).
DEADLINE_GRACE_S = 0.25


class Urllib3Unavailable(RuntimeError):
    """urllib3 cannot be imported in chat-doctor's own interpreter. `sent`: the request had
    been written before the import failed (doctor.net.presend), so the key went out unread."""

    def __init__(self, reason: str, sent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


def import_urllib3() -> Any:
    """Import urllib3 without letting its NotOpenSSLWarning reach the terminal.

    The filter must be in place *before* the import: the warning fires during it, and
    `urllib3.disable_warnings()` afterwards cannot help (urllib3-and-openssl.md §1.7). The lock
    keeps two checks from interleaving `catch_warnings` (which swaps a process-global list).
    """
    with _IMPORT_LOCK:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="urllib3 v2")
            try:
                import urllib3
                import urllib3.connection
                import urllib3.connectionpool
            except Exception as exc:  # noqa: BLE001  # ImportError, a warning made an error, a broken dependency: a finding
                raise Urllib3Unavailable(f"{type(exc).__name__}: {exc}") from None
    return urllib3


def prefetch() -> None:
    """Start importing urllib3 in the background, so the import (~0.1 s) overlaps with DNS,
    TCP and TLS instead of delaying the API request. Errors are left for the real import."""

    def load() -> None:
        try:
            import_urllib3()
        except Urllib3Unavailable:
            pass

    threading.Thread(target=load, name="import urllib3", daemon=True).start()


@dataclass(frozen=True)
class HttpFailure:
    phase: str  # dns, connect, proxy, tls, send, response, body
    kind: str  # per phase: not_found/timeout/refused/auth_required/expired/.../closed/too_long/too_slow (past the deadline)
    message: str
    tls: Optional[TlsFailure] = None


@dataclass(frozen=True)
class HttpExchange:
    """What came back. Holds no request header: the key is never stored here."""

    method: str
    url: str
    status: Optional[int]
    reason: str
    headers: Tuple[Tuple[str, str], ...]  # lower-cased names, in order
    body: bytes
    body_truncated: bool
    timings_ms: Dict[str, float]
    failure: Optional[HttpFailure] = None
    via_proxy: Optional[str] = None  # proxy URL without credentials
    # A request written before urllib3 was imported (doctor.net.presend): "matched" when urllib3
    # would have written the very same bytes, "differed" if not (a bug: tests fail on it).
    presend: Optional[str] = None

    def header(self, name: str) -> Optional[str]:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def text(self, limit: int = 100_000) -> str:
        return self.body[:limit].decode("utf-8", "replace")


def strip_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def exchange(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout_s: float,
    ssl_context: Optional[ssl.SSLContext] = None,
    proxy_url: Optional[str] = None,
    on_sent: Optional[Callable[[], None]] = None,
    early: bool = False,
) -> HttpExchange:
    """Send one request and read the whole (bounded) answer. Never raises for network trouble:
    the failure and the phase it happened in are in the result. Raises Urllib3Unavailable.

    `on_sent` is called once the request is written (not when it fails before): a caller that
    holds other CPU work back until then gets the request out without fighting it for the GIL.
    `early`: write a plain-http request before urllib3 is even imported (doctor.net.presend),
    when its bytes are sure to be urllib3's; the exchange then goes on as ever on that socket."""
    marks = Marks()
    deadline = Deadline(grace_s=DEADLINE_GRACE_S)
    presented = None
    if early and ssl_context is None and not proxy_url:
        from doctor.net.presend import presend
        from doctor.net.urllib3_loads import urllib3_likely_loads

        if urllib3_likely_loads():  # else nothing goes out before urllib3 is known to read the answer
            presented = presend(method, url, headers, timeout_s, marks, deadline, on_sent)
    try:
        urllib3 = import_urllib3()
    except Urllib3Unavailable as exc:
        deadline.close()
        if presented is None:
            raise
        presented.close()  # written, never to be read: the report says so (http_client_unavailable)
        raise Urllib3Unavailable(exc.reason, sent=presented.sent_at is not None) from None
    state: Dict[str, Any] = {"deadline": deadline, "on_sent": None if presented else on_sent, "presented": presented}
    pool_manager = _pool_manager(urllib3, marks, state, timeout_s, ssl_context, proxy_url)
    shown_proxy = strip_userinfo(proxy_url) if proxy_url else None
    response = None
    try:
        response = pool_manager.urlopen(
            method, url, headers=dict(headers), retries=False, redirect=False,
            timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
            preload_content=False, decode_content=True,
        )
        body, truncated = _read_body(response, state)
        failure = _deadline_failure(deadline)
        if failure is None and truncated:
            failure = HttpFailure("body", "too_long", f"the server kept sending past {MAX_BODY_BYTES // (1024 * 1024)} MB")
    except Exception as exc:  # noqa: BLE001  # every network failure becomes data
        failure = _deadline_failure(deadline) or state.get("failure") or _failure_from(exc, state)
        body, truncated = b"", False
    finally:
        deadline.close()
        if presented is not None:  # its watcher must not outlive the exchange, however it ended
            presented.stop_watching()
        if state.get("presented") is not None:  # never adopted (urllib3 failed before connecting)
            state["presented"].close()
    if failure is None:
        marks.mark("end")
    result = HttpExchange(method, url, response.status if response is not None else None,
                          (getattr(response, "reason", "") or "") if response is not None else "",
                          _headers(response) if response is not None else (), body, truncated,
                          marks.phases(), failure, shown_proxy, state.get("presend"))
    if response is not None:
        response.release_conn()
    pool_manager.clear()
    return result


def _deadline_failure(deadline: Deadline) -> Optional[HttpFailure]:
    expired = deadline.expired
    if expired is None:
        return None
    phase, seconds = expired
    what = {"proxy": "the proxy's answer to CONNECT", "response": "the response head", "body": "the body"}[phase]
    return HttpFailure(phase, "too_slow", f"{what} did not arrive whole within {seconds:g} s (sent too slowly, or not at all)")


def _read_body(response: Any, state: Dict[str, Any]) -> Tuple[bytes, bool]:
    chunks: List[bytes] = []
    size = 0
    state["phase"] = "body"
    while size <= MAX_BODY_BYTES:
        chunk = response.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:MAX_BODY_BYTES], True  # the caller reports it: no truncated JSON is judged


def _headers(response: Any) -> Tuple[Tuple[str, str], ...]:
    return tuple((k.lower(), v) for k, v in response.headers.items())


def _failure_from(exc: BaseException, state: Dict[str, Any]) -> HttpFailure:
    """Classify an exception urllib3 raised after our own hooks recorded nothing."""
    phase = state.get("phase", "response")
    chain = _exception_chain(exc)
    for item in chain:
        if isinstance(item, (socket.timeout, TimeoutError)) or type(item).__name__ in ("ReadTimeoutError", "ConnectTimeoutError"):
            return HttpFailure(phase, "timeout", "no answer within the read timeout" if phase in ("response", "body") else str(item))
    for item in chain:
        text = str(item)
        if "Tunnel connection failed" in text:
            kind = "auth_required" if " 407" in text else "refused"
            return HttpFailure("proxy", kind, text.split(":", 1)[-1].strip() if ":" in text else text)
    ssl = sys.modules.get("ssl")  # not imported: no SSLError was raised (urllib3 imports it)
    for item in chain:
        if ssl is not None and isinstance(item, ssl.SSLError):
            from doctor.net.tls import classify

            tls = classify(item)
            return HttpFailure("tls", tls.kind, tls.message, tls)
    for item in chain:
        if type(item).__name__ in _HEAD_TOO_LONG or str(item) in _HEAD_TOO_LONG:
            return HttpFailure(phase, "too_long", f"the response head is too long ({item})")
    for item in chain:
        name = type(item).__name__
        if name in ("RemoteDisconnected", "IncompleteRead", "ConnectionResetError", "BrokenPipeError", "ProtocolError"):
            return HttpFailure(phase, "closed", "the server closed the connection without a complete answer")
    return HttpFailure(phase, "failed", f"{type(exc).__name__}: {exc}")


def _exception_chain(exc: BaseException) -> List[BaseException]:
    seen: List[BaseException] = []
    todo: List[Optional[BaseException]] = [exc]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([getattr(item, "reason", None) if isinstance(getattr(item, "reason", None), BaseException) else None,
                     item.__cause__, item.__context__])
        todo.extend(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))
    return seen


def _pool_manager(urllib3: Any, marks: Marks, state: Dict[str, Any], timeout_s: float,  # noqa: C901  # the count is the nested mixin: five short try/excepts closing over this request's marks and state
                  ssl_context: Optional[ssl.SSLContext], proxy_url: Optional[str]) -> Any:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def note(phase: str, kind: str, message: str, tls: Optional[TlsFailure] = None) -> None:
        state.setdefault("failure", HttpFailure(phase, kind, message, tls))

    class _Timed:
        """Timestamps each phase of the connection it is mixed into."""

        host: str  # the connection class it is mixed into sets these
        port: int
        timeout: Any
        sock: Optional[socket.socket]

        def _new_conn(self) -> socket.socket:
            host = getattr(self, "_dns_host", None) or self.host
            budget = self.timeout if isinstance(self.timeout, (int, float)) else timeout_s
            options = getattr(self, "socket_options", None) or ()
            presented = state.pop("presented", None)  # dialled already: adopted by the first connection
            try:
                if presented is not None:
                    state["adopted"] = presented
                    sock, address = presented.adopt(lambda p: state.update(phase=p))  # its marks are ours; raises what its dial raised
                else:
                    sock, address = dial(host, self.port, budget, options, marks, lambda p: state.update(phase=p))
            except ResolveError as exc:
                note("dns", exc.kind, f"{exc.host}: {exc.reason}")
                raise
            except ConnectError as exc:
                note("connect", exc.kind, exc.reason)
                raise
            if presented is None:
                state["deadline"].watch(sock)
            state["address"] = str(address)
            state["phase"] = "tls" if isinstance(self, HTTPSConnection) else "send"
            return sock

        def _tunnel(self) -> Any:
            state["phase"] = "proxy"
            state["deadline"].arm(timeout_s, "proxy")
            try:
                result = super()._tunnel()  # type: ignore[misc]  # a mixin: the urllib3 class after it has this
            except Exception as exc:
                if not isinstance(exc, OSError):  # http.client's HTTPException: a head past its limits
                    note("proxy", "too_long", f"the proxy's answer to CONNECT is too long ({exc})")
                    raise
                text = str(exc)
                kind = "auth_required" if " 407" in text else "timeout" if isinstance(exc, socket.timeout) else "refused"
                note("proxy", kind, text.replace("Tunnel connection failed: ", "the proxy answered CONNECT with "))
                raise
            state["deadline"].disarm()
            marks.mark("proxy_end")
            state["phase"] = "tls"
            return result

        def connect(self) -> None:
            try:
                super().connect()  # type: ignore[misc]  # a mixin: the urllib3 class after it has this
            except Exception as exc:
                if state.get("phase") == "tls":
                    from doctor.net.tls import TlsFailure, classify

                    failure = classify(exc)
                    if type(exc).__name__ == "CertificateError":  # urllib3's own hostname matcher
                        failure = TlsFailure("hostname_mismatch", str(exc))
                    note("tls", failure.kind, failure.message, failure)
                raise
            if isinstance(self, HTTPSConnection):
                marks.mark("tls_end")
            state["phase"] = "send"

        def request(self, *args: Any, **kwargs: Any) -> Any:
            if state.get("presented") is not None and getattr(self, "sock", None) is None:
                self.connect()  # what http.client's write would do first: adopts the written request's socket
            adopted = state.pop("adopted", None)
            if adopted is not None:  # written already: urllib3 writes to a recorder, compared with what went out
                write = super().request  # type: ignore[misc]  # a mixin: the urllib3 class after it has this
                result = adopted.replay(self, lambda: write(*args, **kwargs), state)
                budget = state["response_timeout"] = adopted.remaining(timeout_s)  # the server's time runs from the write
            else:
                result = super().request(*args, **kwargs)  # type: ignore[misc]  # a mixin: the urllib3 class after it has this
                marks.mark("sent")
                budget = timeout_s
            state["phase"] = "response"
            state["deadline"].arm(budget, "response", shown_s=timeout_s)
            if state["on_sent"] is not None:
                state["on_sent"]()
            return result

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            budget = state.pop("response_timeout", None)
            if budget is not None and self.sock is not None:  # an early write: what is left of the read timeout
                self.timeout = budget  # urllib3 2 sets the socket's timeout from it here; 1.26 set it before
                self.sock.settimeout(budget)
            try:
                response = super().getresponse(*args, **kwargs)  # type: ignore[misc]  # a mixin: the urllib3 class after it has this
            except (socket.timeout, TimeoutError):
                note("response", "timeout", "no response within the read timeout")
                raise
            except Exception as exc:
                if type(exc).__name__ in ("ReadTimeoutError",):
                    note("response", "timeout", "no response within the read timeout")
                elif type(exc).__name__ in _HEAD_TOO_LONG or str(exc) in _HEAD_TOO_LONG:
                    note("response", "too_long", f"the response head is too long ({exc})")
                elif type(exc).__name__ in ("RemoteDisconnected", "BadStatusLine", "ConnectionResetError", "ProtocolError"):
                    note("response", "closed", "the server closed the connection without answering")
                raise
            marks.mark("head", state.pop("head_arrived", None))  # an early head waited whole: when it came
            if budget is not None and self.sock is not None:  # the body's reads get the whole read timeout again
                self.timeout = timeout_s
                self.sock.settimeout(timeout_s)
            state["deadline"].arm(timeout_s, "body")
            return response

    class TimedHTTPConnection(_Timed, HTTPConnection):
        pass

    class TimedHTTPSConnection(_Timed, HTTPSConnection):
        pass

    class TimedHTTPPool(HTTPConnectionPool):
        ConnectionCls = TimedHTTPConnection

    class TimedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = TimedHTTPSConnection

    kwargs: Dict[str, Any] = {"num_pools": 1, "retries": False}
    if ssl_context is not None:
        kwargs["ssl_context"] = ssl_context
    if proxy_url:
        from doctor.net.tunnel import basic_proxy_authorization

        parts = urlsplit(proxy_url)
        auth = basic_proxy_authorization(parts.username, parts.password)
        manager = urllib3.ProxyManager(strip_userinfo(proxy_url), proxy_headers={"Proxy-Authorization": auth} if auth else None, **kwargs)
    else:
        manager = urllib3.PoolManager(**kwargs)
    manager.pool_classes_by_scheme = {"http": TimedHTTPPool, "https": TimedHTTPSPool}
    return manager
