"""The wire side of the target runner (doctor.stream.target_runner): the HTTP client it builds and
how it watches that client's reads. Runs inside the TARGET's Python, so stdlib only, Python 3.8.

Mirrors doctor/stream/sdk.py and doctor/stream/guard.py (same hooks, same rules) on the numbers
the job carries (doctor/stream/budget.py's, computed by the launcher): the httpcore `trace`
extension tells a new connection from a reused one and when the headers came; the response's raw
byte stream is wrapped so every network read is timestamped (and checks the time bounds), its
decoded bytes are counted (the byte bounds), and a watchdog thread shuts the socket down for the
waits no read returns from. The client gets the route's proxy and the trust fact's CA material
with trust_env off, as in-process.
"""

import json
import socket
import ssl
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional

READS_KEPT = 1024  # network read times reported per attempt (the analysis needs the first)
_EVENT_ENDS = (b"\n\n", b"\r\r", b"\r\n\r\n")


class LimitReached(Exception):
    def __init__(self, limit: Dict[str, Any]) -> None:
        super().__init__(limit["kind"])
        self.limit = limit


def bound_hit(kind: str, bound: float, observed: float, unit: str) -> Dict[str, Any]:
    return {"kind": kind, "bound": bound, "observed": observed, "unit": unit}


class Guard:
    """One attempt's bounds (doctor.stream.guard's rules, on the job's numbers)."""

    def __init__(self, bounds: Dict[str, Any], t0: float, reply_bytes: int, bytes_kind: str,
                 kill: Callable[[], None]) -> None:
        self.b, self.t0, self.reply_bytes, self.bytes_kind, self.kill = bounds, t0, reply_bytes, bytes_kind, kill
        self.reads: List[float] = []
        self.read_count = self.decoded = self.event = 0
        self.tail = b""
        self.connected: Optional[float] = None
        self.headers_in: Optional[float] = None
        self.progressed: Optional[float] = None
        self.last_read: Optional[float] = None  # kept past READS_KEPT: a chunk's wire time
        self.tripped: Optional[Dict[str, Any]] = None
        self.installed = False
        self.done = threading.Event()
        threading.Thread(target=self.watch, daemon=True).start()

    def overdue(self, now: float) -> Optional[Dict[str, Any]]:
        b = self.b
        if self.headers_in is None:
            start = self.connected if self.connected is not None else self.t0 + b["timeout_s"]
            return bound_hit("headers", b["headers_s"], now - start, "s") if now - start > b["headers_s"] else None
        if now - self.t0 > b["run_s"]:
            return bound_hit("run_time", b["run_s"], now - self.t0, "s")
        last = max(self.headers_in, self.progressed or 0.0)
        return bound_hit("stall", b["stall_s"], now - last, "s") if now - last > b["stall_s"] else None

    def next_deadline(self) -> float:
        b = self.b
        if self.headers_in is None:
            start = self.connected if self.connected is not None else self.t0 + b["timeout_s"]
            return start + b["headers_s"]
        return min(self.t0 + b["run_s"], max(self.headers_in, self.progressed or 0.0) + b["stall_s"])

    def watch(self) -> None:
        # Wakes just after the next deadline (they move while it sleeps: it looks again at least
        # every 0.1 s), so the watchdog, not a later read, is what usually notices, as in-process.
        while not self.done.wait(max(0.0, min(0.1, self.next_deadline() - time.perf_counter() + 0.005))):
            found = self.overdue(time.perf_counter())
            if found is not None:
                self.tripped = self.tripped or found
                self.kill()
                return

    def trip(self, found: Dict[str, Any]) -> None:
        self.tripped = found
        raise LimitReached(found)

    def count(self, piece: bytes) -> None:
        self.decoded += len(piece)
        if self.decoded > self.reply_bytes:
            self.trip(bound_hit(self.bytes_kind, self.reply_bytes, self.decoded, "bytes"))
        window = self.tail + piece
        end = max((window.rfind(sep) + len(sep) if sep in window else -1) for sep in _EVENT_ENDS)
        self.event = len(window) - end if end >= 0 else self.event + len(piece)
        self.tail = window[-3:]
        if self.event > self.b["event_bytes"]:
            self.trip(bound_hit("event_bytes", self.b["event_bytes"], self.event, "bytes"))

    def install(self, response: Any) -> None:
        """Timestamp every raw network read and count the decoded bytes (as doctor.stream.guard)."""
        self.installed, guard = True, self
        base = getattr(sys.modules.get(type(response).__module__.split(".")[0]), "SyncByteStream", None)
        inner: Any = getattr(response, "stream", None)
        if base is not None and inner is not None:

            class Guarded(base):  # type: ignore[misc,valid-type]  # the HTTP library's base class, found at run time
                def __iter__(self) -> Any:
                    for part in inner:
                        now = time.perf_counter()
                        guard.read_count += 1
                        guard.last_read = now
                        if len(guard.reads) < READS_KEPT:
                            guard.reads.append(now)
                        found = guard.tripped or guard.overdue(now)
                        if found is not None:
                            guard.trip(found)
                        yield part

                def close(self) -> None:
                    inner.close()

            response.stream = Guarded()
        original = getattr(response, "iter_bytes", None)
        if original is not None:
            def iter_bytes(chunk_size: Optional[int] = None) -> Any:
                for piece in original(chunk_size):
                    guard.count(piece)
                    yield piece

            response.iter_bytes = iter_bytes


