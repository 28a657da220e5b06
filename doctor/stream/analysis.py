"""From stream traces to metrics, diagnoses and the `smoke` summary. Pure: no I/O, no clock.

Definitions (README, "The smoke test"), all measured from the moment before `create()`:

- `headers_ms`: the response headers arrived.
- `first_chunk_ms`: the first SSE chunk of any kind (vLLM's TTFT; usually the role-only chunk).
- `ttft_ms`: the first chunk with non-empty content (llmperf / genai-perf; the role-only chunk
  and reasoning do not count). `first_reasoning_ms` is reported beside it when a server streams
  reasoning first.
- `last_token_ms`, `total_ms`: the last token chunk; the end of the stream.
- `itl_ms`: gaps between successive token chunks (content or reasoning).
- `tokens_per_s`: tokens after the first, per second between the first and the last token
  (the decode rate, 1/TPOT); `completion_tokens` from the usage chunk when the server sent one,
  else the number of token chunks.

Chunk times are wire times (when the network read carrying the chunk returned), so the SDK's
own parsing is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple

from doctor.model import CheckResult, Fix, Status
from doctor.stream import trace as t
from doctor.stream.stats import gaps_summary, percentile, spread

CHECK_ID = "stream.chat"

# --- buffering ---------------------------------------------------------------------------------
# A reply shorter than this many token chunks cannot show whether it streamed.
MIN_CHUNKS_TO_JUDGE = 5
# When the whole reply is in within this time of sending, streaming could not be seen either way.
MIN_WAIT_MS = 50.0
# Token chunks closer together than this came out of one buffer, not one by one from a model
# (1 ms is 1000 tokens/s, beyond any model's decode rate for a single stream).
BURST_GAP_MS = 1.0
# The window, relative to the wait, that counts as "at once".
BURST_FRACTION = 0.05
BURST_FLOOR_MS = 10.0

STREAMED = "streamed"
BUFFERED = "buffered"
TOO_SHORT = "too_short"
TOO_FAST = "too_fast"
NOT_JUDGED = "n/a"


@dataclass(frozen=True)
class Buffering:
    verdict: str  # STREAMED, BUFFERED, TOO_SHORT, TOO_FAST or NOT_JUDGED
    reason: str


def judge_buffering(trace: t.StreamTrace) -> Buffering:
    """Did the reply arrive token by token, or all at once (a buffering proxy or server)?

    Buffered means: enough token chunks to judge, the user waited long enough for streaming to
    matter, the tokens came in one burst (the client hardly ever had to wait for the next one:
    median wait under 1 ms, and the burst within 5% of the whole wait), and no body bytes
    (role chunk, keep-alive comments) arrived before that burst. The wait excludes the SDK's
    own parsing, so a slow machine does not make a buffered stream look streamed. The last
    condition keeps a server that generates instantly after a delay from being flagged: a
    buffering proxy holds those early bytes back too.
    """
    tokens = [c for c in trace.chunks if c.kind in t.TOKEN_KINDS]
    if trace.failure is not None or not tokens:
        return Buffering(NOT_JUDGED, "no complete reply to judge")
    if len(tokens) < MIN_CHUNKS_TO_JUDGE:
        return Buffering(
            TOO_SHORT,
            f"reply too short to judge streaming ({len(tokens)} token chunks; {MIN_CHUNKS_TO_JUDGE} needed)",
        )
    first, last = tokens[0].wire_ms, tokens[-1].wire_ms
    if last < MIN_WAIT_MS:
        return Buffering(TOO_FAST, f"whole reply in {last:.0f} ms: too fast for streaming to be visible")
    median_wait = percentile([c.waited_ms for c in tokens[1:]], 50) or 0.0
    burst = last - first
    window = max(BURST_FLOOR_MS, BURST_FRACTION * last)
    first_byte = trace.reads[0] if trace.reads else trace.chunks[0].wire_ms
    early_bytes = first_byte < first - window
    if median_wait < BURST_GAP_MS and burst <= window and not early_bytes:
        return Buffering(
            BUFFERED,
            f"all {len(tokens)} token chunks arrived within {burst:.1f} ms, {first:.0f} ms after "
            f"the request, and nothing arrived before them",
        )
    return Buffering(STREAMED, f"{len(tokens)} token chunks over {burst:.0f} ms (median wait {median_wait:.1f} ms)")


# --- per-run metrics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunProblem:
    code: str
    summary: str
    details: Tuple[str, ...] = ()
    status: Optional[Status] = None  # None: the code's registered severity
    limit: Optional[t.StreamLimit] = None  # the bound that stopped the request, with figures


@dataclass(frozen=True)
class RunMetrics:
    ttft_ms: Optional[float]
    headers_ms: Optional[float]
    first_chunk_ms: Optional[float]
    first_reasoning_ms: Optional[float]
    last_token_ms: Optional[float]
    total_ms: Optional[float]
    content_chunks: int
    completion_tokens: Optional[int]
    tokens_per_s: Optional[float]
    itl_ms: Optional[Dict[str, float]]
    buffering: Buffering
    sdk_overhead_ms: Optional[float]  # median per-chunk cost of the SDK between wire and yield
    problem: Optional[RunProblem]

    @property
    def buffered(self) -> bool:
        return self.buffering.verdict == BUFFERED


def measure(trace: t.StreamTrace) -> RunMetrics:
    content = trace.first(t.CONTENT)
    reasoning = trace.first(t.REASONING)
    last_token = trace.last(*t.TOKEN_KINDS)
    first_token = trace.first(*t.TOKEN_KINDS)
    tokens = [c for c in trace.chunks if c.kind in t.TOKEN_KINDS]
    gaps = [b.wire_ms - a.wire_ms for a, b in zip(tokens, tokens[1:])]
    count = trace.completion_tokens if trace.completion_tokens else len(tokens)
    rate = None
    buffering = judge_buffering(trace)
    if first_token and last_token and count >= 2 and buffering.verdict != BUFFERED:
        span_s = (last_token.wire_ms - first_token.wire_ms) / 1000.0
        rate = round((count - 1) / span_s, 1) if span_s >= 0.001 else None
    overheads = [c.yield_ms - c.wire_ms for c in trace.chunks]
    return RunMetrics(
        ttft_ms=_r(content.wire_ms if content else None),
        headers_ms=_r(trace.headers_ms),
        first_chunk_ms=_r(trace.chunks[0].wire_ms if trace.chunks else None),
        first_reasoning_ms=_r(reasoning.wire_ms if reasoning else None),
        last_token_ms=_r(last_token.wire_ms if last_token else None),
        total_ms=_r(trace.end_ms),
        content_chunks=trace.count(t.CONTENT),
        completion_tokens=trace.completion_tokens,
        tokens_per_s=rate,
        itl_ms=gaps_summary(gaps),
        buffering=buffering,
        sdk_overhead_ms=round(percentile(overheads, 50) or 0.0, 3) if overheads else None,
        problem=diagnose_run(trace),
    )


def _r(value: Optional[float]) -> Optional[float]:
    return round(value, 1) if value is not None else None


def diagnose_run(trace: t.StreamTrace) -> Optional[RunProblem]:
    """What is wrong with this one request, or None. Buffering is judged separately (a warning)."""
    failure = trace.failure
    ctype = (trace.content_type or "").split(";")[0].strip().lower()
    if failure is not None and failure.phase != t.PHASE_STREAM:
        return _request_problem(failure, trace.endpoint_kind)
    if ctype and ctype != "text/event-stream" and trace.count(*t.TOKEN_KINDS) == 0:
        details = (f"content-type: {trace.content_type}", "the SDK yields no chunks for such a response, silently")
        if "html" in ctype:
            # A captive portal, a login page or a web UI answered: not the API at all.
            return RunProblem("not_openai_api",
                              f"asked for a stream, got an HTML page instead (HTTP {trace.status})", details)
        return RunProblem("stream_not_sse", f"asked for a stream, got `{ctype}` instead (HTTP {trace.status})", details)
    if failure is not None:
        return _stream_problem(trace, failure)
    if trace.overrun is not None:
        return None  # chat-doctor stopped reading on purpose: judged apart (max_tokens_ignored)
    if trace.finish_reason is None:
        got = f"{trace.count(t.CONTENT)} content chunks" if trace.chunks else "nothing"
        return RunProblem(
            "stream_interrupted",
            f"the stream ended without a finish_reason after {got}",
            ("the body ended cleanly but the model never said it was done (no finish_reason, no [DONE])",),
        )
    if trace.count(t.CONTENT) == 0:
        if trace.count(t.REASONING) and trace.finish_reason == "length":
            return RunProblem(
                "stream_empty",
                "the model spent every token on reasoning: no answer before max tokens",
                ("raise --max-tokens so the answer fits after the reasoning",),
                status=Status.WARN,
            )
        return RunProblem(
            "stream_empty",
            f"the stream finished (finish_reason={trace.finish_reason}) with no content",
        )
    return None


def http_error_code(failure: t.StreamFailure, kind: str) -> Tuple[str, Optional[str]]:
    """(code, note) for an HTTP error answered instead of a stream, from the API error table
    that `api.auth` uses too (doctor.knowledge.api_errors), so one cause has one code.
    """
    from doctor.knowledge.api_errors import ApiError, diagnosis_for

    status = failure.status or 0
    if 300 <= status < 400:
        return "endpoint_redirects", None
    if status == 404 and failure.code == "model_not_found":
        return "model_not_found", None
    return diagnosis_for(status, ApiError(message=failure.message, type=failure.type, code=failure.code), kind)


def _limit_problem(when: str, failure: t.StreamFailure, details: Tuple[str, ...]) -> RunProblem:
    """A bound of doctor.stream.budget stopped the request: which one, with the figures."""
    limit = failure.limit
    assert limit is not None
    details = (f"stopped by chat-doctor's {limit.kind.replace('_', ' ')} bound",
               *details[1:])
    if limit.kind == t.LIMIT_HEADERS:
        return RunProblem("stream_timeout", f"the response never began: {failure.message}", details, limit=limit)
    if limit.kind == t.LIMIT_STALL:
        return RunProblem("stream_stalled", f"the stream stalled {when}: {failure.message}", details, limit=limit)
    return RunProblem("stream_too_long", f"stopped reading {when}: {failure.message}", details, limit=limit)


def _socks_problem(failure: t.StreamFailure) -> RunProblem:
    return RunProblem(
        "proxy_socks_unsupported",
        "a SOCKS proxy is configured, but the HTTP library of the openai SDK has no SOCKS support here (socksio)",
        (f"{failure.exception}: {failure.message}",), status=Status.FAIL,
    )


def _request_problem(failure: t.StreamFailure, kind: str) -> RunProblem:
    details = _failure_details(failure)
    if failure.kind == t.ERR_WITHHELD:
        # FAIL, not api.auth's skip: a smoke test was asked for and proved nothing.
        return RunProblem("key_withheld_insecure", f"the key was not sent: {failure.message}",
                          ("nothing was sent and no connection was opened, not even to the proxy",), status=Status.FAIL)
    if failure.kind == t.ERR_LIMIT:
        return _limit_problem("before the stream began", failure, details)
    if failure.kind == t.ERR_SETUP:
        if "socks" in failure.message.lower():
            return _socks_problem(failure)
        code = "stream_sdk_unavailable" if failure.exception in ("ImportError", "ModuleNotFoundError") else "stream_client_setup"
        return RunProblem(code, f"could not create the openai client: {failure.message}", details)
    if failure.kind == t.ERR_STATUS and failure.status is not None:
        code, note = http_error_code(failure, kind)
        message = f": {failure.message}" if failure.message else ""
        # FAIL whatever the code's usual severity (a 429 only warns in api.auth): no stream happened.
        return RunProblem(code, f"HTTP {failure.status} instead of a stream{message}",
                          details + ((note,) if note else ()), status=Status.FAIL)
    if failure.kind == t.ERR_TIMEOUT:
        return RunProblem("stream_timeout", "no response headers within the timeout", details)
    if failure.kind == t.ERR_CONNECTION:
        return RunProblem("stream_connection_failed", f"could not send the request: {failure.cause or failure.message}", details)
    return RunProblem("stream_connection_failed", f"the request failed: {failure.exception}: {failure.message}", details)


def _stream_problem(trace: t.StreamTrace, failure: t.StreamFailure) -> RunProblem:
    details = _failure_details(failure)
    after = f"after {trace.count(t.CONTENT)} content chunks"
    if failure.kind == t.ERR_LIMIT:
        return _limit_problem(after, failure, details)
    if failure.kind == t.ERR_EVENT:
        return RunProblem("stream_error_event", f"in-band error event {after}: {failure.message}", details)
    if failure.kind == t.ERR_MALFORMED:
        return RunProblem("stream_malformed", f"a malformed chunk {after}: {failure.message}", details)
    if failure.kind == t.ERR_TIMEOUT:
        return RunProblem("stream_stalled", f"the stream stalled {after}: no data within the read timeout", details)
    return RunProblem("stream_interrupted", f"the connection was cut {after}", details)


def _failure_details(failure: t.StreamFailure) -> Tuple[str, ...]:
    lines = [f"{failure.exception}" + (f" (HTTP {failure.status})" if failure.status else "")]
    tags = [f"{name}: {value}" for name, value in (("error code", failure.code), ("type", failure.type)) if value]
    if tags:  # only what the server sent: never "error code: None"
        lines.append(", ".join(tags))
    if failure.cause:
        lines.append(f"cause: {failure.cause}")
    if failure.retry_after:
        lines.append(f"retry-after: {failure.retry_after}")
    if failure.location:
        lines.append(f"redirects to: {failure.location}")
    return tuple(lines)


# --- the summary over runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class SmokeSummary:
    """The `smoke` object of the report (DESIGN.md), built from the traces of every run."""

    model: str
    base_url: str
    sdk: str
    traces: Tuple[t.StreamTrace, ...]
    metrics: Tuple[RunMetrics, ...]
    max_ttft_ms: Optional[float] = None
    notes: Tuple[str, ...] = ()  # e.g. "the smoke test used chat-doctor's own interpreter"
    warmup_ms: Optional[float] = None  # the SDK's one-time set-up, paid before the clock ran

    @property
    def ttft(self) -> Optional[Dict[str, float]]:
        return spread([m.ttft_ms for m in self.metrics if m.problem is None])

    @property
    def buffered(self) -> bool:
        return any(m.buffered for m in self.metrics)

    def timings(self) -> Dict[str, Optional[Dict[str, float]]]:
        good = [m for m in self.metrics if m.problem is None]
        return {
            "headers_ms": spread([m.headers_ms for m in good]),
            "first_chunk_ms": spread([m.first_chunk_ms for m in good]),
            "ttft_ms": spread([m.ttft_ms for m in good]),
            "last_token_ms": spread([m.last_token_ms for m in good]),
            "total_ms": spread([m.total_ms for m in good]),
            "tokens_per_s": spread([m.tokens_per_s for m in good]),
        }

    def to_dict(self) -> Dict[str, Any]:
        return {
            "model": self.model,
            "base_url": self.base_url,
            "sdk": self.sdk,
            "runs": [_run_dict(tr, m) for tr, m in zip(self.traces, self.metrics)],
            "ttft_ms": self.ttft,
            "buffered": self.buffered,
            "max_ttft_ms": self.max_ttft_ms,
            "timings_ms": self.timings(),
            "sdk_warmup_ms": self.warmup_ms,
        }


def summarise(
    traces: Sequence[t.StreamTrace], *, model: str, base_url: str, sdk: str,
    max_ttft_s: Optional[float] = None, notes: Sequence[str] = (), warmup_ms: Optional[float] = None,
) -> SmokeSummary:
    return SmokeSummary(
        model=model, base_url=base_url, sdk=sdk, traces=tuple(traces),
        metrics=tuple(measure(tr) for tr in traces),
        max_ttft_ms=round(max_ttft_s * 1000, 1) if max_ttft_s is not None else None,
        notes=tuple(notes), warmup_ms=warmup_ms,
    )


def _run_dict(trace: t.StreamTrace, m: RunMetrics) -> Dict[str, Any]:
    return {
        "ttft_ms": m.ttft_ms,
        "headers_ms": m.headers_ms,
        "first_chunk_ms": m.first_chunk_ms,
        "first_reasoning_ms": m.first_reasoning_ms,
        "last_token_ms": m.last_token_ms,
        "total_ms": m.total_ms,
        "content_chunks": m.content_chunks,
        "completion_tokens": m.completion_tokens,
        "tokens_per_s": m.tokens_per_s,
        "itl_ms": m.itl_ms,
        "buffered": m.buffered,
        "buffering": m.buffering.verdict,
        "finish_reason": trace.finish_reason,
        "request_id": trace.request_id,
        "connection": trace.connection,
        "connect_ms": _r(trace.connect_ms),
        "fallbacks": list(trace.fallbacks),
        "limit_field": trace.limit_field,
        "overrun": trace.overrun.to_dict() if trace.overrun else None,
        "error": {"code": m.problem.code, "message": m.problem.summary} if m.problem else None,
    }


# --- the verdict -------------------------------------------------------------------------------


def judge(summary: SmokeSummary, *, beside: Collection[str] = ()) -> CheckResult:
    """The `stream.chat` result: the first failed run's problem, else the TTFT threshold, else
    an ignored token limit, else buffering (both warnings), else ok. Details always carry the
    timings (shown with -v or on a problem). `beside`: the other checks of this report, so that
    a fix points at them rather than at a command the user is already running.
    """
    from doctor.knowledge.diagnoses import diagnose, ok

    n = len(summary.metrics)
    details = list(timing_lines(summary)) + list(summary.notes)
    data = check_data(summary)
    for index, metrics in enumerate(summary.metrics):
        problem = metrics.problem
        if problem is None:
            continue
        prefix = f"run {index + 1}/{n}: " if n > 1 else ""
        if problem.limit is not None:
            data = dict(data, limit=problem.limit.to_dict())
        return diagnose(
            CHECK_ID, problem.code, prefix + problem.summary,
            status=problem.status, details=[*problem.details, *details], data=data,
            fixes=_fixes(problem.code, summary)
            or _request_fixes(problem.code, summary.traces[index].endpoint_kind, beside),
        )
    ttft = summary.ttft
    headline = headline_of(summary)
    if summary.max_ttft_ms is not None and ttft is not None and ttft["p50"] > summary.max_ttft_ms:
        which = "median TTFT" if n > 1 else "TTFT"
        return diagnose(
            CHECK_ID, "ttft_over_limit",
            f"{which} {_ms(ttft['p50'])} is over the limit of {_ms(summary.max_ttft_ms)}",
            details=[headline, *details], data=data,
            fixes=[Fix("See which phase takes the time (headers = server queueing and network; "
                       "first token after headers = the model's prefill); raise --max-ttft if the limit is too strict.")],
        )
    ignored = [(i, tr) for i, tr in enumerate(summary.traces) if tr.overrun is not None]
    if ignored:
        index, trace = ignored[0]
        prefix = f"run {index + 1}/{n}: " if n > 1 else ""
        limit = trace.overrun
        assert limit is not None
        return diagnose(
            CHECK_ID, "max_tokens_ignored",
            f"{prefix}the server ignored the token limit: asked for {trace.max_tokens} tokens "
            f"(`{trace.limit_field}`), stopped reading at {limit.observed:.0f} {limit.unit} (bound {limit.bound:.0f})",
            details=[headline, *details, *_overrun_lines(summary, ignored)],
            data=dict(data, limit=limit.to_dict(), limit_field=trace.limit_field),
        )
    buffered = [(i, m) for i, m in enumerate(summary.metrics) if m.buffered]
    if buffered:
        index, metrics = buffered[0]
        prefix = f"run {index + 1}/{n}: " if n > 1 else ""
        return diagnose(
            CHECK_ID, "stream_buffered",
            f"{prefix}the reply arrived all at once, not streamed ({metrics.buffering.reason})",
            details=[headline, *details], fixes=_BUFFER_FIXES, data=data,
        )
    return ok(CHECK_ID, headline, details=details, data=data)


def headline_of(summary: SmokeSummary) -> str:
    """One line: what streamed and how fast."""
    m = summary.metrics
    if len(m) == 1:
        one = m[0]
        tokens = one.completion_tokens if one.completion_tokens is not None else one.content_chunks
        rate = f", {one.tokens_per_s:g} tok/s" if one.tokens_per_s is not None else ""
        return f"{tokens} tokens, TTFT {_ms(one.ttft_ms)}, total {_ms(one.total_ms)}{rate}"
    ttft = summary.ttft or {}
    return (f"{len(m)} runs, TTFT p50 {_ms(ttft.get('p50'))} "
            f"(min {_ms(ttft.get('min'))}, p90 {_ms(ttft.get('p90'))}, max {_ms(ttft.get('max'))})")


def timing_lines(summary: SmokeSummary) -> List[str]:
    """Short lines for details (the -v table with every run is drawn by doctor.render.smoke)."""
    pairs = [(tr, m) for tr, m in zip(summary.traces, summary.metrics) if m.headers_ms is not None]
    lines = []
    if len(summary.metrics) == 1 and pairs:
        trace, m = pairs[0]
        conn = f", {trace.connection} connection" if trace.connection else ""
        lines.append(_phases(m.headers_ms, m.first_chunk_ms, m.first_reasoning_ms, m.ttft_ms, m.last_token_ms, m.total_ms) + conn)
    elif pairs:
        med = summary.timings()

        def p50(key: str) -> Optional[float]:
            return (med.get(key) or {}).get("p50")

        reasoning = [m.first_reasoning_ms for _, m in pairs if m.first_reasoning_ms is not None]
        lines.append(f"median of {len(pairs)} runs: " + _phases(
            p50("headers_ms"), p50("first_chunk_ms"), sorted(reasoning)[len(reasoning) // 2] if reasoning else None,
            p50("ttft_ms"), p50("last_token_ms"), p50("total_ms")))
        kinds = [tr.connection for tr, _ in pairs]
        if all(kinds):
            lines.append(f"connections: {kinds.count('new')} new, {kinds.count('reused')} reused")
            if len(kinds) > 1 and all(k == "new" for k in kinds[1:]):
                lines.append("the SDK closed its connection after each stream, so every run paid for a new one "
                             "(openai 2.x/3.x stop at [DONE] without reading the body's end; 1.x reuses it)")
    unjudged = [m.buffering.reason for m in summary.metrics if m.buffering.verdict in (TOO_SHORT, TOO_FAST)]
    if unjudged:
        n = len(summary.metrics)
        lines.append(unjudged[0] if n == 1 else f"streaming not judged in {len(unjudged)} of {n} runs: {unjudged[0]}")
    fallbacks = sorted({f for tr in summary.traces for f in tr.fallbacks})
    if fallbacks:
        lines.append("the server rejected " + " and ".join(fallbacks) + "; retried once without "
                     + ("them" if len(fallbacks) > 1 else "it"))
    warm = f" (warmed up in-process first: {_ms(summary.warmup_ms)}, not timed)" if summary.warmup_ms is not None else ""
    lines.append(f"model {summary.model} at {summary.base_url}, {summary.sdk}{warm}")
    return lines


def _phases(headers: Optional[float], chunk: Optional[float], reasoning: Optional[float], token: Optional[float],
            last: Optional[float], total: Optional[float]) -> str:
    thinking = f", first reasoning {_ms(reasoning)}" if reasoning is not None else ""
    return (f"headers {_ms(headers)}, first chunk {_ms(chunk)}{thinking}, first token {_ms(token)}, "
            f"last token {_ms(last)}, total {_ms(total)}")


def check_data(summary: SmokeSummary) -> Dict[str, Any]:
    """What the -v timing table needs; the full record is the report's `smoke` object."""
    return {
        "model": summary.model,
        "sdk": summary.sdk,
        "runs": [
            {
                "headers_ms": m.headers_ms, "first_chunk_ms": m.first_chunk_ms,
                "first_reasoning_ms": m.first_reasoning_ms, "ttft_ms": m.ttft_ms,
                "last_token_ms": m.last_token_ms, "total_ms": m.total_ms,
                "tokens_per_s": m.tokens_per_s, "itl_ms": m.itl_ms, "connection": tr.connection,
                "buffering": m.buffering.verdict, "error": m.problem.code if m.problem else None,
            }
            for tr, m in zip(summary.traces, summary.metrics)
        ],
        "stats": summary.timings(),
        "max_ttft_ms": summary.max_ttft_ms,
    }


