"""From stream traces to figures: each run's timings and buffering verdict, and the `smoke`
summary over the runs (the report's `smoke` object). Pure: no I/O, no clock.

Definitions (README, "The smoke test"), all measured from the moment before `create()`:

- `headers_ms`: the response headers arrived.
- `first_byte_ms`: the first network read of the body returned (httpstat's starttransfer is the
  first byte of the response, a little earlier: the head's bytes come first).
- `first_chunk_ms`: the first SSE chunk of any kind (vLLM's TTFT; usually the role-only chunk).
- `first_token_any_ms`: the first chunk carrying content, reasoning or tool-call arguments
  (GuideLLM's and AIPerf's TTFT).
- `ttft_ms`: the first chunk with non-empty content (llmperf / genai-perf; the role-only chunk
  and reasoning do not count). `first_reasoning_ms` is reported beside it when a server streams
  reasoning first.

The ladder, in the order the rungs can happen (each <= the next when both exist; `connect_ms` is
a duration inside `headers_ms`): headers <= first byte <= first chunk <= first token any <= ttft
<= last token <= total.
- `last_token_ms`, `total_ms`: the last token chunk; the end of the stream.
- `itl_ms`: gaps between successive token chunks (content or reasoning).
- `tokens_per_s`: tokens after the first, per second between the first and the last token
  (the decode rate, 1/TPOT); `completion_tokens` from the usage chunk when the server sent one,
  else the number of token chunks.

Chunk times are wire times (when the network read carrying the chunk returned), so the SDK's
own parsing is not counted. What went wrong in a run is doctor.stream.problems'; the words
are doctor.knowledge.wording.stream's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from doctor.knowledge.wording import buffering as held
from doctor.knowledge.wording import stream as words
from doctor.stream import trace as t
from doctor.stream.dialect import Dialect, read_dialect
from doctor.stream.problems import RunProblem, diagnose_run
from doctor.stream.stats import gaps_summary, percentile, spread

# --- buffering ---------------------------------------------------------------------------------
# A reply shorter than this many token chunks cannot show whether it streamed.
MIN_CHUNKS_TO_JUDGE = 5
# When the whole reply is in within this time of sending (less the client's own parsing),
# streaming could not be seen either way.
MIN_WAIT_MS = 100.0
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
    median wait under 1 ms, and all those waits together within 5% of the whole wait), and no body bytes
    (role chunk, keep-alive comments) arrived before that burst. The wait excludes the SDK's
    own parsing, so a slow machine does not make a buffered stream look streamed. The last
    condition keeps a server that generates instantly after a delay from being flagged: a
    buffering proxy holds those early bytes back too. Under a Content-Encoding (gzip) only decoded
    chunks count as early bytes: the text was available when it was inflated, not when the
    compressed bytes (a gzip header) arrived.
    """
    tokens = [c for c in trace.chunks if c.kind in t.TOKEN_KINDS]
    if trace.failure is not None or not tokens:
        return Buffering(NOT_JUDGED, words.NOTHING_TO_JUDGE)
    if len(tokens) < MIN_CHUNKS_TO_JUDGE:
        return Buffering(TOO_SHORT, words.too_short(len(tokens), MIN_CHUNKS_TO_JUDGE))
    first = tokens[0].wire_ms
    waits = [c.waited_ms for c in tokens[1:]]
    median_wait = percentile(waits, 50) or 0.0
    # How long the network kept the client waiting between the first token and the last: not
    # `last - first`, which also counts the SDK parsing each chunk (on a loaded machine, several
    # ms per chunk even when every byte was already there).
    burst = sum(waits)
    # When the last token came in, less the client's own parsing: an instant server on a loaded
    # machine is late because the client is slow, not because anything held the reply back.
    seen = first + burst
    if seen < MIN_WAIT_MS:
        return Buffering(TOO_FAST, words.too_fast(seen))
    window = max(BURST_FLOOR_MS, BURST_FRACTION * seen)
    # Under a Content-Encoding the reads are compressed bytes: a gzip-ing server sends its 10-byte
    # header at once and deflate holds every event until the end, so an early read proves nothing.
    # Only a decoded chunk (the role chunk) then shows the text was moving; keep-alive comments
    # held in the same deflate buffer could not have been seen early anyway.
    encoded = any(name == t.CONTENT_ENCODING and value.lower() != "identity" for name, value in trace.extra)
    first_byte = trace.reads[0] if trace.reads and not encoded else trace.chunks[0].wire_ms
    early_bytes = first_byte < first - window
    if median_wait < BURST_GAP_MS and burst <= window and not early_bytes:
        if encoded and trace.reads and trace.reads[0] < first - window:  # say what did arrive early
            return Buffering(BUFFERED, held.inflated_at_once(len(tokens), burst, first))
        return Buffering(BUFFERED, words.arrived_at_once(len(tokens), burst, first))
    return Buffering(STREAMED, words.streamed_over(len(tokens), burst, median_wait))