class Probe:
    """httpcore's `trace` extension, attached by a request hook: a connect event means a new
    connection; none means the pool reused one (no guess from timings). Feeds the guard."""

    def __init__(self) -> None:
        self.sock: Any = None
        self.guard: Optional[Guard] = None
        self.reset(None)

    def reset(self, guard: Optional[Guard]) -> None:
        self.events = 0
        self.started: Optional[float] = None
        self.connected: Optional[float] = None
        self.headers_in: Optional[float] = None
        self.sent: Optional[float] = None  # when the request hook ran (the clock's start)
        self.guard = guard

    def attach(self, request: Any) -> None:
        """The request hook: the SDK built the request, the transport sends it now. The clock
        starts here (doctor.stream.sdk's rule); `sent - called` is the SDK's request building."""
        if self.guard is not None and self.sent is None:
            self.sent = self.guard.t0 = time.perf_counter()
        request.extensions["trace"] = self.on_event

    def on_response(self, response: Any) -> None:
        if self.guard is not None:
            self.guard.headers_in = self.guard.headers_in or time.perf_counter()
            self.guard.install(response)

    def kill(self) -> None:
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except (OSError, TypeError, ValueError):
            pass

    def on_event(self, name: str, info: Any) -> None:
        now = time.perf_counter()
        self.events += 1
        if name.endswith("connect_tcp.started"):
            self.started = now
        elif name.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.connected = now
            get = getattr(info.get("return_value") if isinstance(info, dict) else None, "get_extra_info", None)
            self.sock = get("socket") if get is not None else None
            if self.guard is not None:
                self.guard.connected = now
        elif name.endswith("receive_response_headers.complete"):
            self.headers_in = now
            if self.guard is not None:
                self.guard.headers_in = now

    def state(self) -> Dict[str, Any]:
        started, connected = self.started, self.connected
        took = (connected - started) * 1000.0 if started is not None and connected is not None else None
        return {"state": ("new" if started is not None else "reused") if self.events else None, "connect_ms": took}


def http_library(openai: Any) -> Any:
    """httpx2 for openai 3.x, httpx for 1.x/2.x: the module the SDK's client class comes from."""
    for klass in getattr(getattr(openai, "DefaultHttpxClient", None), "__mro__", ()):
        module = sys.modules.get(klass.__module__.split(".")[0])
        if module is not None and module.__name__ != "openai" and hasattr(module, "Client"):
            return module
    return sys.modules.get("httpx2") or sys.modules.get("httpx")


def proxy_parameter(library: Any) -> str:
    """`proxy` (httpx >= 0.26, httpx2), else the older `proxies` (httpx 0.23-0.25)."""
    import inspect

    try:
        names: Any = inspect.signature(library.Client.__init__).parameters
    except (AttributeError, TypeError, ValueError):
        names = {}
    return "proxy" if "proxy" in names or "proxies" not in names else "proxies"


def verify_context(trust: Optional[Dict[str, Any]]) -> Any:
    """The CA material chat-doctor's trust fact chose (doctor.net.trust.build_context's rules)."""
    if trust is None:
        return None
    if trust.get("os_store"):
        try:
            import truststore

            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except ImportError:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_default_certs()
            return context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if trust.get("cafile") or trust.get("capath"):
        context.load_verify_locations(cafile=trust.get("cafile"), capath=trust.get("capath"))
    strict = getattr(ssl, "VERIFY_X509_STRICT", 0) | getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    context.verify_flags = context.verify_flags | strict if trust.get("strict") else context.verify_flags & ~strict
    return context


def library_timeout(openai: Any, timeout_s: float, read_timeout_s: Optional[float]) -> Any:
    """T for connect, write and pool; the read timeout a backstop behind the runner's own bounds."""
    timeout_class = getattr(openai, "Timeout", None)  # the SDK re-exports its HTTP library's
    if timeout_class is None or read_timeout_s is None:
        return timeout_s
    return timeout_class(timeout_s, read=read_timeout_s)


