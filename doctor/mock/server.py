"""A local OpenAI-compatible endpoint that misbehaves on purpose (`chat-doctor mock-server`).

Stdlib only, so it starts fast and never imports openai/httpx/urllib3.

Layout:
- `MockOptions`, `RecordedRequest`: the public data.
- `_Responder`: decides what to answer (a `Reply` or a `StreamReply`) from the request, the
  options and the scenario. It never touches a socket; all timing is expressed as absolute
  `time.monotonic()` deadlines so the writer can honour them without drift. What
  `POST /v1/responses` answers is planned in doctor/mock/responses_answer.py.
- `_Handler` / `_HTTPServer`: the socket side (HTTP/1.1 keep-alive, TCP_NODELAY, TLS handshake in
  the connection's own thread, hand-written chunked encoding, one flushed chunk per SSE event).
- `MockServer`: start/stop, request records, base URL.
"""

from __future__ import annotations

import email.utils
import hashlib
import http
import itertools
import json
import logging
import re
import socket
import socketserver
import ssl
import threading
import time
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qs, quote, urlsplit

from doctor.mock import compression, hostile, responses_answer, wire
from doctor.mock.scenario_parts import CHAT, MODEL, MODELS, RESPONSES, Ending, ErrorReply, Scenario, StreamBehaviour
from doctor.mock.scenarios import (
    DEFAULT_MODELS,
    DEFAULT_REPLY,
    INCORRECT_KEY,
    MISSING_KEY,
    NON_CHAT_MODEL_RE,
    REASONING_MODEL_RE,
    REASONING_TEXT,
    get_scenario,
)

_log = logging.getLogger("doctor.mock")

MAX_BODY_BYTES = 16 * 1024 * 1024
TLS_HANDSHAKE_TIMEOUT_S = 10.0
IDLE_KEEPALIVE_TIMEOUT_S = 120.0
SERVER_HEADER = "chat-doctor-mock"

HeaderList = Tuple[Tuple[str, str], ...]


# --- public data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MockOptions:
    scenario: str = "ok"
    host: str = "127.0.0.1"
    port: int = 0
    certfile: Optional[str] = None
    keyfile: Optional[str] = None
    # 0 means "the scenario's default" (e.g. ping waits 500 ms, buffered paces its tokens).
    first_token_delay_ms: int = 0
    token_interval_ms: int = 0
    slow_delay_ms: int = 3000
    reply: str = DEFAULT_REPLY
    models: Tuple[str, ...] = DEFAULT_MODELS
    require_key: Optional[str] = None
    redirect_to: Optional[str] = None
    stall_ms: int = 60000

    def __post_init__(self) -> None:
        for name in ("first_token_delay_ms", "token_interval_ms", "slow_delay_ms", "stall_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if self.keyfile and not self.certfile:
            raise ValueError("keyfile given without certfile")


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the server saw it. Never holds a key or a header value."""

    method: str
    path: str
    query: str  # raw query string, "" if none
    scheme: str  # "http" or "https"
    authorized: bool  # a non-empty key arrived in Authorization or api-key
    key_sha256: Optional[str]  # sha256 hex of that key
    body: Any  # parsed JSON (secret-looking fields redacted) or None
    headers: Tuple[str, ...]  # lowercased header names, in arrival order
    status: int = 0  # status of the answer (200 for streams, even those that fail later)
    connection_id: int = 0  # same value = same TCP connection (keep-alive reuse)
    # The one header value kept (it names no secret): `identity` marks chat-doctor's
    # buffering-cause retries (doctor.stream.buffer_cause), which tests tell apart from runs.
    accept_encoding: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)


# --- what the responder decides ---------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A whole response with a Content-Length."""

    status: int
    headers: HeaderList
    body: bytes = b""
    not_before: float = 0.0  # monotonic deadline before which nothing is written
    timed: bool = False  # add openai-processing-ms when the head is written


@dataclass(frozen=True)
class Step:
    due: float  # monotonic deadline
    payload: bytes  # one SSE event (or comment), sent as one HTTP chunk


@dataclass(frozen=True)
class StreamReply:
    headers: HeaderList
    steps: Tuple[Step, ...]
    ending: Ending
    buffered: bool = False
    gzip: bool = False  # Content-Encoding gzip, compressed as it goes, flushed only at the end
    not_before: float = 0.0
    stall_s: float = 60.0
    timed: bool = False
    status: int = 200


@dataclass(frozen=True)
class HostileReply:
    """A streamed chat answered by a doctor.mock.hostile writer, which owns the connection."""

    writer: str
    model: str
    status: int = 200
    not_before: float = 0.0


AnyReply = Union[Reply, StreamReply, HostileReply]


@dataclass(frozen=True)
class Incoming:
    """A parsed request, independent of the socket it came from."""

    method: str
    path: str
    query: str
    scheme: str
    host_header: str
    headers: Mapping[str, str]  # lowercased names
    header_names: Tuple[str, ...]
    raw_body: bytes
    client_ip: str
    received: float  # monotonic

    @property
    def params(self) -> Dict[str, List[str]]:
        return parse_qs(self.query)


@dataclass(frozen=True)
class Route:
    name: str  # MODELS, MODEL, CHAT or RESPONSES
    flavour: str  # "openai" or "azure"
    target: Optional[str] = None  # model id or Azure deployment


@dataclass(frozen=True)
class _RouteSpec:
    method: str
    pattern: re.Pattern[str]
    name: str
    flavour: str


_ROUTES: Tuple[_RouteSpec, ...] = (
    _RouteSpec("GET", re.compile(r"/v1/models"), MODELS, "openai"),
    _RouteSpec("GET", re.compile(r"/v1/models/(?P<target>.+)"), MODEL, "openai"),
    _RouteSpec("POST", re.compile(r"/v1/chat/completions"), CHAT, "openai"),
    _RouteSpec("POST", re.compile(r"/v1/responses"), RESPONSES, "openai"),
    _RouteSpec("GET", re.compile(r"/openai/models"), MODELS, "azure"),
    _RouteSpec("POST", re.compile(r"/openai/deployments/(?P<target>[^/]+)/chat/completions"), CHAT, "azure"),
)

# Body fields whose values never go into a request record.
_SECRET_FIELDS = frozenset({"api_key", "apikey", "api-key", "authorization", "password", "secret",
                            "client_secret", "access_token", "refresh_token"})

_INVALID_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)
_BAD_JSON_EVENT = b'data: {"id": "chatcmpl-x", "choices": [\n\n'
_LIST_EVENT = b"data: [1, 2]\n\n"  # valid JSON, but not a chunk (an object): the wrong shape

