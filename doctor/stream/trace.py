"""What one streamed chat request looked like on the wire: plain frozen data, no judgement.

Times are milliseconds since the clock started, immediately before the SDK's `create()`.
A chunk has two times: `wire_ms`, when the network read that completed it returned (so SDK
parsing is not in it), and `yield_ms`, when the SDK handed the parsed chunk over. The
difference is the SDK's per-chunk cost, which the benchmark reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

# Chunk kinds, from the first choice's delta (or its absence).
ROLE = "role"  # delta with a role and empty content: the usual first chunk; not a token
CONTENT = "content"  # non-empty delta.content (or refusal / tool call: output the user sees)
REASONING = "reasoning"  # non-empty reasoning_content / reasoning (vLLM, llama.cpp, DeepSeek style)
EMPTY = "empty"  # a choice whose delta carries nothing (often the finish chunk)
NO_CHOICES = "no_choices"  # choices: [] (Azure's prompt filter chunk, the usage chunk)

TOKEN_KINDS = (CONTENT, REASONING)

# Where a failure happened.
PHASE_SETUP = "setup"  # building the client: nothing was sent
PHASE_REQUEST = "request"  # create() raised: no stream began (HTTP error, refused, timed out)
PHASE_STREAM = "stream"  # iterating raised after the response headers arrived

# What kind of failure, independent of the SDK major (see doctor.stream.sdk.classify).
ERR_STATUS = "status"  # HTTP error status (APIStatusError)
ERR_TIMEOUT = "timeout"  # APITimeoutError (connect or read timeout)
ERR_CONNECTION = "connection"  # APIConnectionError: refused, reset, cut, DNS, TLS, bad header value
ERR_EVENT = "error_event"  # in-band data: {"error": ...} (plain APIError)
ERR_MALFORMED = "malformed"  # a data: line that is not JSON
ERR_SETUP = "setup"  # the client could not be built (missing key, Azure api_version, ...)
ERR_WITHHELD = "withheld"  # the key may not travel this route (doctor.net.keyroute): nothing was attempted
ERR_LIMIT = "limit"  # chat-doctor stopped the request at one of its bounds (doctor.stream.budget)
ERR_OTHER = "other"  # anything else the SDK raised
# The smoke test inside the target interpreter (doctor.stream.target_launch):
ERR_SDK_BROKEN = "sdk_broken"  # the target's SDK cannot build a client (httpx 0.28's `proxies`, an ImportError)
ERR_RUNNER = "runner"  # the runner crashed, hung, flooded its output or printed garbage


# Which bound stopped a request (StreamLimit.kind).
LIMIT_HEADERS = "headers"  # the response head did not complete within T of connecting
LIMIT_STALL = "stall"  # no new event within T (silence, keep-alives, a line that never ends)
LIMIT_RUN_TIME = "run_time"  # the whole run went past Budget.run_s
LIMIT_EVENT_BYTES = "event_bytes"  # one SSE event (a line that never ends) past EVENT_BYTES
LIMIT_REPLY_BYTES = "reply_bytes"  # one reply past REPLY_BYTES decoded
LIMIT_TOTAL_BYTES = "total_bytes"  # all runs together past TOTAL_BYTES decoded
LIMIT_EVENTS = "events"  # more chunks than any reply of the asked size has
LIMIT_TOKENS = "tokens"  # more tokens (or text) than max_tokens allows: the limit was ignored

# An `extra` note: the response's Content-Encoding. Under one the body's network reads carry
# compressed bytes, which say nothing about when the text itself was there (figures.judge_buffering).
CONTENT_ENCODING = "content_encoding"


def encoding_note(value: Optional[str]) -> Tuple[Tuple[str, str], ...]:
    return ((CONTENT_ENCODING, value.strip()[:100]),) if value and value.strip() else ()


@dataclass(frozen=True)
class StreamLimit:
    """A bound that was reached, with the figures: `observed` went past `bound` (in `unit`)."""

    kind: str  # one of LIMIT_*
    bound: float
    observed: float
    unit: str  # "s", "bytes", "chunks", "tokens"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "bound": round(self.bound, 3), "observed": round(self.observed, 3), "unit": self.unit}


@dataclass(frozen=True)
class Chunk:
    wire_ms: float
    yield_ms: float
    kind: str
    chars: int = 0
    waited_ms: float = 0.0  # how long the client sat waiting for this chunk's bytes


@dataclass(frozen=True)
class StreamFailure:
    """A failure, described without the exception object (which may hold the key)."""

    kind: str  # one of ERR_*
    phase: str  # one of PHASE_*
    message: str
    exception: str  # the exception class name, e.g. "AuthenticationError"
    status: Optional[int] = None  # HTTP status, when there was one
    code: Optional[str] = None  # the error body's `code`
    type: Optional[str] = None  # the error body's `type`
    cause: Optional[str] = None  # "ConnectError: [Errno 111] Connection refused"
    retry_after: Optional[str] = None
    location: Optional[str] = None  # where a redirect points (not followed)
    limit: Optional[StreamLimit] = None  # with ERR_LIMIT: which bound, and the figures


@dataclass(frozen=True)
class StreamTrace:
    """One streamed request, as observed. `connection` is "new", "reused" or None (unknown)."""

    model: str
    sdk: str  # "openai 3.57.0"
    status: Optional[int] = None
    content_type: Optional[str] = None
    request_id: Optional[str] = None
    headers_ms: Optional[float] = None
    end_ms: Optional[float] = None  # the stream ended (or failed)
    chunks: Tuple[Chunk, ...] = ()
    reads: Tuple[float, ...] = ()  # wire time of every network read of the body
    finish_reason: Optional[str] = None
    completion_tokens: Optional[int] = None
    text: str = ""
    failure: Optional[StreamFailure] = None
    connection: Optional[str] = None
    connect_ms: Optional[float] = None  # TCP (+TLS) set-up time of a new connection
    fallbacks: Tuple[str, ...] = ()  # request fields dropped after the server rejected them
    limit_field: Optional[str] = None  # "max_completion_tokens" or "max_tokens": how the limit was sent
    max_tokens: Optional[int] = None  # the limit asked for
    overrun: Optional[StreamLimit] = None  # reading stopped: the reply ignored max_tokens (LIMIT_TOKENS)
    usage_requested: bool = True
    endpoint_kind: str = "openai"  # "openai", "azure" or "compatible" (some HTTP errors differ on Azure)
    extra: Tuple[Tuple[str, str], ...] = field(default_factory=tuple)  # free notes, e.g. ("sdk_parse", "...")

    def first(self, *kinds: str) -> Optional[Chunk]:
        return next((c for c in self.chunks if c.kind in kinds), None)

    def last(self, *kinds: str) -> Optional[Chunk]:
        return next((c for c in reversed(self.chunks) if c.kind in kinds), None)

    def count(self, *kinds: str) -> int:
        return sum(1 for c in self.chunks if c.kind in kinds)
