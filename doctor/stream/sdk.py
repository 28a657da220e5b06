"""Running a streamed chat completion through the installed openai SDK, and timing it.

Works with every major of the SDK chat-doctor supports (1.x and 2.x on httpx, 3.x on httpx2):
only names common to all of them are used (`OpenAI`, `AzureOpenAI`, `DefaultHttpxClient`, the
exception classes, `Stream.response`), and the HTTP library is never imported by name: the
module the SDK's response object comes from is used instead.

How each time is taken (time.perf_counter, milliseconds from just before `create()`):

- request headers out / response headers in / new TCP connection: httpcore's documented
  `trace` request extension, attached by an httpx event hook. It fires `connect_tcp.*` only
  when the pool opens a new connection, which is how a reused keep-alive connection is told
  apart from a new one (no guess from timings).
- each chunk: the response's byte stream is wrapped (doctor.stream.guard, which also enforces
  the request's time and byte budget there) so every network read is timestamped as it
  returns; a chunk's wire time is the read that completed it, taken before the SDK parses
  anything. The time the SDK hands the parsed chunk over is kept too, so its per-chunk cost is
  measured rather than hidden (doctor.stream.analysis reports the median).

openai is imported only here, inside functions: nothing imports it unless a smoke test runs.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlsplit

from doctor.stream import trace as t
from doctor.stream.budget import MAX_ATTEMPTS, REPLY_BYTES, TOTAL_BYTES, Budget
from doctor.stream.guard import LimitReached, RequestGuard, shut_down

TextSink = Callable[[str], None]

# A 400/422 naming a request field chat-doctor sent gets one retry without it (or, for the token
# limit, with the other name): older Azure api-versions and several compatible servers reject
# `stream_options`; some servers know only `max_tokens`, o-series models only
# `max_completion_tokens`. (Kept small and explicit: chat-doctor never retries anything else.)
STREAM_OPTIONS = "stream_options"
MAX_COMPLETION_TOKENS = "max_completion_tokens"
MAX_TOKENS = "max_tokens"
_OTHER_LIMIT_FIELD = {MAX_COMPLETION_TOKENS: MAX_TOKENS, MAX_TOKENS: MAX_COMPLETION_TOKENS}
# Azure added max_completion_tokens (deprecating max_tokens) in api-version 2024-09-01-preview.
AZURE_MAX_COMPLETION_TOKENS_SINCE = "2024-09-01"


def limit_field_for(kind: str, api_version: Optional[str] = None) -> str:
    """The request field that bounds the reply on this kind of endpoint.

    OpenAI: `max_completion_tokens` (`max_tokens` is deprecated there and refused by o-series
    models). Compatible servers: `max_tokens`, the one they all know (llama-cpp-python's server,
    for one, ignores `max_completion_tokens`). Azure: by api-version; none (the /openai/v1 API)
    is the new API.
    """
    if kind == "compatible":
        return MAX_TOKENS
    if kind == "azure" and api_version and api_version[:10] < AZURE_MAX_COMPLETION_TOKENS_SINCE:
        return MAX_TOKENS
    return MAX_COMPLETION_TOKENS


@dataclass(frozen=True)
class StreamRequest:
    model: str
    prompt: str
    max_tokens: int
    include_usage: bool = True
    limit_field: Optional[str] = None  # None: the endpoint kind's own (limit_field_for)

    def params(self) -> dict:
        params: dict = {
            "model": self.model,
            "messages": [{"role": "user", "content": self.prompt}],
            "stream": True,
        }
        if self.include_usage:
            params["stream_options"] = {"include_usage": True}
        params[self.limit_field or MAX_COMPLETION_TOKENS] = self.max_tokens
        return params


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    kind: str  # "openai", "azure", "compatible"
    api_key: Optional[str]
    timeout_s: float
    api_version: Optional[str] = None
    deployment: Optional[str] = None
    organization: Optional[str] = None
    project: Optional[str] = None
    azure_ad_token: Optional[str] = None  # Entra ID token (AZURE_OPENAI_AD_TOKEN) instead of a key
    # The route and trust the checks decided (doctor.checks.network): the client is built from
    # them with trust_env off, so what was checked is what is sent, whatever os.environ holds.
    proxy_url: Optional[str] = field(default=None, repr=False)  # may hold proxy credentials
    verify: Any = field(default=None, repr=False, compare=False)  # an ssl.SSLContext; None: plain http


class SetupFailed(Exception):
    def __init__(self, failure: t.StreamFailure, sdk: str) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.sdk = sdk


def sdk_version() -> str:
    """"openai X.Y.Z" for the SDK this process would use (imports it)."""
    import openai

    return f"openai {getattr(openai, '__version__', '?')}"


class _ConnectionProbe:
    """Receives httpcore trace events for the request in flight (see the module docstring), and
    hands the request's guard (doctor.stream.guard) what it needs: when the connection and the
    headers were made, the socket to shut down, and the response to wrap.
    """

    def __init__(self) -> None:
        self.socket: Any = None  # kept across requests: a reused connection has no connect event
        self.guard: Optional[RequestGuard] = None
        self.reset()

    def reset(self, guard: Optional[RequestGuard] = None) -> None:
        self.events = 0
        self.connect_started: Optional[float] = None
        self.connected: Optional[float] = None
        self.headers_in: Optional[float] = None
        self.guard = guard

    def attach(self, request: Any) -> None:
        request.extensions["trace"] = self._on_event

    def on_response(self, response: Any) -> None:
        """The client's response hook: the headers are in and no body byte has been read yet."""
        guard = self.guard
        if guard is not None:
            guard.headers_in = guard.headers_in or time.perf_counter()
            guard.install(response)

    def kill(self) -> None:
        shut_down(self.socket)

    def _on_event(self, name: str, info: Any) -> None:
        now = time.perf_counter()
        self.events += 1
        guard = self.guard
        if name.endswith("connect_tcp.started"):
            self.connect_started = now
        elif name.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.connected = now
            stream = info.get("return_value") if isinstance(info, dict) else None
            get = getattr(stream, "get_extra_info", None)
            self.socket = get("socket") if get is not None else None
            if guard is not None:
                guard.connected = now
        elif name.endswith("receive_response_headers.complete"):
            self.headers_in = now
            if guard is not None:
                guard.headers_in = now

    def connection(self) -> Optional[str]:
        if not self.events:
            return None  # no trace support: say "unknown" rather than guess
        return "new" if self.connect_started is not None else "reused"

    def connect_ms(self) -> Optional[float]:
        if self.connect_started is None or self.connected is None:
            return None
        return (self.connected - self.connect_started) * 1000.0


