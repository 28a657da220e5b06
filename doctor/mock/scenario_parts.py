"""What a mock-server scenario is made of: the routes it can affect and its behaviours, as data.

A scenario is a bundle of small, independent behaviours that the server (doctor/mock/server.py)
applies in a fixed order:

1. `edge`: something in front of the API answers instead (captive portal page, redirect).
2. auth: a missing key is refused unless `requires_key` is False (local servers ignore keys).
3. `error`: the API refuses requests on some routes, optionally only when the body has a field.
4. model visibility: `hidden_models`, `listed_models`, `accept_any_model`.
5. `stream`: how a streamed chat completion is delivered (timing, framing, how it ends).

The catalogue itself is doctor/mock/scenarios.py; this module holds only the types, so that the
catalogue stays a list of data (and under the size rule).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import FrozenSet, Optional, Tuple

# Logical routes (the Azure paths map onto the same names).
MODELS = "models"  # GET /v1/models, GET /openai/models
MODEL = "model"  # GET /v1/models/{id}
CHAT = "chat"  # POST /v1/chat/completions, POST /openai/deployments/{d}/chat/completions
ALL_ROUTES: FrozenSet[str] = frozenset({MODELS, MODEL, CHAT})
MODEL_ROUTES: FrozenSet[str] = frozenset({MODELS, MODEL})
CHAT_ROUTES: FrozenSet[str] = frozenset({CHAT})


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
    ping_interval_ms: int = 0  # `: ping` comments while waiting for the first token
    bad_json_after_tokens: Optional[int] = None  # an unparsable data: line after this many tokens
    azure_filters: bool = False  # Azure's prompt_filter_results chunk first, content_filter_results after
    reasoning: bool = False  # delta.reasoning_content tokens before the content tokens
    echo_key: bool = False  # the reply is the caller's own key, streamed 5 characters a chunk
    # The token-limit fields the server obeys; a request without any of them gets `runaway_tokens`
    # tokens when that is set (the reply text over and over), else the whole reply.
    honoured_limits: Tuple[str, ...] = ("max_completion_tokens", "max_tokens")
    runaway_tokens: int = 0
    odd: Optional[str] = None  # "usage": completion_tokens "many"; "content": delta.content 5
    # Used when the corresponding MockOptions value is 0, so the scenario shows its effect by default.
    default_first_token_delay_ms: int = 0
    default_token_interval_ms: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    edge: Optional[str] = None  # "portal" or "redirect": answered before the API sees the request
    delay_headers: bool = False  # response head only after MockOptions.slow_delay_ms
    error: Optional[ErrorReply] = None
    stream: StreamBehaviour = field(default_factory=StreamBehaviour)
    hidden_models: Tuple[str, ...] = ()  # absent from /models, 404 model_not_found in chat
    listed_models: Optional[Tuple[str, ...]] = None  # None: MockOptions.models
    model_owner: str = "system"
    accept_any_model: bool = False
    requires_key: bool = True
    openai_headers: bool = True  # x-request-id, openai-*, x-ratelimit-* (local servers send none)
    # A doctor.mock.hostile writer that answers streamed chats instead (endless or huge answers).
    hostile: Optional[str] = None