def build_client(openai: Any, library: Any, job: Dict[str, Any], key: Optional[str], probe: Probe) -> Any:
    # trust_env off and redirects not followed, as in-process: the proxy and CA are the checks'.
    timeout = library_timeout(openai, job["timeout_s"], job.get("bounds", {}).get("read_timeout_s"))
    options: Dict[str, Any] = dict(timeout=timeout, follow_redirects=False, trust_env=False,
                                   event_hooks={"request": [probe.attach], "response": [probe.on_response]})
    verify = verify_context(job.get("trust"))
    if verify is not None:
        options["verify"] = verify
    if job.get("proxy_url"):
        options[proxy_parameter(library)] = job["proxy_url"]
    http_client = getattr(openai, "DefaultHttpxClient", library.Client)(**options)
    common = dict(api_key=key, max_retries=0, timeout=timeout, http_client=http_client,
                  organization=job.get("organization"), project=job.get("project"))
    if job.get("kind") == "azure" and "/openai/v1" not in job["base_url"]:
        azure = dict(common, api_version=job.get("api_version"))
        if job.get("ad_token"):
            azure.update(api_key=None, azure_ad_token=key)
        if "/openai" in job["base_url"]:
            return openai.AzureOpenAI(base_url=job["base_url"], **azure)
        return openai.AzureOpenAI(azure_endpoint=job["base_url"], azure_deployment=job.get("deployment"), **azure)
    return openai.OpenAI(base_url=job["base_url"], **common)


def _sse(events: List[Dict[str, Any]], done: bool) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + (b"data: [DONE]\n\n" if done else b"")


def warm_up(openai: Any, library: Any, api: str) -> Optional[float]:
    """Pay the SDK's one-time costs (lazy imports, validators) before the clock, as client.py does:
    one streamed request through the library's in-process MockTransport. Best effort."""
    started = time.perf_counter()
    try:
        if api == "responses":
            # The opening and terminal events too: building their Response model is the costly part.
            response = {"id": "w", "object": "response", "created_at": 0, "model": "w", "output": [], "status": "completed",
                        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}
            item = {"id": "w", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
            part = {"type": "output_text", "text": "", "annotations": []}
            events: List[Dict[str, Any]] = [
                {"type": "response.created", "response": dict(response, status="in_progress")},
                {"type": "response.in_progress", "response": dict(response, status="in_progress")},
                {"type": "response.output_item.added", "output_index": 0, "item": item},
                {"type": "response.content_part.added", "item_id": "w", "output_index": 0, "content_index": 0, "part": part},
                {"type": "response.output_text.delta", "delta": "ok", "item_id": "w", "output_index": 0, "content_index": 0}]
            # Each event numbered, then again without the number (llama-server's dialect): the SDK's
            # first event lacking a field takes another, slower path (hundreds of ms, once).
            numbered = [dict(event, sequence_number=n) for n, event in enumerate(events)]
            body = _sse(numbered + events + [{"type": "response.completed", "response": response}], False)
        else:
            body = _sse([{"id": "w", "object": "chat.completion.chunk", "created": 0, "model": "w",
                          "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}], True)

        def reply(_request: Any) -> Any:
            return library.Response(200, headers={"content-type": "text/event-stream"}, content=body)

        client = getattr(openai, "DefaultHttpxClient", library.Client)(transport=library.MockTransport(reply), trust_env=False)
        warm = openai.OpenAI(api_key="warm-up", base_url="http://warm-up.invalid/v1", max_retries=0, http_client=client)
        if api == "responses":
            stream = warm.responses.create(model="w", input="w", stream=True, max_output_tokens=16)
        else:
            stream = warm.chat.completions.create(model="w", messages=[{"role": "user", "content": "w"}], stream=True)
        for _ in stream:
            pass
        warm.close()
    except Exception:  # noqa: BLE001  # warming up is an optimisation, never a finding
        return None
    warm_resolver()
    return round((time.perf_counter() - started) * 1000.0, 1)


def warm_resolver() -> None:
    """A fresh process's first address lookup sets up the C library's resolver (2-3 ms once,
    scripts/bench.py ttft's Responses rows; socket.create_connection makes one even for an IP
    address), which would land in the first run's connect_ms and TTFT. A numeric lookup pays it
    with no I/O at all: no name is resolved, nothing is sent."""
    try:
        socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except (OSError, AttributeError):  # AttributeError: a platform without AI_NUMERICHOST
        pass