class SdkSession:
    """One SDK client used for every run, so a run can reuse the previous run's connection
    when the SDK leaves it open (whether it did is observed and reported, per run).
    """

    def __init__(self, config: ClientConfig, *, warm_up: bool = True) -> None:
        try:
            import openai
        except Exception as exc:  # noqa: BLE001  # ImportError, or a broken dependency inside it
            raise SetupFailed(_setup_failure(exc), "openai (not importable)") from None
        self._openai = openai
        self.sdk = f"openai {getattr(openai, '__version__', '?')}"
        self._probe = _ConnectionProbe()
        self._kind = config.kind
        self._api_version = config.api_version
        self._timeout_s = config.timeout_s
        self._decoded_total = 0  # decoded body bytes of every run so far (budget.TOTAL_BYTES)
        try:
            self._client = _build_client(openai, config, self._probe)
        except Exception as exc:  # noqa: BLE001  # OpenAIError (no key), ValueError (Azure), TypeError
            raise SetupFailed(_setup_failure(exc), self.sdk) from None
        self.warmup_ms: Optional[float] = _warm_up(openai, self._client) if warm_up else None

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # noqa: BLE001  # closing is best effort
            pass

    def run(self, request: StreamRequest, on_text: Optional[TextSink] = None) -> Tuple[t.StreamTrace, StreamRequest]:
        """One measured streamed request; returns its trace and the request shape the server
        accepted (use it for the next run). Never raises for what the server or network does.
        """
        if request.limit_field is None:
            request = replace(request, limit_field=limit_field_for(self._kind, self._api_version))
        fallbacks: List[str] = []
        tried = {request.limit_field}
        for _ in range(MAX_ATTEMPTS):
            trace, rejected = self._once(request, on_text)
            if rejected == STREAM_OPTIONS and request.include_usage:
                request = replace(request, include_usage=False)
            elif rejected is not None and rejected == request.limit_field and _OTHER_LIMIT_FIELD[rejected] not in tried:
                request = replace(request, limit_field=_OTHER_LIMIT_FIELD[rejected])
                tried.add(request.limit_field)
            else:
                return replace(trace, fallbacks=tuple(fallbacks)), request
            fallbacks.append(rejected)
        return replace(trace, fallbacks=tuple(fallbacks)), request

    def _once(self, request: StreamRequest, on_text: Optional[TextSink]) -> Tuple[t.StreamTrace, Optional[str]]:
        """One HTTP request under its budget (doctor.stream.budget), enforced by a RequestGuard."""
        budget = Budget(self._timeout_s, request.max_tokens)
        left = TOTAL_BYTES - self._decoded_total
        reply_bytes, bytes_kind = (REPLY_BYTES, t.LIMIT_REPLY_BYTES) if left > REPLY_BYTES else (left, t.LIMIT_TOTAL_BYTES)
        t0 = time.perf_counter()
        guard = RequestGuard(budget, t0, reply_bytes=reply_bytes, reply_bytes_kind=bytes_kind, kill=self._probe.kill)
        self._probe.reset(guard)
        guard.start()
        try:
            return self._attempt(request, on_text, guard)
        finally:
            guard.finish()
            self._probe.guard = None
            self._decoded_total += guard.decoded

    def _attempt(self, request: StreamRequest, on_text: Optional[TextSink],
                 guard: RequestGuard) -> Tuple[t.StreamTrace, Optional[str]]:
        openai = self._openai
        t0, budget = guard.t0, guard.budget
        base = t.StreamTrace(
            model=request.model, sdk=self.sdk, usage_requested=request.include_usage, endpoint_kind=self._kind,
            limit_field=request.limit_field, max_tokens=request.max_tokens,
        )
        probe = self._probe
        try:
            stream = self._client.chat.completions.create(**request.params())
        except Exception as exc:  # noqa: BLE001  # classified below; never a traceback
            end = time.perf_counter()
            refused = _failure(exc, openai, t.PHASE_REQUEST, guard)
            rejected = None if refused.kind == t.ERR_LIMIT else _rejected_field(exc, openai, request)
            return replace(
                base, status=refused.status, failure=refused, end_ms=_ms(end, t0), reads=_times(guard.reads, t0),
                connection=probe.connection(), connect_ms=probe.connect_ms(),
                request_id=_header(getattr(exc, "response", None), "x-request-id", "apim-request-id"),
            ), rejected
        returned = time.perf_counter()
        response = stream.response
        headers_at = probe.headers_in if probe.headers_in is not None else returned
        if not guard.installed:  # no response hook ran (an SDK without DefaultHttpxClient): late, but bounded
            guard.headers_in = headers_at
            guard.install(response)

        chunks: List[t.Chunk] = []
        text: List[str] = []
        finish: Optional[str] = None
        completion_tokens: Optional[int] = None
        failure: Optional[t.StreamFailure] = None
        overrun: Optional[t.StreamLimit] = None
        tokens = chars = 0
        reads = guard.reads
        asked = time.perf_counter()  # when this loop last asked the SDK for the next chunk
        try:
            for chunk in stream:
                now = time.perf_counter()
                guard.progress(now)
                wire = reads[-1] if reads else now
                kind, content, chunk_finish, usage_tokens = inspect_chunk(chunk)
                chunks.append(t.Chunk(
                    wire_ms=_ms(wire, t0), yield_ms=_ms(now, t0), kind=kind, chars=len(content),
                    # Time spent waiting for the network, not parsing or printing: ~0 when the
                    # bytes were already there (a buffered stream), the token gap when streaming.
                    waited_ms=max(0.0, (wire - asked) * 1000.0),
                ))
                if chunk_finish:
                    finish = chunk_finish
                if usage_tokens is not None:
                    completion_tokens = usage_tokens
                if kind in t.TOKEN_KINDS:
                    tokens += 1
                    chars += len(content)
                if content and kind == t.CONTENT:
                    text.append(content)
                    if on_text is not None:
                        on_text(content)
                overrun = _overrun(budget, tokens, chars, completion_tokens)
                if overrun is not None:
                    break  # the reply ignored the limit: its timings so far are kept
                if len(chunks) > budget.event_bound:
                    raise LimitReached(t.StreamLimit(t.LIMIT_EVENTS, budget.event_bound, len(chunks), "chunks"))
                asked = time.perf_counter()
        except Exception as exc:  # noqa: BLE001  # the stream's failure is the finding
            failure = _failure(exc, openai, t.PHASE_STREAM, guard)
        finally:
            _close_quietly(stream)
        end = time.perf_counter()
        return replace(
            base,
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            request_id=_header(response, "x-request-id", "apim-request-id"),
            headers_ms=_ms(headers_at, t0),
            end_ms=_ms(end, t0),
            chunks=tuple(chunks),
            reads=_times(reads, t0),
            finish_reason=finish,
            completion_tokens=completion_tokens,
            text="".join(text),
            failure=failure,
            overrun=overrun,
            connection=probe.connection(),
            connect_ms=probe.connect_ms(),
        ), None