# --- per-run metrics ---------------------------------------------------------------------------


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
    first_byte_ms: Optional[float] = None
    first_token_any_ms: Optional[float] = None

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
        first_byte_ms=_r(trace.reads[0] if trace.reads and trace.headers_ms is not None else None),
        first_token_any_ms=_r(first_token.wire_ms if first_token else None),
    )


def _r(value: Optional[float]) -> Optional[float]:
    return round(value, 1) if value is not None else None


# --- the summary over runs ---------------------------------------------------------------------

RAN_IN_TARGET = "target"  # the target interpreter ran it (through the runner, or in-process when it is chat-doctor's own)
RAN_IN_CHAT_DOCTOR = "chat-doctor"  # chat-doctor's own interpreter ran it instead of the target (a fallback)


@dataclass(frozen=True)
class RanWith:
    """Which interpreter and SDK ran the smoke test (the report's smoke.python, smoke.sdk, smoke.http)."""

    python: Optional[str] = None  # the interpreter's path
    python_version: Optional[str] = None  # "3.11.7"
    http: Optional[str] = None  # the SDK's HTTP library: "httpx 0.28.1", "httpx2 2.16.2"
    fallback: Optional[str] = None  # why chat-doctor's own interpreter ran it instead of the target

    @property
    def ran_in(self) -> str:
        return RAN_IN_CHAT_DOCTOR if self.fallback is not None else RAN_IN_TARGET


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
    ran: RanWith = RanWith()

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
            "first_byte_ms": spread([m.first_byte_ms for m in good]),
            "first_chunk_ms": spread([m.first_chunk_ms for m in good]),
            "first_token_any_ms": spread([m.first_token_any_ms for m in good]),
            "ttft_ms": spread([m.ttft_ms for m in good]),
            "last_token_ms": spread([m.last_token_ms for m in good]),
            "total_ms": spread([m.total_ms for m in good]),
            "tokens_per_s": spread([m.tokens_per_s for m in good]),
        }

    def token_arrivals(self) -> List[List[float]]:
        """Wire times (ms since the request was sent) of every token chunk, one list per run:
        the picture of the stream (doctor.render.stream_picture) is drawn from them."""
        return [[round(chunk.wire_ms, 1) for chunk in trace.chunks if chunk.kind in t.TOKEN_KINDS]
                for trace in self.traces]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "model": self.model,
            "base_url": self.base_url,
            "sdk": self.sdk,
            "http": self.ran.http,
            "python": self.ran.python,
            "python_version": self.ran.python_version,
            "ran_in": self.ran.ran_in,
            "fallback": self.ran.fallback,
            "runs": [_run_dict(tr, m) for tr, m in zip(self.traces, self.metrics)],
            "ttft_ms": self.ttft,
            "buffered": self.buffered,
            "max_ttft_ms": self.max_ttft_ms,
            "timings_ms": self.timings(),
            "sdk_warmup_ms": self.warmup_ms,
            "dialect": self.dialect.to_dict() if self.dialect is not None else None,
        }

    @property
    def dialect(self) -> Optional[Dialect]:
        """What a client of this endpoint must handle (doctor.stream.dialect), from every run that read a body."""
        return read_dialect(self.traces, [m.first_token_any_ms for m in self.metrics])


def summarise(
    traces: Sequence[t.StreamTrace], *, model: str, base_url: str, sdk: str,
    max_ttft_s: Optional[float] = None, notes: Sequence[str] = (), warmup_ms: Optional[float] = None,
    ran: RanWith = RanWith(),
) -> SmokeSummary:
    return SmokeSummary(
        model=model, base_url=base_url, sdk=sdk, traces=tuple(traces),
        metrics=tuple(measure(tr) for tr in traces),
        max_ttft_ms=round(max_ttft_s * 1000, 1) if max_ttft_s is not None else None,
        notes=tuple(notes), warmup_ms=warmup_ms, ran=ran,
    )


def _run_dict(trace: t.StreamTrace, m: RunMetrics) -> Dict[str, Any]:
    return {
        "ttft_ms": m.ttft_ms,
        "headers_ms": m.headers_ms,
        "first_byte_ms": m.first_byte_ms,
        "first_chunk_ms": m.first_chunk_ms,
        "first_token_any_ms": m.first_token_any_ms,
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
        "request_build_ms": _r(trace.request_build_ms),  # the SDK's work before the clock (sdk.py)
        "fallbacks": list(trace.fallbacks),
        "limit_field": trace.limit_field,
        "overrun": trace.overrun.to_dict() if trace.overrun else None,
        "error": {"code": m.problem.code, "message": m.problem.summary} if m.problem else None,
    }