_BUFFER_FIXES = (
    Fix("nginx in front of the API: turn buffering off for the location that proxies it",
        "proxy_buffering off;\nproxy_cache off;\ngzip off;"),
    Fix("or let the upstream app ask nginx not to buffer this response", "X-Accel-Buffering: no"),
    Fix("Other proxies, ingresses, CDNs and API gateways: disable response buffering and compression "
        "for `text/event-stream`; test the server directly (its own host and port) to confirm."),
)


def _overrun_lines(summary: SmokeSummary, ignored: Sequence[Tuple[int, t.StreamTrace]]) -> List[str]:
    n = len(summary.traces)
    lines = [f"the limit went as `{ignored[0][1].limit_field}`"
             + (f"; {len(ignored)} of {n} runs overran it" if n > 1 else "")
             + "; chat-doctor closed the stream there and kept the timings up to that point"]
    return lines


def _fixes(code: str, summary: SmokeSummary) -> Tuple[Fix, ...]:
    """Concrete fixes where there are some; else () and diagnose() uses the registered text."""
    if code == "stream_buffered":
        return _BUFFER_FIXES
    if code == "proxy_socks_unsupported":
        return _socks_fixes(summary.sdk)
    return ()


def _request_fixes(code: str, kind: str, beside: Collection[str]) -> Tuple[Fix, ...]:
    """Fixes for a request that got no stream, fitting the endpoint and the command being run."""
    from doctor.knowledge.diagnoses import fixes_for

    if code == "stream_connection_failed":
        where = (Fix("The net.dns, net.tcp and net.tls results above show where the connection fails")
                 if "net.tcp" in beside else Fix("See where the connection fails with the network and TLS checks",
                                                 "chat-doctor check"))
        return (where, Fix("Check the base URL, the proxy settings and that the key has no stray whitespace"))
    if code == "missing_scopes":
        return (Fix("The key is restricted: give it the permissions chat needs (Model capabilities: Write) in the "
                    "provider's console" + (" (https://platform.openai.com/api-keys)" if kind == "openai" else "")),)
    if code == "model_not_found" and "api.model" not in beside:
        return (Fix("Use a model this key can use (`--model NAME`); see which ones the server lists", "chat-doctor check"),)
    return fixes_for(code, kind)


def _socks_fixes(sdk: str) -> Tuple[Fix, ...]:
    """The SOCKS extra of the HTTP library the installed SDK uses: httpx2 for openai 3.x, httpx before."""
    import shlex
    import sys

    major = sdk.split(" ", 1)[-1].split(".", 1)[0]
    extra = "httpx2[socks]" if major.isdigit() and int(major) >= 3 else "httpx[socks]"
    return (
        Fix(f"Install SOCKS support for {sdk} into the interpreter the smoke test runs in",
            f"{shlex.quote(sys.executable)} -m pip install {shlex.quote(extra)}"),
        Fix("Or use an http:// proxy instead of SOCKS"),
    )


def _ms(ms: Optional[float]) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.2f} s" if ms >= 2000 else f"{ms:.0f} ms"