def _overrun(budget: Budget, tokens: int, chars: int, usage_tokens: Optional[int]) -> Optional[t.StreamLimit]:
    """The reply is clearly longer than max_tokens allows (budget.token_bound), or None."""
    if usage_tokens is not None and usage_tokens > budget.token_bound:
        return t.StreamLimit(t.LIMIT_TOKENS, budget.token_bound, usage_tokens, "tokens")
    if tokens > budget.token_bound:
        return t.StreamLimit(t.LIMIT_TOKENS, budget.token_bound, tokens, "token chunks")
    if chars > budget.char_bound:
        return t.StreamLimit(t.LIMIT_TOKENS, budget.char_bound, chars, "characters")
    return None


def _failure(exc: BaseException, openai: Any, phase: str, guard: RequestGuard) -> t.StreamFailure:
    """What stopped the request: a bound the guard enforced (whatever the SDK made of the cut
    connection), else the SDK's exception."""
    limit = exc.limit if isinstance(exc, LimitReached) else guard.tripped
    if limit is None:
        return classify(exc, openai, phase)
    return t.StreamFailure(kind=t.ERR_LIMIT, phase=phase, message=describe_limit(limit),
                           exception=type(exc).__name__, limit=limit)


def describe_limit(limit: t.StreamLimit) -> str:
    """The figures, in words: "no new event for 3.0 s (the limit is 3 s)"."""
    def amount(value: float) -> str:
        if limit.unit == "s":
            return f"{value:.1f} s"
        if limit.unit == "bytes":
            return f"{value / (1024 * 1024):.1f} MiB" if value >= 1024 * 1024 else f"{value:.0f} bytes"
        return f"{value:.0f} {limit.unit}"

    what = {
        t.LIMIT_HEADERS: "the response headers were still incomplete after",
        t.LIMIT_STALL: "no new event for",
        t.LIMIT_RUN_TIME: "the server was still sending after",
        t.LIMIT_EVENT_BYTES: "one event (a line that never ends) reached",
        t.LIMIT_REPLY_BYTES: "the reply reached",
        t.LIMIT_TOTAL_BYTES: "the runs together reached",
        t.LIMIT_EVENTS: "the reply reached",
        t.LIMIT_TOKENS: "the reply reached",
    }.get(limit.kind, "reached")
    return f"{what} {amount(limit.observed)} (the limit is {amount(limit.bound)})"


