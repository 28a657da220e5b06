"""What one streamed chat request looked like on the wire: plain frozen data, no judgement.

Times are milliseconds since the clock started, immediately before the SDK's `create()`.
A chunk has two times: `wire_ms`, when the network read that completed it returned (so SDK
parsing is not in it), and `yield_ms`, when the SDK handed the parsed chunk over. The
difference is the SDK's per-chunk cost, which the benchmark reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

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


# Bounds on what a reply's bytes may make chat-doctor keep about its dialect (doctor.stream.dialect):
# the names come from a server, so there are few of them and each is short.
WIRE_NAMES_KEPT = 24
WIRE_NAME_CHARS = 40
WIRE_HEADERS = ("server", "x-request-id", "apim-request-id", "openai-processing-ms", "openai-version",
                "x-ms-region", "via", "x-powered-by")


@dataclass(frozen=True)
class WireFacts:
    """What the decoded bytes of one reply showed about how the endpoint speaks (its dialect).

    Recorded in both paths by doctor.stream.target_reading.WireWatch from the bytes the SDK
    parses, before it parses them; judged by doctor.stream.dialect. Every string came from the
    server: shortened here, made inert where it is shown.
    """

    events: int = 0  # data: events, [DONE] not counted
    comments: int = 0  # SSE comment lines (": ping", ": OPENROUTER PROCESSING")
    comment: Optional[str] = None  # the first comment's text
    fields: Tuple[str, ...] = ()  # top-level field names of the chunks, in the order first seen
    choice_fields: Tuple[str, ...] = ()  # field names of choices[0]
    delta_fields: Tuple[str, ...] = ()  # field names of choices[0].delta
    first: Optional[str] = None  # the first event's shape: "no_choices", "role_only", "token", "empty", "other"
    usage_chunks: int = 0  # chunks carrying a usage object
    usage_on_choices: int = 0  # of those, chunks that also had choices (usage on every chunk, or on the last)
    reasoning_field: Optional[str] = None  # "reasoning_content" or "reasoning": where reasoning text came
    obfuscation: bool = False  # an `obfuscation` padding field
    fingerprint: Optional[str] = None  # the first system_fingerprint
    id_prefix: Optional[str] = None  # the chunk id up to its first "-" or "_": "chatcmpl-", "gen-"; "" empty
    headers: Tuple[Tuple[str, str], ...] = ()  # the response headers of WIRE_HEADERS that came

    @staticmethod
    def from_dict(value: Any) -> Optional[WireFacts]:
        """From WireWatch.to_dict() (through the runner's JSON): wrong types dropped, bounds kept."""
        if not isinstance(value, dict):
            return None

        def count(name: str) -> int:
            got = value.get(name)
            return got if isinstance(got, int) and not isinstance(got, bool) and got >= 0 else 0

        def text(name: str) -> Optional[str]:
            got = value.get(name)
            return got[:WIRE_NAME_CHARS] if isinstance(got, str) else None

        def names(name: str) -> Tuple[str, ...]:
            got = value.get(name)
            items = got if isinstance(got, list) else []
            return tuple(item[:WIRE_NAME_CHARS] for item in items if isinstance(item, str))[:WIRE_NAMES_KEPT]

        listed = value.get("headers")
        pairs: list = listed if isinstance(listed, list) else []
        headers = tuple((str(p[0])[:WIRE_NAME_CHARS], str(p[1])[:WIRE_NAME_CHARS * 2]) for p in pairs
                        if isinstance(p, list) and len(p) == 2 and p[0] in WIRE_HEADERS and isinstance(p[1], str))
        return WireFacts(
            events=count("events"), comments=count("comments"), comment=text("comment"), fields=names("fields"),
            choice_fields=names("choice_fields"), delta_fields=names("delta_fields"), first=text("first"),
            usage_chunks=count("usage_chunks"), usage_on_choices=count("usage_on_choices"),
            reasoning_field=text("reasoning_field"), obfuscation=value.get("obfuscation") is True,
            fingerprint=text("fingerprint"), id_prefix=text("id_prefix"), headers=headers,
        )

    def header(self, name: str) -> Optional[str]:
        return next((v for k, v in self.headers if k == name), None)


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
    # The SDK's work from `create()` to handing the request to its HTTP client (the parameters'
    # transform, building the request): before the clock, which starts as the request is sent.
    request_build_ms: Optional[float] = None
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
    wire: Optional[WireFacts] = None  # what the reply's bytes showed of the endpoint's dialect (None: no body read)

    def first(self, *kinds: str) -> Optional[Chunk]:
        return next((c for c in self.chunks if c.kind in kinds), None)

    def last(self, *kinds: str) -> Optional[Chunk]:
        return next((c for c in reversed(self.chunks) if c.kind in kinds), None)

    def count(self, *kinds: str) -> int:
        return sum(1 for c in self.chunks if c.kind in kinds)