_PORTAL_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Guest Wi-Fi - Sign in</title></head>
<body><h1>Welcome to Guest Wi-Fi</h1>
<p>Please accept the terms of use to access the internet.</p>
<form method="post" action="/login"><label>Room or voucher <input name="voucher"></label>
<button type="submit">Connect</button></form></body></html>
"""


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def redact_secrets(value: Any) -> Any:
    """A copy of a JSON value with secret-looking fields replaced by "<redacted>"."""
    if isinstance(value, dict):
        return {k: ("<redacted>" if str(k).lower() in _SECRET_FIELDS else redact_secrets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def parse_json_body(raw: bytes) -> Tuple[Any, bool]:
    """(parsed value, ok). An empty body parses as (None, True)."""
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def presented_key(headers: Mapping[str, str], flavour: str) -> Optional[str]:
    """The key the client sent: Bearer token or api-key (Azure's header first on Azure paths)."""
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        authorization = authorization[7:]
    candidates = [headers.get("api-key", ""), authorization]
    if flavour != "azure":
        candidates.reverse()
    return next((c for c in candidates if c), None)


def match_route(method: str, path: str) -> Tuple[Optional[Route], bool]:
    """(route, path_known). path_known is True when only the method was wrong."""
    path_known = False
    for spec in _ROUTES:
        found = spec.pattern.fullmatch(path)
        if not found:
            continue
        path_known = True
        if spec.method == method:
            return Route(spec.name, spec.flavour, found.groupdict().get("target")), True
    return None, path_known


def _set_header(headers: List[Tuple[str, str]], name: str, value: str) -> None:
    lowered = name.lower()
    headers[:] = [(n, v) for n, v in headers if n.lower() != lowered]
    headers.append((name, value))


# --- the responder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ChatPlan:
    """Everything about one chat completion that both the JSON and SSE answers need."""

    model: str
    tokens: Tuple[Tuple[str, str], ...]  # (delta field, text): reasoning first, then content
    finish_reason: str
    prompt_tokens: int
    include_usage: bool
    obfuscation: bool
    first_due: float
    interval_s: float

    @property
    def content(self) -> str:
        return "".join(text for kind, text in self.tokens if kind == "content")

    @property
    def reasoning(self) -> Optional[str]:
        parts = [text for kind, text in self.tokens if kind == "reasoning_content"]
        return "".join(parts) if parts else None

    def usage(self) -> Dict[str, Any]:
        reasoning = sum(1 for kind, _ in self.tokens if kind == "reasoning_content")
        return wire.usage(self.prompt_tokens, len(self.tokens), reasoning)

    def due(self, index: int) -> float:
        return self.first_due + index * self.interval_s


class _Responder:
    """Turns an `Incoming` request into a `Reply` or `StreamReply`. No sockets, no sleeping."""

    def __init__(self, options: MockOptions, scenario: Scenario) -> None:
        self.options = options
        self.scenario = scenario
        self._route_handlers: Dict[str, Callable[[Incoming, Route, Any], AnyReply]] = {
            MODELS: self._models,
            MODEL: self._model,
            CHAT: self._chat,
            RESPONSES: self._responses,
        }
        self._edges: Dict[str, Callable[[Incoming], Reply]] = {
            "portal": self._portal,
            "redirect": self._redirect,
        }

    # entry point

    def respond(self, req: Incoming) -> AnyReply:
        reply = self._respond(req)
        if self.scenario.delay_headers:
            delay = self.options.slow_delay_ms / 1000
            reply = replace(reply, not_before=max(reply.not_before, req.received + delay))
            if isinstance(reply, StreamReply):
                # The head is late, then the stream keeps its normal pace: every event moves
                # with it (left where it was, all of them would be overdue and sent at once).
                reply = replace(reply, steps=tuple(replace(step, due=step.due + delay) for step in reply.steps))
        return reply

    def _respond(self, req: Incoming) -> AnyReply:
        if self.scenario.edge:
            return self._edges[self.scenario.edge](req)
        route, path_known = match_route(req.method, req.path)
        if route is not None and route.name == RESPONSES and self.scenario.responses.unsupported:
            # A server without the Responses API: the route is not there, before any auth.
            return self._responses_unsupported(req, self.scenario.responses.unsupported)
        if route is None:
            return self._unknown_url(req, path_known)
        if route.flavour == "azure" and "api-version" not in req.params:
            return self._error_json(route, 404, wire.azure_error("404", "Resource not found"))
        body, body_ok = parse_json_body(req.raw_body)
        refusal = self._auth_refusal(req, route) or self._scenario_refusal(req, route, body)
        if refusal is not None:
            return refusal
        return self._route_handlers[route.name](req, route, body if body_ok else _INVALID)

    # headers

    def _headers(self, flavour: str, content_type: str,
                 extra: Sequence[Tuple[str, str]] = ()) -> HeaderList:
        headers: List[Tuple[str, str]] = [("content-type", content_type)]
        if flavour == "azure":
            headers += [
                ("apim-request-id", wire.azure_request_id()),
                ("x-request-id", wire.azure_request_id()),
                ("x-ms-region", "East US"),
                ("x-ratelimit-remaining-requests", "999"),
                ("x-ratelimit-remaining-tokens", "999000"),
            ]
        elif self.scenario.openai_headers:
            headers += [
                ("x-request-id", wire.request_id()),
                ("openai-version", "2020-10-01"),
                ("openai-organization", "org-mockchatdoctor"),
                ("openai-project", "proj_mockchatdoctor"),
                ("x-ratelimit-limit-requests", "10000"),
                ("x-ratelimit-limit-tokens", "10000000"),
                ("x-ratelimit-remaining-requests", "9999"),
                ("x-ratelimit-remaining-tokens", str(10000000 - 100)),
                ("x-ratelimit-reset-requests", wire.go_duration(0.006)),
                ("x-ratelimit-reset-tokens", wire.go_duration(0)),
            ]
        for name, value in extra:
            _set_header(headers, name, value)
        return tuple(headers)

    def _timed(self, flavour: str) -> bool:
        return flavour == "openai" and self.scenario.openai_headers

    def _json(self, flavour: str, status: int, body: Any,
              extra: Sequence[Tuple[str, str]] = (), not_before: float = 0.0) -> Reply:
        return Reply(
            status,
            self._headers(flavour, "application/json", extra),
            wire.json_bytes(body),
            not_before=not_before,
            timed=self._timed(flavour),
        )

    def _error_json(self, route: Optional[Route], status: int, body: Any,
                    extra: Sequence[Tuple[str, str]] = ()) -> Reply:
        return self._json(route.flavour if route else "openai", status, body, extra)

    # edges: something that is not the API answers

    def _portal(self, req: Incoming) -> Reply:  # noqa: ARG002  # an edge handler: same shape as _redirect
        headers = (("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store"))
        return Reply(200, headers, _PORTAL_PAGE)

    def _redirect(self, req: Incoming) -> Reply:
        original = f"{req.scheme}://{req.host_header}{req.path}" + (f"?{req.query}" if req.query else "")
        location = self.options.redirect_to or (
            "http://login.example.invalid/portal?continue=" + quote(original, safe="")
        )
        body = f'<html><body>Redirecting to <a href="{location}">the login page</a>.</body></html>\n'
        headers = (("content-type", "text/html; charset=utf-8"), ("location", location),
                   ("cache-control", "no-store"))
        return Reply(302, headers, body.encode("utf-8"))

    # refusals

    def _unknown_url(self, req: Incoming, path_known: bool) -> Reply:
        if req.path.startswith("/openai/"):
            return self._error_json(Route(MODELS, "azure"), 404, wire.azure_error("404", "Resource not found"))
        if req.path.startswith("/v1/") or path_known:
            message = f"Invalid URL ({req.method} {req.path})"
        else:
            message = (
                f"Unknown request URL: {req.method} {req.path}. Please check the URL for typos, "
                "or see the docs at https://platform.openai.com/docs/api-reference/."
            )
        return self._error_json(None, 404, wire.openai_error(message, "invalid_request_error", None))

    def _render_error(self, req: Incoming, route: Route, error: ErrorReply, body: Any) -> Reply:
        values = {
            "model": _requested_model(route, body),
            "key": presented_key(req.headers, route.flavour) or "",
            "client_ip": req.client_ip,
            "api_version": (req.params.get("api-version") or [""])[0],
        }
        if route.flavour == "azure" and error.azure is not None:
            payload = wire.azure_error(error.azure.code, error.azure.message.format_map(values))
        else:
            payload = wire.openai_error(error.message.format_map(values), error.type, error.code, error.param)
        return self._error_json(route, error.status, payload, error.headers)

    def _auth_refusal(self, req: Incoming, route: Route) -> Optional[Reply]:
        key = presented_key(req.headers, route.flavour)
        required = self.options.require_key
        if key is None and (self.scenario.requires_key or required is not None):
            return self._render_error(req, route, MISSING_KEY, None)
        if required is not None and key != required:
            return self._render_error(req, route, INCORRECT_KEY, None)
        return None

    def _scenario_refusal(self, req: Incoming, route: Route, body: Any) -> Optional[Reply]:
        error = self.scenario.error
        if error is None or route.name not in error.routes:
            return None
        if error.when_body_has and not (isinstance(body, dict) and error.when_body_has in body):
            return None
        return self._render_error(req, route, error, body)

    # models

    def visible_models(self) -> Tuple[str, ...]:
        listed = self.scenario.listed_models or self.options.models
        return tuple(m for m in listed if m not in self.scenario.hidden_models)

    def _model_available(self, model: str) -> bool:
        return self.scenario.accept_any_model or model in self.visible_models()

    def _models(self, req: Incoming, route: Route, body: Any) -> Reply:  # noqa: ARG002  # a route handler's shape
        if route.flavour == "azure":
            return self._json(route.flavour, 200, wire.azure_model_list(self.visible_models()))
        return self._json(route.flavour, 200, wire.model_list(self.visible_models(), self.scenario.model_owner))

    def _model(self, req: Incoming, route: Route, body: Any) -> Reply:  # noqa: ARG002  # a route handler's shape
        model = route.target or ""
        if self._model_available(model):
            return self._json(route.flavour, 200, wire.model_object(model, self.scenario.model_owner))
        message = f"The model `{model}` does not exist or you do not have access to it."
        return self._json(route.flavour, 404,
                          wire.openai_error(message, "invalid_request_error", "model_not_found", "model"))

    # chat

    def _chat(self, req: Incoming, route: Route, body: Any) -> AnyReply:
        refusal = self._chat_request_refusal(route, body)
        if refusal is not None:
            return refusal
        if self.scenario.hostile and body.get("stream") is True:
            return HostileReply(self.scenario.hostile, _requested_model(route, body))
        plan = self._chat_plan(req, route, body)
        behaviour = self.scenario.stream
        if body.get("stream") is True and behaviour.sse:
            return self._stream(req, route, plan)
        meta = wire.CompletionMeta.new(plan.model, azure_filters=route.flavour == "azure")
        done_at = plan.due(len(plan.tokens) - 1) if plan.tokens else plan.first_due
        payload = wire.completion(meta, plan.content, plan.finish_reason, plan.usage(), plan.reasoning)
        return self._json(route.flavour, 200, payload, not_before=done_at)

    def _chat_request_refusal(self, route: Route, body: Any) -> Optional[Reply]:
        """The checks OpenAI makes on the body itself, in the order it reports them."""
        if body is _INVALID or not isinstance(body, dict):
            return self._json(route.flavour, 400,
                              wire.openai_error(_INVALID_JSON_MESSAGE, "invalid_request_error", None))
        model = _requested_model(route, body)
        if route.flavour == "openai" and not body.get("model"):
            return self._bad_request(route, "you must provide a model parameter", None, None)
        messages = body.get("messages")
        if messages is None:
            return self._bad_request(route, "Missing required parameter: 'messages'.", "messages",
                                     "missing_required_parameter")
        if isinstance(messages, list) and not messages:
            return self._bad_request(
                route,
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty "
                "array instead.", "messages", "empty_array")
        if not self._model_available(model):
            return self._missing_model(route, model)
        if NON_CHAT_MODEL_RE.match(model) and not self.scenario.accept_any_model:
            message = ("This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
                       "Did you mean to use v1/completions?")
            return self._json(route.flavour, 404, wire.openai_error(message, "invalid_request_error", None, "model"))
        if REASONING_MODEL_RE.match(model) and "max_tokens" in body:
            return self._bad_request(
                route,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter")
        return None

    def _bad_request(self, route: Route, message: str, param: Optional[str],
                     code: Optional[str]) -> Reply:
        return self._json(route.flavour, 400, wire.openai_error(message, "invalid_request_error", code, param))

    def _missing_model(self, route: Route, model: str) -> Reply:
        if route.flavour == "azure":
            return self._json(route.flavour, 404, wire.azure_error(
                "DeploymentNotFound",
                "The API deployment for this resource does not exist. If you created the deployment "
                "within the last 5 minutes, please wait a moment and try again."))
        message = f"The model `{model}` does not exist or you do not have access to it."
        return self._json(route.flavour, 404,
                          wire.openai_error(message, "invalid_request_error", "model_not_found"))

    def _schedule(self, req: Incoming, streaming: bool) -> Tuple[float, float]:
        """(first token's monotonic deadline, seconds between tokens), for chat and responses alike."""
        behaviour = self.scenario.stream
        # Scenario defaults only shape streams: a non-streamed request in `ping` behaves as ok.
        delay_ms = self.options.first_token_delay_ms or (behaviour.default_first_token_delay_ms if streaming else 0)
        interval_ms = self.options.token_interval_ms or (behaviour.default_token_interval_ms if streaming else 0)
        return req.received + delay_ms / 1000, interval_ms / 1000

    def _reply_tokens(self, req: Incoming, route: Route) -> List[str]:
        """The answer's text, token by token: the --reply text, or the caller's key in echo_key."""
        if self.scenario.stream.echo_key:
            key = (presented_key(req.headers, route.flavour) or "") * self.scenario.stream.echo_repeats
            return ["Your key: ", *(key[i : i + 5] for i in range(0, len(key), 5)), " (echoed)."]
        return wire.split_tokens(self.options.reply)

    def _chat_plan(self, req: Incoming, route: Route, body: Dict[str, Any]) -> _ChatPlan:
        behaviour = self.scenario.stream
        first_due, interval_s = self._schedule(req, body.get("stream") is True)
        content = self._reply_tokens(req, route)
        limit = _max_tokens(body, behaviour.honoured_limits)
        if limit is None and behaviour.runaway_tokens:
            content = [content[i % len(content)] for i in range(behaviour.runaway_tokens)]
        finish_reason = behaviour.finish_reason or ("length" if limit is not None and limit < len(content) else "stop")
        if limit is not None:
            content = content[:limit]
        reasoning = wire.split_tokens(REASONING_TEXT) if behaviour.reasoning else []
        requested = body.get("stream_options")
        stream_options: Dict[str, Any] = requested if isinstance(requested, dict) else {}
        return _ChatPlan(
            model=_requested_model(route, body),
            tokens=tuple([("reasoning_content", t) for t in reasoning] + [("content", t) for t in content]),
            finish_reason=finish_reason,
            prompt_tokens=wire.estimate_prompt_tokens(body.get("messages")),
            include_usage=bool(stream_options.get("include_usage")) and behaviour.usage_chunk,
            obfuscation=stream_options.get("include_obfuscation", True) is not False,
            first_due=first_due,
            interval_s=interval_s,
        )

    def _stream(self, req: Incoming, route: Route, plan: _ChatPlan) -> StreamReply:
        behaviour = self.scenario.stream
        azure = route.flavour == "azure" or behaviour.azure_filters
        meta = wire.CompletionMeta.new(plan.model, azure_filters=azure, obfuscation=plan.obfuscation)
        start = req.received
        steps: List[Step] = []
        if azure:
            steps.append(Step(start, wire.sse_data(wire.azure_prompt_filter_chunk())))
        # The role chunk goes out with the head, before any delay: "first chunk" != "first token".
        steps.append(Step(start, wire.sse_data(wire.chunk(meta, {"role": "assistant", "content": "", "refusal": None}))))
        steps += _pings(start, plan.first_due, behaviour.ping_interval_ms)
        tokens = plan.tokens
        if behaviour.content_tokens is not None:
            tokens = _first_content_tokens(tokens, behaviour.content_tokens)
            # The usage chunk counts what is sent, as a server that stopped early does (vllm_abort).
            plan = replace(plan, tokens=tokens)
        for index, (kind, text) in enumerate(tokens):
            value: Any = _odd_value(behaviour.odd, kind, text)
            steps.append(Step(plan.due(index), wire.sse_data(wire.chunk(meta, {kind: value}))))
            if behaviour.bad_json_after_tokens == index + 1:
                steps.append(Step(plan.due(index), _LIST_EVENT if behaviour.odd == "list" else _BAD_JSON_EVENT))
        last_due = plan.due(len(tokens) - 1) if tokens else start
        steps += [Step(last_due, payload) for payload in _ending_events(behaviour, meta, plan)]
        headers, gzip = self._stream_head(req, route)
        return StreamReply(
            headers=headers,
            steps=tuple(steps),
            ending=behaviour.ending,
            buffered=behaviour.buffered,
            gzip=gzip,
            stall_s=self.options.stall_ms / 1000,
            timed=self._timed(route.flavour),
        )

    def _stream_head(self, req: Incoming, route: Route) -> Tuple[HeaderList, bool]:
        """An event stream's headers, and whether its body is gzipped (`gzip_buffered`, when accepted)."""
        extra: List[Tuple[str, str]] = [("cache-control", "no-cache")]
        gzip = False
        if self.scenario.stream.gzip_when_accepted:
            gzip = compression.accepts_gzip(req.headers.get("accept-encoding", ""))
            extra.append(("vary", "accept-encoding"))
            if gzip:
                extra.append(("content-encoding", "gzip"))
        return self._headers(route.flavour, "text/event-stream; charset=utf-8", extra), gzip

    # responses (the shapes and the event schedule: doctor/mock/responses_answer.py)

    def _responses(self, req: Incoming, route: Route, body: Any) -> AnyReply:
        if body is _INVALID or not isinstance(body, dict):
            return self._json(route.flavour, 400,
                              wire.openai_error(_INVALID_JSON_MESSAGE, "invalid_request_error", None))
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._bad_request(route, "Missing required parameter: 'model'.", "model",
                                     "missing_required_parameter")
        if not self._model_available(model):
            return self._missing_model(route, model)
        streaming = body.get("stream") is True
        first_due, interval_s = self._schedule(req, streaming)
        plan = responses_answer.plan_response(body, model, self._reply_tokens(req, route), self.scenario.responses,
                                              first_due, interval_s)
        if not streaming:
            return self._json(route.flavour, 200, responses_answer.whole_response(plan), not_before=plan.done_at)
        events = responses_answer.stream_events(plan, self.scenario.responses, req.received)
        steps = [Step(due, payload) for due, payload in events]
        # The pings fall strictly between the opening events (due at once) and the first delta,
        # so a stable sort by due slots them in without reordering the events.
        steps += _pings(req.received, plan.first_due, self.scenario.stream.ping_interval_ms)
        headers, gzip = self._stream_head(req, route)
        return StreamReply(
            headers=headers,
            steps=tuple(sorted(steps, key=lambda step: step.due)),
            # No [DONE] in this API: whatever the last event, the body then ends with the last chunk.
            ending=Ending.CLEAN_EOF,
            buffered=self.scenario.stream.buffered,
            gzip=gzip,
            timed=self._timed(route.flavour),
        )

    def _responses_unsupported(self, req: Incoming, status: int) -> Reply:
        if status == 405:
            error = wire.openai_error("Method Not Allowed", "invalid_request_error", None)
            return self._json("openai", 405, error, (("allow", "GET"),))
        return self._unknown_url(req, path_known=True)


class _Invalid:
    """Marker for a body that is not valid JSON."""


_INVALID: Any = _Invalid()


def _requested_model(route: Route, body: Any) -> str:
    if route.flavour == "azure" and route.name == CHAT:
        return route.target or ""
    if route.name == MODEL:
        return route.target or ""
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else "gpt-4o-mini"


def _max_tokens(body: Mapping[str, Any], honoured: Sequence[str]) -> Optional[int]:
    for name in honoured:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _odd_value(odd: Optional[str], kind: str, text: str) -> Any:
    """A delta field's value: the token, or a number where text belongs (`odd` content / reasoning)."""
    if (odd == "content" and kind == "content") or (odd == "reasoning" and kind == "reasoning_content"):
        return 5 if kind == "content" else 7
    return text


def _pings(start: float, first_due: float, interval_ms: int) -> List[Step]:
    if interval_ms <= 0:
        return []
    interval = interval_ms / 1000
    count = int((first_due - start) / interval - 1e-9)
    return [Step(start + interval * (i + 1), wire.sse_comment("ping")) for i in range(count)]


def _first_content_tokens(tokens: Sequence[Tuple[str, str]], count: int) -> Tuple[Tuple[str, str], ...]:
    """All tokens up to and including the `count`-th content token."""
    kept: List[Tuple[str, str]] = []
    seen = 0
    for kind, text in tokens:
        if kind == "content":
            if seen == count:
                break
            seen += 1
        kept.append((kind, text))
    return tuple(kept)


def _ending_events(behaviour: StreamBehaviour, meta: wire.CompletionMeta, plan: _ChatPlan) -> List[bytes]:
    ending, odd = behaviour.ending, behaviour.odd
    if ending is Ending.DONE:
        events = [wire.sse_data(wire.chunk(meta, {}, plan.finish_reason))]
        if plan.include_usage:
            usage = plan.usage()
            if odd == "usage":
                usage["completion_tokens"] = "many"
            events.append(wire.sse_data(wire.usage_chunk(meta, usage)))
        return events + [wire.SSE_DONE]
    if ending is Ending.ERROR_EVENT:
        return [wire.sse_data(wire.stream_error_event(behaviour.error_shape)), wire.SSE_DONE]
    return []


# --- sockets ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_HEADER
    sys_version = ""
    timeout = IDLE_KEEPALIVE_TIMEOUT_S
    server: _HTTPServer

    def setup(self) -> None:
        mock = self.server.mock
        self.connection_id = mock._next_connection_id()
        self.scheme = "http"
        if mock._ssl_context is not None:
            # The handshake runs here, in this connection's thread: a client that never finishes
            # it only ties up its own thread, never the accept loop.
            raw = self.request
            raw.settimeout(TLS_HANDSHAKE_TIMEOUT_S)
            tls = mock._ssl_context.wrap_socket(raw, server_side=True)
            self.server.replace_connection(raw, tls)
            self.request = tls
            self.scheme = "https"
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        received = time.monotonic()
        try:
            raw_body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.send_error(400, "Bad request body")
            return
        req = self._incoming(raw_body, received)
        reply = self.server.mock._answer(req, self.connection_id)
        try:
            if isinstance(reply, HostileReply):
                self.close_connection = True
                hostile.serve(reply.writer, self.wfile.write, self.server.mock._stopping, reply.model)
            elif isinstance(reply, StreamReply):
                self._write_stream(reply, received)
            else:
                self._write_reply(reply, received)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def _incoming(self, raw_body: bytes, received: float) -> Incoming:
        parts = urlsplit(self.path)
        return Incoming(
            method=self.command,
            path=parts.path or "/",
            query=parts.query,
            scheme=self.scheme,
            host_header=self.headers.get("host", ""),
            headers={k.lower(): v for k, v in self.headers.items()},
            header_names=tuple(k.lower() for k in self.headers.keys()),
            raw_body=raw_body,
            client_ip=str(self.client_address[0]),
            received=received,
        )

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked_body()
        length = int(self.headers.get("content-length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            raise ValueError("bad content-length")
        return self.rfile.read(length) if length else b""

    def _read_chunked_body(self) -> bytes:
        parts: List[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    # writing

    def _head(self, status: int, headers: Sequence[Tuple[str, str]], received: float, timed: bool) -> bytes:
        lines = list(headers)
        if timed:
            lines.append(("openai-processing-ms", str(int((time.monotonic() - received) * 1000))))
        lines += [("date", email.utils.formatdate(usegmt=True)), ("server", SERVER_HEADER)]
        if self.close_connection:
            lines.append(("connection", "close"))
        return wire.format_head(status, _reason(status), lines)

    def _wait_until(self, deadline: float) -> bool:
        """Sleep until `deadline`; False if the server is stopping."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return not self.server.mock._stopping.is_set()
        return not self.server.mock._stopping.wait(remaining)

    def _write_reply(self, reply: Reply, received: float) -> None:
        if not self._wait_until(reply.not_before):
            self.close_connection = True
            return
        headers = reply.headers + (("content-length", str(len(reply.body))),)
        head = self._head(reply.status, headers, received, reply.timed)
        self.wfile.write(head if self.command == "HEAD" else head + reply.body)

    def _write_stream(self, reply: StreamReply, received: float) -> None:
        if not self._wait_until(reply.not_before):
            self.close_connection = True
            return
        headers = reply.headers + (("transfer-encoding", "chunked"),)
        held: List[bytes] = []
        # A buffering proxy holds everything (head included) and forwards it in one write.
        send: Callable[[bytes], Any] = held.append if reply.buffered else self.wfile.write
        # A gzip-ing server sends what deflate lets out: the gzip header, then the rest at the end.
        encoder = compression.GzipStream() if reply.gzip else None
        send(self._head(reply.status, headers, received, reply.timed))
        for step in reply.steps:
            if not self._wait_until(step.due):
                self._close_abruptly()
                return
            payload = encoder.compress(step.payload) if encoder is not None else step.payload
            if payload:
                send(wire.http_chunk(payload))
        if reply.ending in (Ending.DONE, Ending.ERROR_EVENT, Ending.CLEAN_EOF):
            if encoder is not None:
                send(wire.http_chunk(encoder.finish()))
            send(wire.LAST_HTTP_CHUNK)
        if held:
            self.wfile.write(b"".join(held))
        if reply.ending is Ending.STALL:
            self.server.mock._stopping.wait(reply.stall_s)
            self._close_abruptly()
        elif reply.ending is Ending.CUT:
            self._close_abruptly()

    def _close_abruptly(self) -> None:
        """Close mid-body: no last chunk, no TLS close_notify; the client sees a truncated body."""
        self.close_connection = True
        try:
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: Tuple[Any, ...], family: socket.AddressFamily, mock: MockServer) -> None:
        self.address_family = family
        self.mock = mock
        self._connections: set = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can take
        # seconds on some networks; we don't need server_name.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = self.server_address[1]

    def get_request(self) -> Tuple[socket.socket, Any]:
        sock, address = super().get_request()
        # Nagle would hold small SSE chunks for up to ~40 ms and distort token timing.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(sock)
        return sock, address

    def replace_connection(self, old: socket.socket, new: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(old)
            self._connections.add(new)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for sock in connections:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002  # socketserver's signature
        # Clients hanging up, failed TLS handshakes and stop() closing sockets are all normal here.
        _log.debug("connection from %s ended with an error", client_address, exc_info=True)


# --- the server -------------------------------------------------------------------------------


def resolve_bind_address(host: str, port: int) -> Tuple[socket.AddressFamily, Tuple[Any, ...]]:
    """The address to bind: IPv4 preferred (so "localhost" means 127.0.0.1 like most clients try first)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


class MockServer:
    """The local endpoint, serving from a daemon thread.

    >>> with MockServer(MockOptions(scenario="ok")) as server:
    ...     server.base_url  # doctest: +SKIP
    'http://127.0.0.1:54321/v1'
    """

    def __init__(self, options: Optional[MockOptions] = None) -> None:
        self.options = options or MockOptions()
        self.scenario = get_scenario(self.options.scenario)
        self._responder = _Responder(self.options, self.scenario)
        self._records: List[RecordedRequest] = []
        self._records_lock = threading.Lock()
        self._connection_ids = itertools.count(1)
        self._stopping = threading.Event()
        self._state_lock = threading.Lock()
        self._ssl_context: Optional[ssl.SSLContext] = None
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._stopped = False
        self._control: Dict[Tuple[str, str], Callable[[Incoming], Reply]] = {
            ("GET", "/_mock/health"): self._control_health,
            ("GET", "/_mock/requests"): self._control_requests,
            ("DELETE", "/_mock/requests"): self._control_clear,
        }

    # lifecycle

    def start(self) -> MockServer:
        """Bind and serve. Raises OSError (port in use, bad host) or ssl.SSLError (bad cert)."""
        with self._state_lock:
            if self._stopped:
                raise RuntimeError("a stopped MockServer cannot be restarted")
            if self._httpd is not None:
                return self
            self._ssl_context = self._make_ssl_context()
            family, address = resolve_bind_address(self.options.host, self.options.port)
            self._httpd = _HTTPServer(address, family, self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                name=f"chat-doctor-mock:{self.port}", daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection, streams included. Idempotent."""
        with self._state_lock:
            if self._stopped:
                return
            self._stopped = True
            httpd, thread = self._httpd, self._thread
        self._stopping.set()
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_all_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _make_ssl_context(self) -> Optional[ssl.SSLContext]:
        if not self.options.certfile:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.options.certfile, self.options.keyfile)
        context.set_alpn_protocols(["http/1.1"])
        return context

    # addresses

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("MockServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.options.certfile else "http"

    @property
    def url(self) -> str:
        """The root URL, without /v1 (e.g. for Azure-style paths or to test a missing /v1)."""
        host = self.options.host
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    # records

    @property
    def requests(self) -> List[RecordedRequest]:
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        with self._records_lock:
            self._records.clear()

    def _next_connection_id(self) -> int:
        return next(self._connection_ids)

    def _answer(self, req: Incoming, connection_id: int) -> AnyReply:
        control = self._control.get((req.method, req.path))
        if control is not None:
            return control(req)
        reply = self._responder.respond(req)
        self._record(req, reply.status, connection_id)
        return reply

    def _record(self, req: Incoming, status: int, connection_id: int) -> None:
        flavour = "azure" if req.path.startswith("/openai/") else "openai"
        key = presented_key(req.headers, flavour)
        body, _ = parse_json_body(req.raw_body)
        record = RecordedRequest(
            method=req.method,
            path=req.path,
            query=req.query,
            scheme=req.scheme,
            authorized=key is not None,
            key_sha256=key_fingerprint(key) if key is not None else None,
            body=redact_secrets(body),
            headers=req.header_names,
            status=status,
            connection_id=connection_id,
            accept_encoding=req.headers.get("accept-encoding", "")[:200] or None,
        )
        with self._records_lock:
            self._records.append(record)

    # /_mock/ control routes (never recorded, never affected by the scenario)

    def _control_json(self, body: Any) -> Reply:
        return Reply(200, (("content-type", "application/json"),), wire.json_bytes(body))

    def _control_health(self, req: Incoming) -> Reply:  # noqa: ARG002  # a control handler's shape
        return self._control_json({"status": "ok", "scenario": self.scenario.name})

    def _control_requests(self, req: Incoming) -> Reply:  # noqa: ARG002  # a control handler's shape
        return self._control_json([r.to_json() for r in self.requests])

    def _control_clear(self, req: Incoming) -> Reply:  # noqa: ARG002  # a control handler's shape
        self.clear_requests()
        return self._control_json({"cleared": True})


__all__ = [
    "DEFAULT_MODELS",
    "MockOptions",
    "MockServer",
    "RecordedRequest",
    "key_fingerprint",
]