def _times(reads: List[float], t0: float) -> Tuple[float, ...]:
    return tuple(_ms(r, t0) for r in reads)


def _ms(moment: float, t0: float) -> float:
    return (moment - t0) * 1000.0


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # noqa: BLE001  # a cut connection may fail to close; the trace says why
        pass


# One canned streamed reply for the warm-up: a role chunk, a content chunk, a finish chunk.
_WARM_UP_BODY = b"".join(
    b"data: " + json.dumps(event).encode() + b"\n\n"
    for event in (
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None}]},
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None},
    )
) + b"data: [DONE]\n\n"


def _warm_up(openai: Any, client: Any) -> Optional[float]:
    """Pay the SDK's one-time costs before the clock runs; returns what they took (ms).

    The first request of a process costs the SDK tens of milliseconds that later ones do not
    (lazy imports of its resource modules, request-parameter transforms, building the chunk
    model's validator: about 80 ms with openai 3.57 here). A long-running app pays that once,
    so it does not belong in a TTFT. One streamed request is made through an in-process mock
    transport of the SDK's own HTTP library (nothing is sent anywhere); the caches it fills are
    process-wide, so the real client starts warm. Best effort: any failure just skips it.
    """
    started = time.perf_counter()
    try:
        library = _http_library(openai)
        if library is None:
            return None

        def reply(_request: Any) -> Any:  # httpx.MockTransport's handler: every request gets the canned body
            return library.Response(200, headers={"content-type": "text/event-stream"}, content=_WARM_UP_BODY)

        # trust_env off: proxy variables must not reroute the canned request to a real proxy.
        http_client = openai.DefaultHttpxClient(transport=library.MockTransport(reply), trust_env=False)
        warm = openai.OpenAI(api_key="warm-up", base_url="http://warm-up.invalid/v1", max_retries=0, http_client=http_client)
        stream = warm.chat.completions.create(
            model="warm-up", messages=[{"role": "user", "content": "warm-up"}], stream=True,
            stream_options={"include_usage": True}, max_completion_tokens=1,
        )
        for chunk in stream:
            inspect_chunk(chunk)
        client.chat.completions  # noqa: B018  # the real client's lazily built resource
        warm.close()
    except Exception:  # noqa: BLE001  # warming up is an optimisation, never a finding
        return None
    return round((time.perf_counter() - started) * 1000.0, 1)


