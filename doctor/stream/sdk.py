"""Running a streamed chat completion (or Responses API stream) through the installed openai SDK,
and timing it.

Works with every major of the SDK chat-doctor supports (1.x and 2.x on httpx, 3.x on httpx2):
only names common to all of them are used (`OpenAI`, `AzureOpenAI`, `DefaultHttpxClient`, the
exception classes, `Stream.response`), and the HTTP library is never imported by name: the
module the SDK's response object comes from is used instead.

How each time is taken (time.perf_counter, milliseconds from the moment the request is sent):

- the clock (t0): the HTTP client's request hook, where the SDK hands over the request it
  built and the transport starts sending it (connecting first when it must), the moment the
  raw-socket floor of scripts/bench_ttft.py starts at too. The SDK's own work before that (the
  parameters' transform, building the request: 1-3 ms on a loaded machine) and chat-doctor's
  (the guard's watchdog thread) are not the endpoint's: `request_build_ms` reports the first,
  from just before `create()` to the hook. Without the hook (no DefaultHttpxClient) the clock
  stays at just before `create()`.

- request headers out / response headers in / new TCP connection: httpcore's documented
  `trace` request extension, attached by an httpx event hook. It fires `connect_tcp.*` only
  when the pool opens a new connection, which is how a reused keep-alive connection is told
  apart from a new one (no guess from timings).
- each chunk: the response's byte stream is wrapped (doctor.stream.guard, which also enforces
  the request's time and byte budget there) so every network read is timestamped as it
  returns; a chunk's wire time is the read that completed it, taken before the SDK parses
  anything. The time the SDK hands the parsed chunk over is kept too, so its per-chunk cost is
  measured rather than hidden (doctor.stream.figures reports the median).

The client is built by doctor.stream.client, the SDK's exceptions are read by
doctor.stream.classify and its chunks by doctor.stream.chunks (a Responses API event by
doctor.stream.responses_events, the reader `run` is given). openai is imported only here,
inside functions: nothing imports it unless a smoke test runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Optional, Tuple

from doctor.knowledge.wording.stream import describe_limit
from doctor.stream import trace as t
from doctor.stream.budget import MAX_ATTEMPTS, REPLY_BYTES, TOTAL_BYTES, Budget
from doctor.stream.chunks import inspect_chunk
from doctor.stream.classify import classify, header, rejected_field, setup_failure
from doctor.stream.client import ClientConfig, build_client, http_library, warm_up_sdk
from doctor.stream.guard import LimitReached, RequestGuard, shut_down
from doctor.stream.responses_events import LIMIT_FIELD, RESPONSES, EventFailed
from doctor.stream.target_reading import WireWatch

TextSink = Callable[[str], None]
Reader = Callable[[Any], Tuple[str, str, Optional[str], Optional[int]]]  # chunks.inspect_chunk's shape

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
    # Sent as the SDK's extra_headers: doctor.stream.buffer_cause asks again with Accept-Encoding: identity.
    headers: Tuple[Tuple[str, str], ...] = ()
    api: str = "chat"  # or RESPONSES: POST /responses, no stream_options (usage is in the terminal event)

    def params(self) -> dict:
        if self.api == RESPONSES:
            params_r: dict = {"model": self.model, "input": self.prompt, "stream": True, LIMIT_FIELD: self.max_tokens}
            if self.headers:  # buffer_cause's retries go over this API too
                params_r["extra_headers"] = dict(self.headers)
            return params_r
        params: dict = {
            "model": self.model,
            "messages": [{"role": "user", "content": self.prompt}],
            "stream": True,
        }
        if self.include_usage:
            params["stream_options"] = {"include_usage": True}
        params[self.limit_field or MAX_COMPLETION_TOKENS] = self.max_tokens
        if self.headers:
            params["extra_headers"] = dict(self.headers)
        return params


class SetupFailed(Exception):
    """The SDK could not be imported or its client not built: nothing was sent."""

    def __init__(self, failure: t.StreamFailure, sdk: str) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.sdk = sdk


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
        self.sent: Optional[float] = None  # when the request hook ran (the clock's start)
        self.guard = guard

    def attach(self, request: Any) -> None:
        """The client's request hook: the SDK built the request and the transport sends it now."""
        guard = self.guard
        if guard is not None and self.sent is None:
            self.sent = guard.t0 = time.perf_counter()  # the clock starts here (module docstring)
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

    def __init__(self, config: ClientConfig, *, warm_up: bool = True, api: str = "chat") -> None:
        try:
            import openai
        except Exception as exc:  # noqa: BLE001  # ImportError, or a broken dependency inside it
            raise SetupFailed(setup_failure(exc), "openai (not importable)") from None
        self._openai = openai
        self.sdk = f"openai {getattr(openai, '__version__', '?')}"
        library = http_library(openai)  # "httpx 0.28.1": the HTTP library the SDK sends with
        self.http = f"{library.__name__} {getattr(library, '__version__', '?')}" if library is not None else None
        self._probe = _ConnectionProbe()
        self._kind = config.kind
        self._api_version = config.api_version
        self._timeout_s = config.timeout_s
        self._decoded_total = 0  # decoded body bytes of every run so far (budget.TOTAL_BYTES)
        try:
            self._client = build_client(openai, config, on_request=self._probe.attach,
                                        on_response=self._probe.on_response)
        except Exception as exc:  # noqa: BLE001  # OpenAIError (no key), ValueError (Azure), TypeError
            raise SetupFailed(setup_failure(exc), self.sdk) from None
        self.warmup_ms: Optional[float] = _warm_up(openai, self._client, api) if warm_up else None

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # noqa: BLE001  # closing is best effort
            pass

    def run(self, request: StreamRequest, on_text: Optional[TextSink] = None,
            reader: Optional[Reader] = None) -> Tuple[t.StreamTrace, StreamRequest]:
        """One measured streamed request; returns its trace and the request shape the server
        accepted (use it for the next run). Never raises for what the server or network does.
        `reader` reads each streamed item (default: a chat chunk, chunks.inspect_chunk).
        """
        if request.limit_field is None:
            limit = LIMIT_FIELD if request.api == RESPONSES else limit_field_for(self._kind, self._api_version)
            request = replace(request, limit_field=limit)
        fallbacks: List[str] = []
        tried = {request.limit_field}
        for _ in range(MAX_ATTEMPTS):
            trace, rejected = self._once(request, on_text, reader)
            if rejected == STREAM_OPTIONS and request.include_usage:
                request = replace(request, include_usage=False)
            elif rejected is not None and rejected == request.limit_field and _OTHER_LIMIT_FIELD[rejected] not in tried:
                request = replace(request, limit_field=_OTHER_LIMIT_FIELD[rejected])
                tried.add(request.limit_field)
            else:
                return replace(trace, fallbacks=tuple(fallbacks)), request
            fallbacks.append(rejected)
        return replace(trace, fallbacks=tuple(fallbacks)), request

    def _once(self, request: StreamRequest, on_text: Optional[TextSink],
              reader: Optional[Reader] = None) -> Tuple[t.StreamTrace, Optional[str]]:
        """One HTTP request under its budget (doctor.stream.budget), enforced by a RequestGuard."""
        budget = Budget(self._timeout_s, request.max_tokens)
        left = TOTAL_BYTES - self._decoded_total
        reply_bytes, bytes_kind = (REPLY_BYTES, t.LIMIT_REPLY_BYTES) if left > REPLY_BYTES else (left, t.LIMIT_TOTAL_BYTES)
        guard = RequestGuard(budget, time.perf_counter(), reply_bytes=reply_bytes, reply_bytes_kind=bytes_kind,
                             kill=self._probe.kill)
        self._probe.reset(guard)
        guard.start()  # a thread start (0.2-1 ms under load): before the clock, it is chat-doctor's own
        # Just before create(); the request hook moves it to the send (the module docstring).
        guard.t0 = time.perf_counter()
        try:
            return self._attempt(request, on_text, guard, reader or inspect_chunk)
        finally:
            guard.finish()
            self._probe.guard = None
            self._decoded_total += guard.decoded

    def _attempt(self, request: StreamRequest, on_text: Optional[TextSink],
                 guard: RequestGuard, reader: Reader) -> Tuple[t.StreamTrace, Optional[str]]:
        openai = self._openai
        called, budget = guard.t0, guard.budget
        base = t.StreamTrace(
            model=request.model, sdk=self.sdk, usage_requested=request.include_usage, endpoint_kind=self._kind,
            limit_field=request.limit_field, max_tokens=request.max_tokens,
        )
        probe = self._probe
        try:
            create = self._client.responses.create if request.api == RESPONSES else self._client.chat.completions.create
            stream = create(**request.params())
        except Exception as exc:  # noqa: BLE001  # classified below; never a traceback
            end = time.perf_counter()
            t0 = guard.t0  # the request hook's, when the request got that far
            base = replace(base, request_build_ms=_build_ms(called, probe.sent))
            refused = _failure(exc, openai, t.PHASE_REQUEST, guard)
            rejected = None if refused.kind == t.ERR_LIMIT else rejected_field(exc, openai, _optional_fields(request))
            return replace(
                base, status=refused.status, failure=refused, end_ms=_elapsed_ms(end, t0), reads=_times(guard.reads, t0),
                connection=probe.connection(), connect_ms=probe.connect_ms(),
                request_id=header(getattr(exc, "response", None), "x-request-id", "apim-request-id"),
            ), rejected
        returned = time.perf_counter()
        t0 = guard.t0  # moved to the send by the request hook (the module docstring)
        base = replace(base, request_build_ms=_build_ms(called, probe.sent))
        response = stream.response
        headers_at = probe.headers_in if probe.headers_in is not None else returned
        if not guard.installed:  # no response hook ran (an SDK without DefaultHttpxClient): late, but bounded
            guard.headers_in = headers_at
            guard.install(response)
        watch = WireWatch()  # the endpoint's dialect, from the bytes the SDK parses (as the target runner)
        watch.wrap(response)

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
                kind, content, chunk_finish, usage_tokens = reader(chunk)
                chunks.append(t.Chunk(
                    wire_ms=_elapsed_ms(wire, t0), yield_ms=_elapsed_ms(now, t0), kind=kind, chars=len(content),
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
            request_id=header(response, "x-request-id", "apim-request-id"),
            headers_ms=_elapsed_ms(headers_at, t0),
            end_ms=_elapsed_ms(end, t0),
            chunks=tuple(chunks),
            reads=_times(reads, t0),
            finish_reason=finish,
            completion_tokens=completion_tokens,
            text="".join(text),
            failure=failure,
            overrun=overrun,
            connection=probe.connection(),
            connect_ms=probe.connect_ms(),
            # The reads are compressed bytes under a Content-Encoding (doctor.stream.figures.judge_buffering).
            extra=t.encoding_note(response.headers.get("content-encoding")),
            wire=t.WireFacts.from_dict(watch.to_dict()),
        ), None


def _warm_up(openai: Any, client: Any, api: str) -> Optional[float]:
    """The SDK's one-time costs paid before the clock (client.warm_up_sdk); the Responses API's
    resource and event models are others than chat's, warmed as the target runner warms them."""
    if api != RESPONSES:
        return warm_up_sdk(openai, client)
    from doctor.stream.target_wire import warm_up

    return warm_up(openai, http_library(openai), api)


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
        return exc.failure if isinstance(exc, EventFailed) else classify(exc, openai, phase)
    return t.StreamFailure(kind=t.ERR_LIMIT, phase=phase, message=describe_limit(limit),
                           exception=type(exc).__name__, limit=limit)


def _build_ms(called: float, sent: Optional[float]) -> Optional[float]:
    """The SDK's work from create() to handing the request to its HTTP client; None: no hook ran."""
    return None if sent is None else round((sent - called) * 1000.0, 3)


def _times(reads: List[float], t0: float) -> Tuple[float, ...]:
    return tuple(_elapsed_ms(r, t0) for r in reads)


def _elapsed_ms(moment: float, t0: float) -> float:
    return (moment - t0) * 1000.0


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # noqa: BLE001  # a cut connection may fail to close; the trace says why
        pass


def _optional_fields(request: StreamRequest) -> Tuple[str, ...]:
    """The request fields a server may reject, which one retry can do without (see STREAM_OPTIONS)."""
    if request.api == RESPONSES:
        return ()  # the Responses request has no optional field to drop
    return ((STREAM_OPTIONS,) if request.include_usage else ()) + ((request.limit_field,) if request.limit_field else ())
