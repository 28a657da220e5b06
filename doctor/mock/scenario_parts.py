"""What a mock-server scenario is made of: the routes it can affect and its behaviours, as data.

A scenario is a bundle of small, independent behaviours that the server (doctor/mock/server.py)
applies in a fixed order:

1. `edge`: something in front of the API answers instead (captive portal page, redirect).
2. auth: a missing key is refused unless `requires_key` is False (local servers ignore keys).
3. `error`: the API refuses requests on some routes, optionally only when the body has a field.
4. model visibility: `hidden_models`, `listed_models`, `accept_any_model`.
5. `stream`: how a streamed chat completion is delivered (timing, framing, how it ends).
6. `responses`: what `POST /v1/responses` does (missing route, how its stream ends, numbering).

The timing and delivery parts of `stream` (first-token delay, token interval, `: ping` comments,
buffered delivery, gzip) shape Responses streams too; how a chat stream ends (cut, stall, bad JSON, ...)
and the hostile writers stay chat-only, so each scenario name says which API it breaks.

The catalogue itself is doctor/mock/scenarios.py (and doctor/mock/responses_scenarios.py); this
module holds only the types, so both can build scenarios without importing each other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import FrozenSet, Optional, Tuple

# Logical routes (the Azure paths map onto the same names).
MODELS = "models"  # GET /v1/models, GET /openai/models
MODEL = "model"  # GET /v1/models/{id}
CHAT = "chat"  # POST /v1/chat/completions, POST /openai/deployments/{d}/chat/completions
RESPONSES = "responses"  # POST /v1/responses
ALL_ROUTES: FrozenSet[str] = frozenset({MODELS, MODEL, CHAT, RESPONSES})
MODEL_ROUTES: FrozenSet[str] = frozenset({MODELS, MODEL})
CHAT_ROUTES: FrozenSet[str] = frozenset({CHAT})
# The routes that run a model: what quota, credit and model permissions refuse.
GENERATION_ROUTES: FrozenSet[str] = frozenset({CHAT, RESPONSES})


@dataclass(frozen=True)
class AzureError:
    """The Azure gateway's flat error shape: {"error": {"code": "401", "message": ...}}."""

    code: str
    message: str


@dataclass(frozen=True)
class ErrorReply:
    """An API refusal: an OpenAI-shaped JSON error body with a status and extra headers."""

    status: int
    message: str
    type: Optional[str]
    code: Optional[str]
    param: Optional[str] = None
    headers: Tuple[Tuple[str, str], ...] = ()
    routes: FrozenSet[str] = ALL_ROUTES
    # Only refuse when the JSON body has this top-level field (e.g. a server that rejects
    # `stream_options`, so a client can retry without it).
    when_body_has: Optional[str] = None
    # The body used on Azure-style paths (/openai/...); None keeps the OpenAI shape there too.
    azure: Optional[AzureError] = None


class Ending(enum.Enum):
    """How a streamed completion ends."""

    DONE = "done"  # delta {} + finish_reason, optional usage chunk, data: [DONE], last chunk
    ERROR_EVENT = "error_event"  # in-band data: {"error": ...}, data: [DONE], last chunk
    CLEAN_EOF = "clean_eof"  # last HTTP chunk right after the content: no finish_reason, no [DONE]
    CUT = "cut"  # socket closed mid-body: no last HTTP chunk
    STALL = "stall"  # silence until stall_ms (or stop()), then the socket is closed