def _http_library(openai: Any) -> Any:
    """httpx2 for openai 3.x, httpx for 1.x/2.x: the module the SDK's client class comes from."""
    factory = getattr(openai, "DefaultHttpxClient", None)
    if factory is None:
        return None
    for klass in factory.__mro__:
        module = sys.modules.get(klass.__module__.split(".")[0])
        if module is not None and module.__name__ != "openai" and hasattr(module, "MockTransport"):
            return module
    return None


def _build_client(openai: Any, config: ClientConfig, probe: _ConnectionProbe) -> Any:
    # Redirects are reported, not followed with the key (DESIGN, security rules). trust_env is
    # off: the proxy and the CA material come from the checks' own facts (ClientConfig), never
    # from this process's environment, which need not be the one that was checked.
    options: dict = dict(timeout=config.timeout_s, follow_redirects=False, trust_env=False,
                         event_hooks={"request": [probe.attach], "response": [probe.on_response]})
    if config.verify is not None:
        options["verify"] = config.verify
    if config.proxy_url:
        options[_proxy_parameter(openai)] = config.proxy_url
    http_client = openai.DefaultHttpxClient(**options)
    common = dict(
        api_key=config.api_key, max_retries=0, timeout=config.timeout_s, http_client=http_client,
        organization=config.organization, project=config.project,
    )
    path = urlsplit(config.base_url).path if config.base_url else ""
    if config.kind == "azure" and "/openai/v1" not in path:
        # AzureOpenAI adds /openai (and /deployments/<model>) itself, sends `api-key` and api-version.
        azure = dict(common, api_version=config.api_version)
        if config.azure_ad_token:
            azure.update(api_key=None, azure_ad_token=config.azure_ad_token)
        if "/openai" in path:
            return openai.AzureOpenAI(base_url=config.base_url, **azure)
        return openai.AzureOpenAI(azure_endpoint=config.base_url, azure_deployment=config.deployment, **azure)
    return openai.OpenAI(base_url=config.base_url, **common)


def _proxy_parameter(openai: Any) -> str:
    """`proxy` (httpx >= 0.26, httpx2), else the older `proxies` (httpx 0.23-0.25, allowed by openai 1.x)."""
    import inspect

    library = _http_library(openai)
    client = getattr(library, "Client", None)
    try:
        parameters = inspect.signature(client.__init__).parameters if client is not None else {}
    except (TypeError, ValueError):
        parameters = {}
    return "proxy" if "proxy" in parameters or "proxies" not in parameters else "proxies"


class OddChunk(ValueError):
    """A chunk that parsed as JSON but holds a value of the wrong type (reported as malformed)."""


def inspect_chunk(chunk: Any) -> Tuple[str, str, Optional[str], Optional[int]]:
    """(kind, content text, finish_reason, usage.completion_tokens) of one SDK chunk object.

    Attribute access only (pydantic v1 and v2 both expose unknown fields such as
    `reasoning_content` as attributes), and every field may be missing: Azure's first chunk
    has `choices: []`, the usage chunk has no choices, local servers omit fields. The SDK does
    not validate chunks, so a value of the wrong type (`"completion_tokens": "many"`,
    `"content": 5`) arrives as is: that raises OddChunk, never a TypeError later.
    """
    usage = getattr(chunk, "usage", None)
    tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        raise OddChunk(f"usage.completion_tokens is {_shape(tokens)}, not a count")
    choices = getattr(chunk, "choices", None) or []
    if not isinstance(choices, (list, tuple)):
        raise OddChunk(f"choices is {_shape(choices)}, not a list")
    if not choices:
        return t.NO_CHOICES, "", None, tokens
    choice = choices[0]
    finish = _text_field(choice, "finish_reason")
    delta = getattr(choice, "delta", None)
    if delta is None:
        return t.EMPTY, "", finish, tokens
    content = _text_field(delta, "content") or _text_field(delta, "refusal") or ""
    if content:
        return t.CONTENT, content, finish, tokens
    if getattr(delta, "tool_calls", None):
        return t.CONTENT, "", finish, tokens
    # Lenient here: servers differ on the shape of reasoning (text, or an object); any counts.
    reasoning = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
    if reasoning:
        return t.REASONING, str(reasoning), finish, tokens
    if getattr(delta, "role", None):
        return t.ROLE, "", finish, tokens
    return t.EMPTY, "", finish, tokens


def _text_field(obj: Any, name: str) -> Optional[str]:
    value = getattr(obj, name, None)
    if value is not None and not isinstance(value, str):
        raise OddChunk(f"{name} is {_shape(value)}, not text")
    return value