@dataclass(frozen=True)
class StreamBehaviour:
    """How `POST /chat/completions` with `"stream": true` is delivered."""

    ending: Ending = Ending.DONE
    content_tokens: Optional[int] = None  # stop after this many content tokens (None: the whole reply)
    sse: bool = True  # False: ignore stream=true and answer application/json
    buffered: bool = False  # produce on schedule, but write everything (head too) in one write at the end
    # Content-Encoding gzip when the request's Accept-Encoding admits it, compressed as it goes but
    # flushed only at the end (the head is at once, the events in one burst); identity: paced as usual.
    gzip_when_accepted: bool = False
    ping_interval_ms: int = 0  # `: ping` comments while waiting for the first token
    bad_json_after_tokens: Optional[int] = None  # an unparsable data: line after this many tokens
    azure_filters: bool = False  # Azure's prompt_filter_results chunk first, content_filter_results after
    reasoning: bool = False  # delta.reasoning_content tokens before the content tokens
    echo_key: bool = False  # the reply is the caller's own key, streamed 5 characters a chunk
    echo_repeats: int = 1  # echo_key: the key this many times back to back
    # The token-limit fields the server obeys; a request without any of them gets `runaway_tokens`
    # tokens when that is set (the reply text over and over), else the whole reply.
    honoured_limits: Tuple[str, ...] = ("max_completion_tokens", "max_tokens")
    runaway_tokens: int = 0
    # "usage": completion_tokens "many"; "content": delta.content 5; "reasoning": reasoning_content 7;
    # "list": the bad_json_after_tokens line is valid JSON of the wrong shape, `[1, 2]`.
    odd: Optional[str] = None
    # How the reply says it ended: None is "length" or "stop" as the limit decides; "abort" (vLLM's
    # cancelled request, still followed by usage and [DONE]), "content_filter", ... are sent as given.
    finish_reason: Optional[str] = None
    usage_chunk: bool = True  # False: ignore stream_options.include_usage (no usage chunk, ever)
    # ERROR_EVENT's shape: "openai" `{"error": {...}}` (the SDK raises APIError), "vllm" the flat
    # `{"object": "error", "message": ...}` of vLLM's ErrorResponse (the SDK yields it as a chunk).
    error_shape: str = "openai"
    # Used when the corresponding MockOptions value is 0, so the scenario shows its effect by default.
    default_first_token_delay_ms: int = 0
    default_token_interval_ms: int = 0


class ResponsesEnding(enum.Enum):
    """How a streamed `/v1/responses` answer ends (the Responses API never sends `[DONE]`)."""

    # The .done events, then response.completed, or response.incomplete when max_output_tokens
    # (or `output_cap`) cut the answer short, as OpenAI does.
    TERMINAL = "terminal"
    NONE = "none"  # the .done events, then the body ends cleanly: no terminal event at all
    FAILED = "failed"  # after `content_tokens` deltas: response.failed (status failed, error {code, message})
    ERROR_EVENT = "error_event"  # after `content_tokens` deltas: an `error` event, then the body ends


@dataclass(frozen=True)
class ResponsesBehaviour:
    """What `POST /v1/responses` does; the default is a healthy Responses API."""

    # 404 (the route does not exist, as on servers that only speak chat completions) or 405
    # (a gateway that allows other methods only); chat is untouched either way.
    unsupported: Optional[int] = None
    ending: ResponsesEnding = ResponsesEnding.TERMINAL
    content_tokens: Optional[int] = None  # FAILED / ERROR_EVENT: how many deltas come first
    # Every answer stops after this many tokens as if max_output_tokens were that low (streamed
    # or not): status "incomplete", incomplete_details.reason `incomplete_reason`.
    output_cap: Optional[int] = None
    # Why `output_cap` cut it: "max_output_tokens", or "content_filter" (a policy stopped the answer,
    # the other reason openai-python's IncompleteDetails allows).
    incomplete_reason: str = "max_output_tokens"
    usage: bool = True  # False: the terminal event's response has "usage": null (no token counts)
    sequence_numbers: bool = True  # False: events carry no sequence_number (llama-server's dialect)
    skipped_sequence_number: Optional[int] = None  # this number is never sent: a gap in the sequence


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    edge: Optional[str] = None  # "portal" or "redirect": answered before the API sees the request
    delay_headers: bool = False  # response head only after MockOptions.slow_delay_ms
    error: Optional[ErrorReply] = None
    stream: StreamBehaviour = field(default_factory=StreamBehaviour)
    responses: ResponsesBehaviour = field(default_factory=ResponsesBehaviour)
    hidden_models: Tuple[str, ...] = ()  # absent from /models, 404 model_not_found in chat
    listed_models: Optional[Tuple[str, ...]] = None  # None: MockOptions.models
    model_owner: str = "system"
    accept_any_model: bool = False
    requires_key: bool = True
    openai_headers: bool = True  # x-request-id, openai-*, x-ratelimit-* (local servers send none)
    # A doctor.mock.hostile writer that answers streamed chats instead (endless or huge answers).
    hostile: Optional[str] = None