def _shape(value: Any) -> str:
    """A short description of a value a server sent, never the whole of it."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{shown if len(shown) <= 24 else shown[:23] + '…'} ({kind})"


def classify(exc: BaseException, openai: Any, phase: str) -> t.StreamFailure:
    """The SDK's exception as plain data. Attributes, never `str(e)`: its format changed
    between majors (3.4+ prints the message, earlier ones the whole body).
    """
    name = type(exc).__name__
    if isinstance(exc, OddChunk):
        return t.StreamFailure(kind=t.ERR_MALFORMED, phase=phase, message=str(exc), exception="a value of the wrong type")
    if isinstance(exc, openai.APIStatusError):
        response = getattr(exc, "response", None)
        return t.StreamFailure(
            kind=t.ERR_STATUS, phase=phase, message=_body_message(exc), exception=name,
            status=getattr(exc, "status_code", None), code=_opt_str(getattr(exc, "code", None)),
            type=_opt_str(getattr(exc, "type", None)), retry_after=_header(response, "retry-after"),
            location=_header(response, "location"),
        )
    if isinstance(exc, openai.APITimeoutError):
        return t.StreamFailure(kind=t.ERR_TIMEOUT, phase=phase, message="timed out", exception=name, cause=_cause(exc))
    if isinstance(exc, openai.APIConnectionError):
        return t.StreamFailure(kind=t.ERR_CONNECTION, phase=phase, message="connection error", exception=name, cause=_cause(exc))
    # openai 1.x lets the HTTP library's own exceptions escape from a stream it is iterating
    # (later majors wrap them in APITimeoutError / APIConnectionError): classify those too.
    library = _http_library(openai)
    if library is not None and isinstance(exc, getattr(library, "TimeoutException", ())):
        return t.StreamFailure(kind=t.ERR_TIMEOUT, phase=phase, message="timed out", exception=name,
                               cause=f"{name}: {_short(str(exc))}")
    if library is not None and isinstance(exc, getattr(library, "TransportError", ())):
        return t.StreamFailure(kind=t.ERR_CONNECTION, phase=phase, message="connection error", exception=name,
                               cause=f"{name}: {_short(str(exc))}")
    if isinstance(exc, openai.APIError):
        # In-band `data: {"error": ...}`: a plain APIError whose body is the inner error object.
        return t.StreamFailure(
            kind=t.ERR_EVENT, phase=phase, message=_body_message(exc), exception=name,
            code=_opt_str(getattr(exc, "code", None)), type=_opt_str(getattr(exc, "type", None)),
        )
    if isinstance(exc, json.JSONDecodeError) or (isinstance(exc, ValueError) and "JSON" in type(exc).__name__):
        return t.StreamFailure(kind=t.ERR_MALFORMED, phase=phase, message=f"invalid JSON: {exc.msg if hasattr(exc, 'msg') else exc}", exception=name)
    if isinstance(exc, UnicodeEncodeError):
        # A non-ASCII character (smart quotes) in the key or a header: raised before sending.
        return t.StreamFailure(
            kind=t.ERR_CONNECTION, phase=phase, message="a header value is not ASCII", exception=name,
            cause="UnicodeEncodeError: the API key or a header contains a non-ASCII character (smart quotes?)",
        )
    return t.StreamFailure(kind=t.ERR_OTHER, phase=phase, message=_short(str(exc)), exception=name)


def _setup_failure(exc: BaseException) -> t.StreamFailure:
    return t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, message=_short(str(exc)), exception=type(exc).__name__)


def _rejected_field(exc: BaseException, openai: Any, request: StreamRequest) -> Optional[str]:
    """STREAM_OPTIONS or the token-limit field when a 400/422 names that field and it was sent."""
    if not isinstance(exc, openai.APIStatusError) or getattr(exc, "status_code", None) not in (400, 422):
        return None
    text = " ".join(str(part) for part in (getattr(exc, "message", ""), getattr(exc, "param", ""), getattr(exc, "body", "")))
    sent = ((STREAM_OPTIONS,) if request.include_usage else ()) + ((request.limit_field,) if request.limit_field else ())
    for name in sent:
        if name in text:
            return name
    return None


def _body_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return _short(message)
    if isinstance(body, str) and body.strip():
        stripped = body.strip()
        if stripped.startswith("<"):
            return "the body is an HTML page, not an API error"
        return _short(stripped)
    message = getattr(exc, "message", "")
    return _short(message) if isinstance(message, str) else ""


def _cause(exc: BaseException) -> Optional[str]:
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return None
    text = str(cause)
    if "header" in text.lower() and "b'" in text:
        # httpx's "Illegal header value b'Bearer sk-...\n'" quotes the key: keep only the verdict.
        text = text.split("b'", 1)[0].strip() + " (the key or a header has whitespace or a control character)"
    return f"{type(cause).__name__}: {_short(text)}"


def _header(response: Any, *names: str) -> Optional[str]:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name in names:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def _opt_str(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _short(text: str, limit: int = 300) -> str:
    from doctor.words import shorten

    return shorten(text, limit)
