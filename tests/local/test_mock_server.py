"""The local endpoint (`chat-doctor mock-server`) at the wire level: real sockets on 127.0.0.1.

Sections: API basics and headers; auth and key recording; each error scenario; Azure paths;
edges (portal, redirect, slow); each streaming scenario on the raw wire; timing; connections
(keep-alive, concurrency, stop, TLS); the CLI as a subprocess; the real openai SDK per scenario.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from doctor.mock.scenarios import DEFAULT_MODELS, SCENARIOS
from doctor.mock.server import MockOptions, MockServer, RecordedRequest
from tests.support.helpers import run_cli as run_chat_doctor
from tests.support.mock_helpers import (
    CHAT_PATH,
    TEST_KEY,
    RawResponse,
    chat_body,
    raw_exchange,
    read_response,
    running,
    send_request,
)

REPLY_TOKENS = ["Hello", " from", " chat", "-doctor", "'s", " local", " endpoint", "."]


def get(server: MockServer, path: str, key: Optional[str] = TEST_KEY, **kw: Any) -> RawResponse:
    return raw_exchange(server, "GET", path, key=key, **kw)


def post_chat(server: MockServer, body: Any = None, key: Optional[str] = TEST_KEY, path: str = CHAT_PATH,
              **kw: Any) -> RawResponse:
    return raw_exchange(server, "POST", path, body if body is not None else chat_body(), key=key, **kw)


def error_of(response: RawResponse) -> Dict[str, Any]:
    return response.json()["error"]


def content_of(chunks: List[Dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))


# --- API basics -------------------------------------------------------------------------------


def test_models_list_has_the_default_models_and_openai_headers() -> None:
    with running() as server:
        response = get(server, "/v1/models")
    assert response.status == 200
    ids = [m["id"] for m in response.json()["data"]]
    for required in ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o4-mini", "gpt-3.5-turbo-instruct",
                     "text-embedding-3-small", "dall-e-3", "whisper-1", "tts-1", "omni-moderation-latest"):
        assert required in ids and required in DEFAULT_MODELS
    headers = response.headers
    assert re.fullmatch(r"req_[0-9a-f]{32}", headers["x-request-id"])
    assert headers["openai-version"] == "2020-10-01"
    assert headers["content-type"] == "application/json"
    assert int(headers["openai-processing-ms"]) >= 0
    assert int(headers["x-ratelimit-remaining-requests"]) < int(headers["x-ratelimit-limit-requests"])
    assert int(headers["x-ratelimit-remaining-tokens"]) < int(headers["x-ratelimit-limit-tokens"])
    # Go-style durations, as OpenAI sends them.
    assert re.fullmatch(r"(\d+m)?[\d.]+(ms|s)", headers["x-ratelimit-reset-requests"])
    assert re.fullmatch(r"(\d+m)?[\d.]+(ms|s)", headers["x-ratelimit-reset-tokens"])


def test_model_retrieve_and_unknown_model() -> None:
    with running() as server:
        found = get(server, "/v1/models/gpt-4o-mini")
        missing = get(server, "/v1/models/gpt-9")
    assert found.status == 200 and found.json()["id"] == "gpt-4o-mini"
    assert missing.status == 404 and error_of(missing)["code"] == "model_not_found"


def test_base_url_without_v1_is_a_404_that_names_the_path() -> None:
    with running() as server:
        response = get(server, "/models")
        typo = get(server, "/v1/chat/completion")
    assert response.status == 404
    error = error_of(response)
    assert error["message"].startswith("Unknown request URL: GET /models. Please check the URL for typos")
    assert error["type"] == "invalid_request_error" and error["code"] is None
    assert typo.status == 404 and error_of(typo)["message"] == "Invalid URL (GET /v1/chat/completion)"


def test_chat_non_streamed_is_a_whole_completion_with_usage() -> None:
    with running() as server:
        response = post_chat(server)
    assert response.status == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "gpt-4o-mini-2024-07-18"  # the resolved snapshot, as OpenAI answers
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello from chat-doctor's local endpoint.",
                                 "refusal": None, "annotations": []}
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["completion_tokens"] == len(REPLY_TOKENS)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_token_cap_finishes_with_length() -> None:
    with running() as server:
        capped = post_chat(server, chat_body(max_completion_tokens=2)).json()
        legacy = post_chat(server, chat_body(max_tokens=3)).json()
    assert capped["choices"][0]["message"]["content"] == "Hello from"
    assert capped["choices"][0]["finish_reason"] == "length"
    assert legacy["usage"]["completion_tokens"] == 3 and legacy["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(
    "body, status, code, message_start",
    [
        (b"{not json", 400, None, "We could not parse the JSON body"),
        ({"messages": [{"role": "user", "content": "x"}]}, 400, None, "you must provide a model parameter"),
        ({"model": "gpt-4o-mini"}, 400, "missing_required_parameter", "Missing required parameter: 'messages'"),
        ({"model": "gpt-4o-mini", "messages": []}, 400, "empty_array", "Invalid 'messages': empty array"),
        (chat_body(model="gpt-9"), 404, "model_not_found", "The model `gpt-9` does not exist"),
        (chat_body(model="gpt-3.5-turbo-instruct"), 404, None, "This is not a chat model"),
        (chat_body(model="o4-mini", max_tokens=5), 400, "unsupported_parameter", "Unsupported parameter: 'max_tokens'"),
    ],
)
def test_chat_request_validation(body: Any, status: int, code: Optional[str], message_start: str) -> None:
    with running() as server:
        response = post_chat(server, body)
    assert response.status == status
    assert error_of(response)["code"] == code
    assert error_of(response)["message"].startswith(message_start)


# --- auth and request records -----------------------------------------------------------------


def test_no_key_is_refused_like_openai() -> None:
    with running() as server:
        response = get(server, "/v1/models", key=None)
    assert response.status == 401
    error = error_of(response)
    assert error["message"].startswith("You didn't provide an API key.")
    assert error["type"] == "invalid_request_error" and error["code"] is None


def test_require_key_echoes_the_wrong_key_in_full() -> None:
    wrong = "sk-proj-WRONGkeyWRONGkeyWRONGkey1234"
    with running(require_key="sk-right") as server:
        refused = get(server, "/v1/models", key=wrong)
        accepted = get(server, "/v1/models", key="sk-right")
        via_api_key_header = get(server, "/v1/models", key=None, headers={"api-key": "sk-right"})
    assert refused.status == 401
    assert error_of(refused)["code"] == "invalid_api_key"
    assert f"Incorrect API key provided: {wrong}." in error_of(refused)["message"]  # deliberately unredacted
    assert accepted.status == 200 and via_api_key_header.status == 200


def test_requests_are_recorded_with_a_key_fingerprint_never_the_key() -> None:
    secret_body = chat_body(api_key="sk-in-body-should-not-be-kept")
    with running() as server:
        post_chat(server, secret_body, headers={"X-Custom": "value"})
        get(server, "/v1/models", key=None)
        records = server.requests
        over_http = get(server, "/_mock/requests", key=None)
    chat, models = records
    assert isinstance(chat, RecordedRequest)
    assert (chat.method, chat.path, chat.query, chat.scheme, chat.status) == ("POST", CHAT_PATH, "", "http", 200)
    assert chat.authorized and chat.key_sha256 == hashlib.sha256(TEST_KEY.encode()).hexdigest()
    assert chat.body["model"] == "gpt-4o-mini" and chat.body["api_key"] == "<redacted>"
    assert "authorization" in chat.headers and "x-custom" in chat.headers
    assert not models.authorized and models.key_sha256 is None and models.status == 401
    # Neither the record objects nor the JSON view carry the key or any header value.
    assert TEST_KEY not in repr(records) and TEST_KEY not in over_http.body.decode()
    assert "sk-in-body-should-not-be-kept" not in over_http.body.decode()
    assert over_http.status == 200
    assert [r["path"] for r in over_http.json()] == [CHAT_PATH, "/v1/models"]  # /_mock/ itself not recorded


def test_mock_health_and_clearing_records() -> None:
    with running("html") as server:  # control routes ignore the scenario
        health = get(server, "/_mock/health", key=None)
        get(server, "/v1/models")
        cleared = raw_exchange(server, "DELETE", "/_mock/requests", key=None)
        remaining = server.requests
    assert health.status == 200 and health.json() == {"status": "ok", "scenario": "html"}
    assert cleared.status == 200 and remaining == []


# --- error scenarios --------------------------------------------------------------------------

# (scenario, method, path, status, error.type, error.code)
ERROR_CASES = [
    ("auth401", "GET", "/v1/models", 401, "invalid_request_error", "invalid_api_key"),
    ("auth401", "POST", CHAT_PATH, 401, "invalid_request_error", "invalid_api_key"),
    ("scopes401", "GET", "/v1/models", 401, "invalid_request_error", None),
    ("scopes401", "POST", CHAT_PATH, 200, None, None),
    ("ip401", "POST", CHAT_PATH, 401, "invalid_request_error", "ip_not_authorized"),
    ("permission403", "POST", CHAT_PATH, 403, "invalid_request_error", "model_not_found"),
    ("permission403", "GET", "/v1/models", 200, None, None),
    ("region403", "GET", "/v1/models", 403, "request_forbidden", "unsupported_country_region_territory"),
    ("quota429", "POST", CHAT_PATH, 429, "insufficient_quota", "insufficient_quota"),
    ("quota429", "GET", "/v1/models", 200, None, None),  # like OpenAI: listing models costs nothing
    ("credit429", "POST", CHAT_PATH, 429, "insufficient_quota", "credit_balance_exhausted"),
    ("rate429", "POST", CHAT_PATH, 429, "requests", "rate_limit_exceeded"),
    ("server500", "POST", CHAT_PATH, 500, "server_error", None),
    ("overload503", "GET", "/v1/models", 503, "server_error", None),
]


@pytest.mark.parametrize("scenario, method, path, status, type_, code", ERROR_CASES)
def test_error_scenarios(scenario: str, method: str, path: str, status: int, type_: Optional[str],
                         code: Optional[str]) -> None:
    with running(scenario) as server:
        response = raw_exchange(server, method, path, chat_body() if method == "POST" else None)
    assert response.status == status
    assert re.fullmatch(r"req_[0-9a-f]{32}", response.headers["x-request-id"])
    if status != 200:
        error = error_of(response)
        assert (error["type"], error["code"]) == (type_, code)
        assert set(error) == {"message", "type", "param", "code"}


def test_auth401_echoes_the_received_key_in_full() -> None:
    with running("auth401") as server:
        response = get(server, "/v1/models", key="sk-proj-abcdefghijklmnopqrstuvwxyz")
    assert "Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz." in error_of(response)["message"]


def test_rate429_headers_say_when_to_retry() -> None:
    with running("rate429") as server:
        response = post_chat(server)
    assert response.headers["retry-after"] == "20"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.headers["x-ratelimit-reset-requests"] == "20s"
    assert error_of(response)["message"].startswith(
        "Rate limit reached for gpt-4o-mini in organization org-mockchatdoctor on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 20s.")


def test_model404_hides_the_default_model_but_others_work() -> None:
    with running("model404") as server:
        ids = [m["id"] for m in get(server, "/v1/models").json()["data"]]
        missing = post_chat(server, chat_body(model="gpt-4o-mini"))
        other = post_chat(server, chat_body(model="gpt-4o"))
    assert "gpt-4o-mini" not in ids and "gpt-4o" in ids
    assert missing.status == 404 and error_of(missing)["code"] == "model_not_found"
    assert "`gpt-4o-mini`" in error_of(missing)["message"]
    assert other.status == 200


def test_anymodel_lists_one_model_and_chats_with_any_name_without_a_key() -> None:
    with running("anymodel") as server:
        listing = get(server, "/v1/models", key=None).json()
        response = post_chat(server, chat_body(model="my-finetune:latest"), key=None)
    assert len(listing["data"]) == 1
    assert response.status == 200 and response.json()["model"] == "my-finetune:latest"
    assert "x-request-id" not in response.headers  # local servers don't send OpenAI's headers


@pytest.mark.parametrize("scenario, field_name", [("reject_stream_options", "stream_options"),
                                                  ("reject_max_completion_tokens", "max_completion_tokens")])
def test_servers_that_reject_newer_request_fields(scenario: str, field_name: str) -> None:
    extra = {"stream_options": {"include_usage": True}} if field_name == "stream_options" else {field_name: 50}
    with running(scenario) as server:
        rejected = post_chat(server, chat_body(stream=True, **extra))
        without = post_chat(server, chat_body(stream=True))
    assert rejected.status == 400
    assert error_of(rejected)["message"] == f"Unrecognized request argument supplied: {field_name}"
    assert without.status == 200 and without.complete


# --- Azure-style paths ------------------------------------------------------------------------

AZURE_CHAT = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"


def test_azure_paths_need_api_version_and_accept_api_key() -> None:
    with running() as server:
        listing = get(server, "/openai/models?api-version=2024-10-21", key=None, headers={"api-key": "azkey"})
        no_version = get(server, "/openai/models", key=None, headers={"api-key": "azkey"})
        chat = post_chat(server, {"messages": [{"role": "user", "content": "hi"}]}, key=None,
                         path=AZURE_CHAT, headers={"api-key": "azkey"})
        no_deployment = post_chat(server, {"messages": [{"role": "user", "content": "hi"}]}, key=None,
                                  path=AZURE_CHAT.replace("gpt-4o-mini", "nope"), headers={"api-key": "azkey"})
        record = server.requests[0]
    assert listing.status == 200 and "apim-request-id" in listing.headers
    assert no_version.status == 404 and no_version.json() == {"error": {"code": "404", "message": "Resource not found"}}
    assert chat.status == 200 and "prompt_filter_results" in chat.json()
    assert no_deployment.status == 404 and error_of(no_deployment)["code"] == "DeploymentNotFound"
    assert record.query == "api-version=2024-10-21" and record.authorized


def test_azure_401_body_and_streamed_filter_chunk() -> None:
    with running("auth401") as server:
        refused = post_chat(server, {"messages": [{"role": "user", "content": "hi"}]}, key=None,
                            path=AZURE_CHAT, headers={"api-key": "azkey"})
    assert refused.status == 401 and "apim-request-id" in refused.headers
    assert error_of(refused)["code"] == "401"
    assert error_of(refused)["message"].startswith("Access denied due to invalid subscription key or wrong API endpoint.")
    with running() as server:
        stream = post_chat(server, {"messages": [{"role": "user", "content": "hi"}], "stream": True}, key=None,
                           path=AZURE_CHAT, headers={"api-key": "azkey"})
    first = stream.json_chunks()[0]
    assert first["choices"] == [] and first["id"] == "" and "prompt_filter_results" in first


# --- edges: not the API -----------------------------------------------------------------------


def test_html_portal_answers_every_path_with_a_login_page() -> None:
    with running("html") as server:
        responses = [get(server, "/v1/models"), post_chat(server, chat_body(stream=True)), get(server, "/anything")]
    for response in responses:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/html")
        assert b"<form" in response.body
        assert "x-request-id" not in response.headers


def test_redirect_points_elsewhere() -> None:
    with running("redirect") as server:
        default = get(server, "/v1/models")
    with running("redirect", redirect_to="https://portal.example.test/login") as server:
        custom = post_chat(server)
    assert default.status == 302 and default.headers["location"].startswith("http://login.example.invalid/")
    assert custom.status == 302 and custom.headers["location"] == "https://portal.example.test/login"


def test_slow_delays_the_head() -> None:
    with running("slow", slow_delay_ms=300) as server:
        response = get(server, "/v1/models")
    assert response.status == 200
    # Never before the delay (the server's clock starts after ours), and well before twice it.
    assert 0.28 <= response.head_at < 0.6


# --- streaming on the raw wire ----------------------------------------------------------------


def test_stream_ok_framing_and_chunk_order() -> None:
    with running() as server:
        response = post_chat(server, chat_body(stream=True, stream_options={"include_usage": True}))
    assert response.status == 200 and response.complete
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["transfer-encoding"] == "chunked"
    # Every HTTP chunk is exactly one SSE event.
    assert all(e.startswith("data: ") and "\n\n" not in e for e in response.events)
    chunks = response.json_chunks()
    role, *contents, finish, usage = chunks
    assert role["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert [c["choices"][0]["delta"]["content"] for c in contents] == REPLY_TOKENS
    assert finish["choices"][0]["delta"] == {} and finish["choices"][0]["finish_reason"] == "stop"
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == len(REPLY_TOKENS)
    assert response.data[-1] == "[DONE]"
    assert {c["id"] for c in chunks} == {role["id"]} and role["id"].startswith("chatcmpl-")
    for c in chunks[:-1]:
        assert c["object"] == "chat.completion.chunk" and c["usage"] is None
        assert c["model"] == "gpt-4o-mini-2024-07-18" and c["system_fingerprint"].startswith("fp_")


def test_stream_without_include_usage_has_no_usage_chunk_and_length_cap() -> None:
    with running() as server:
        response = post_chat(server, chat_body(stream=True, max_completion_tokens=3))
    chunks = response.json_chunks()
    assert all(c["choices"] for c in chunks)
    assert content_of(chunks) == "Hello from chat"
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_role_chunk_precedes_the_first_token_delay_and_timing_is_accurate() -> None:
    """Token i is due at delay + i x interval after the request arrived (monotonic deadlines, a
    late token does not push the next ones back). What a loaded machine cannot change: nothing
    arrives before it is due (our clock starts before the server's), the role chunk does not wait
    for the delay, and the tokens are spread over the schedule, not sent in one burst. Upper
    bounds are twice the schedule: late is allowed, hanging is not."""
    delay, interval = 0.5, 0.1
    with running(first_token_delay_ms=int(delay * 1000), token_interval_ms=int(interval * 1000)) as server:
        response = post_chat(server, chat_body(stream=True))
    (role_at, _), *content = response.chunks[: 1 + len(REPLY_TOKENS)]
    assert len(content) == len(REPLY_TOKENS)
    assert response.head_at <= role_at < 0.8 * delay, role_at
    arrivals = [at for at, _ in content]
    due = [delay + interval * i for i in range(len(content))]
    assert all(at >= d - 0.005 for at, d in zip(arrivals, due)), list(zip(arrivals, due))
    span = due[-1] - due[0]
    assert arrivals[-1] - arrivals[0] >= span / 2, arrivals  # paced, not a burst
    assert arrivals[-1] < 2 * due[-1], arrivals


def test_ping_sends_comments_until_the_first_token() -> None:
    with running("ping") as server:
        response = post_chat(server, chat_body(stream=True))
    events = response.events
    assert events[0].startswith("data: ") and '"role":"assistant"' in events[0]
    pings = [i for i, e in enumerate(events) if e == ": ping"]
    first_content = next(i for i, e in enumerate(events) if '"content":"Hello"' in e)
    assert 3 <= len(pings) <= 5 and max(pings) < first_content
    # The scenario's default 0.5 s delay: never before it, well before twice it.
    assert 0.495 <= response.chunks[first_content][0] < 1.0
    assert response.complete and response.data[-1] == "[DONE]"


def test_buffered_arrives_in_one_burst_at_the_end() -> None:
    with running("buffered") as server:
        response = post_chat(server, chat_body(stream=True))
    arrival = [t for t, _ in response.chunks]
    produced = 0.100 + 0.030 * (len(REPLY_TOKENS) - 1)  # scenario defaults
    assert response.head_at >= produced - 0.02  # even the head waited
    # One burst: paced, the same chunks would take 0.21 s (7 intervals of 30 ms).
    assert max(arrival) - response.head_at < 0.1
    assert response.complete and response.data[-1] == "[DONE]"


def test_gzip_buffered_gzips_the_stream_and_lets_it_out_only_at_the_end() -> None:
    """A gzip-ing server: the head and the 10-byte gzip header at once, then deflate holds every
    event until the body ends, so the tokens arrive in one burst after the last one was produced."""
    import zlib

    with running("gzip_buffered") as server:
        response = post_chat(server, chat_body(stream=True), headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["content-encoding"] == "gzip" and response.headers["vary"] == "accept-encoding"
    produced = 0.100 + 0.030 * (len(REPLY_TOKENS) - 1)  # scenario defaults, as in buffered
    (header_at, header), *rest = response.chunks
    assert header[:2] == b"\x1f\x8b" and len(header) == 10
    assert response.head_at <= header_at < 0.1  # before the first token is due
    arrival = [at for at, _ in rest]
    assert rest and min(arrival) >= produced - 0.005, arrival  # nothing else before the last token
    assert max(arrival) < 2 * produced, arrival
    body = zlib.decompress(header + b"".join(payload for _, payload in rest), 31)
    events = body.decode("utf-8").split("\n\n")
    chunks = [json.loads(e[len("data: "):]) for e in events if e.startswith("data: {")]
    assert content_of(chunks) == "".join(REPLY_TOKENS)
    assert events[-2:] == ["data: [DONE]", ""] and response.complete


def test_gzip_buffered_with_identity_streams_plain_and_paced() -> None:
    with running("gzip_buffered") as server:
        response = post_chat(server, chat_body(stream=True), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers and response.headers["vary"] == "accept-encoding"
    arrivals = [at for at, payload in response.chunks if b'"content":"' in payload and b'"content":""' not in payload]
    assert len(arrivals) == len(REPLY_TOKENS)
    due = [0.100 + 0.030 * i for i in range(len(arrivals))]  # scenario defaults
    assert all(at >= d - 0.005 for at, d in zip(arrivals, due)), list(zip(arrivals, due))
    assert arrivals[-1] - arrivals[0] >= (due[-1] - due[0]) / 2, arrivals  # paced, not a burst
    assert arrivals[-1] < 2 * due[-1], arrivals
    assert content_of(response.json_chunks()) == "".join(REPLY_TOKENS)
    assert response.complete and response.data[-1] == "[DONE]"


@pytest.mark.parametrize(("accept_encoding", "gzipped"), [
    ("gzip", True), ("br, x-gzip;q=0.5", True), ("*", True), ("gzip;q=0, identity", False), ("deflate, br", False),
    (None, False),
])
def test_gzip_buffered_reads_accept_encoding_weights(accept_encoding: Optional[str], gzipped: bool) -> None:
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding is not None else None
    with running("gzip_buffered", first_token_delay_ms=1, token_interval_ms=1) as server:
        response = post_chat(server, chat_body(stream=True), headers=headers)
    assert (response.headers.get("content-encoding") == "gzip") is gzipped
    assert response.status == 200 and response.complete


def test_cut_closes_the_connection_mid_body() -> None:
    with running("cut") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.closed_early and not response.complete and not response.timed_out
    chunks = response.json_chunks()
    assert content_of(chunks) == "Hello from chat"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)
    assert "[DONE]" not in response.data


def test_nofinish_ends_cleanly_without_finish_reason_or_done() -> None:
    with running("nofinish") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.complete and not response.closed_early
    chunks = response.json_chunks()
    assert content_of(chunks) == "".join(REPLY_TOKENS)
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)
    assert "[DONE]" not in response.data


def test_stall_holds_the_connection_then_closes_after_stall_ms() -> None:
    with running("stall", stall_ms=60000) as server:
        held = post_chat(server, chat_body(stream=True), read_timeout=0.3)
    with running("stall", stall_ms=200) as server:
        closed = post_chat(server, chat_body(stream=True), read_timeout=2)
    assert held.timed_out and content_of(held.json_chunks()) == "Hello from chat"
    assert closed.closed_early and not closed.timed_out and closed.chunks[-1][0] < 0.1


def test_badjson_injects_an_unparsable_event_and_continues() -> None:
    with running("badjson") as server:
        response = post_chat(server, chat_body(stream=True))
    bad = [d for d in response.data if d == '{"id": "chatcmpl-x", "choices": [']
    assert len(bad) == 1 and response.data.index(bad[0]) == 3  # role, two tokens, then the bad one
    good = [json.loads(d) for d in response.data if d not in (bad[0], "[DONE]")]
    assert content_of(good) == "".join(REPLY_TOKENS) and response.data[-1] == "[DONE]"


def test_errevent_sends_an_in_band_error_after_one_token() -> None:
    with running("errevent") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.status == 200 and response.complete
    role, token, error = response.json_chunks()
    assert token["choices"][0]["delta"] == {"content": "Hello"}
    assert error == {"error": {"message": "The server had an error while processing your request.",
                               "type": "server_error", "param": None, "code": None}}
    assert response.data[-1] == "[DONE]"


def test_vllm_abort_and_content_filter_end_with_their_reason_then_usage_and_done() -> None:
    for name in ("vllm_abort", "content_filter"):
        with running(name) as server:
            response = post_chat(server, chat_body(stream=True, stream_options={"include_usage": True}))
        chunks = response.json_chunks()
        assert response.status == 200 and response.complete and response.data[-1] == "[DONE]", name
        assert content_of(chunks) == "".join(REPLY_TOKENS[:3]), name
        finishes = [c["choices"][0]["finish_reason"] for c in chunks if c.get("choices")]
        assert finishes[-1] == name.replace("vllm_", "") and not any(finishes[:-1]), (name, finishes)
        # The usage counts what was sent (three tokens), not the whole planned reply.
        usage = chunks[-1]["usage"]
        assert chunks[-1]["choices"] == [] and usage["completion_tokens"] == 3, (name, usage)
        assert usage["total_tokens"] == usage["prompt_tokens"] + 3, (name, usage)


def test_vllm_error_chunk_is_flat_with_no_error_key_then_done() -> None:
    with running("vllm_error_chunk") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.status == 200 and response.complete
    _role, token, error = response.json_chunks()
    assert token["choices"][0]["delta"] == {"content": "Hello"}
    assert error == {"object": "error", "message": "Internal server error: the engine core died unexpectedly "
                     "(EngineDeadError).", "type": "InternalServerError", "param": None, "code": 500}
    assert response.data[-1] == "[DONE]"


def test_no_usage_ignores_include_usage() -> None:
    with running("no_usage") as server:
        response = post_chat(server, chat_body(stream=True, stream_options={"include_usage": True}))
    chunks = response.json_chunks()
    assert content_of(chunks) == "".join(REPLY_TOKENS) and response.data[-1] == "[DONE]"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c.get("usage") is None for c in chunks)


@pytest.mark.parametrize("method, path", [("GET", "/v1/models"), ("POST", CHAT_PATH)])
def test_gateway_upstream_error_is_litellm_s_500_naming_the_model_group(method: str, path: str) -> None:
    with running("gateway_upstream_error") as server:
        response = raw_exchange(server, method, path, chat_body(stream=True) if method == "POST" else None,
                                key=TEST_KEY)
    error = error_of(response)
    assert response.status == 500 and "x-request-id" not in response.headers
    assert (error["type"], error["code"]) == (None, "500")
    assert error["message"].startswith("litellm.InternalServerError: InternalServerError: OpenAIException - ")
    assert "Received Model Group=gpt-4o-mini\n" in error["message"]


def test_json_instead_of_sse_ignores_stream_true() -> None:
    with running("json_instead_of_sse") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.headers["content-type"] == "application/json"
    assert response.json()["object"] == "chat.completion"


def test_azure_filter_chunk_comes_first_and_choices_carry_filter_results() -> None:
    with running("azure_filter_chunk") as server:
        chunks = post_chat(server, chat_body(stream=True)).json_chunks()
    assert chunks[0]["choices"] == [] and chunks[0]["object"] == "" and chunks[0]["prompt_filter_results"]
    content = [c for c in chunks[1:] if c["choices"][0]["delta"].get("content")]
    assert content and all(c["choices"][0]["content_filter_results"]["hate"]["filtered"] is False for c in content)


def test_reasoning_tokens_come_before_content() -> None:
    with running("reasoning") as server:
        chunks = post_chat(server, chat_body(stream=True, stream_options={"include_usage": True})).json_chunks()
    kinds = [next(iter(c["choices"][0]["delta"])) for c in chunks[1:] if c["choices"] and c["choices"][0]["delta"]]
    assert kinds[0] == "reasoning_content" and kinds[-1] == "content"
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning_content")  # no interleaving
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] == kinds.count("reasoning_content")


# --- token limits, odd values, answers that never end -----------------------------------------


@pytest.mark.parametrize("field_name, tokens", [("max_tokens", 3), ("max_completion_tokens", 2000)])
def test_max_tokens_only_honours_one_field(field_name: str, tokens: int) -> None:
    with running("max_tokens_only") as server:
        chunks = post_chat(server, chat_body(stream=True, **{field_name: 3})).json_chunks()
    content = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content) == tokens
    assert chunks[-1]["choices"][0]["finish_reason"] == ("length" if tokens == 3 else "stop")


def test_no_limits_ignores_both_fields() -> None:
    with running("no_limits") as server:
        chunks = post_chat(server, chat_body(stream=True, max_tokens=3, max_completion_tokens=3)).json_chunks()
    assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")) == 2000


def test_odd_values_have_the_wrong_types() -> None:
    with running("odd_usage") as server:
        usage = post_chat(server, chat_body(stream=True, stream_options={"include_usage": True})).json_chunks()[-1]
    with running("odd_content") as server:
        chunks = post_chat(server, chat_body(stream=True)).json_chunks()
    assert usage["usage"]["completion_tokens"] == "many"
    assert [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]] == [5] * len(REPLY_TOKENS)
    with running("odd_reasoning") as server:
        deltas = [c["choices"][0]["delta"] for c in post_chat(server, chat_body(stream=True)).json_chunks()
                  if c.get("choices")]
    reasoning = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    assert reasoning and set(reasoning) == {7}  # a number where text belongs
    assert "".join(d.get("content") or "" for d in deltas) == "".join(REPLY_TOKENS)  # the content is text


def test_list_chunk_sends_valid_json_of_the_wrong_shape_and_continues() -> None:
    with running("list_chunk") as server:
        response = post_chat(server, chat_body(stream=True))
    assert response.data.count("[1, 2]") == 1 and response.data.index("[1, 2]") == 3  # role, two tokens, then it
    good = [json.loads(d) for d in response.data if d not in ("[1, 2]", "[DONE]")]
    assert content_of(good) == "".join(REPLY_TOKENS) and response.data[-1] == "[DONE]"


HOSTILE_SCENARIOS = ("slowloris", "keepalive_forever", "endless", "empty_events", "endless_line", "gzip_bomb")


def read_for(server: MockServer, seconds: float) -> Tuple[bytes, bool]:
    """(every byte a streamed chat request got in `seconds`, whether the server closed first)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        send_request(sock, "POST", CHAT_PATH, chat_body(stream=True, max_tokens=4))
        got: List[bytes] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                piece = sock.recv(1 << 20)
            except socket.timeout:
                break
            if not piece:
                return b"".join(got), True
            got.append(piece)
        return b"".join(got), False


def test_slowloris_sends_its_head_four_bytes_a_second() -> None:
    with running("slowloris") as server:
        got, closed = read_for(server, 1.1)
    assert b"HTTP/1.1 200".startswith(got) and 3 <= len(got) <= 6 and not closed, got


@pytest.mark.parametrize("scenario, seconds, what", [
    ("keepalive_forever", 1.0, b": keep-alive\n\n"),
    ("endless", 1.0, b'"content":"'),
    ("empty_events", 1.0, b'"delta":{}'),
    ("endless_line", 0.5, b"a" * 65536),
])
def test_endless_scenarios_keep_sending(scenario: str, seconds: float, what: bytes) -> None:
    with running(scenario) as server:
        got, closed = read_for(server, seconds)
    assert got.startswith(b"HTTP/1.1 200") and not closed
    assert got.count(what) >= (4 if scenario != "endless_line" else 2), got[-300:]
    assert b"finish_reason\":\"" not in got and b"[DONE]" not in got


def test_gzip_bomb_is_a_megabyte_that_inflates_to_a_gibibyte_line() -> None:
    import zlib

    with running("gzip_bomb") as server:
        got, closed = read_for(server, 5)
    head, _, body = got.partition(b"\r\n\r\n")
    assert b"content-encoding: gzip" in head and closed
    assert len(body) < 2 * 1024 * 1024
    inflater, size = zlib.decompressobj(31), 0
    first = inflater.decompress(body, 64)
    rest = inflater.unconsumed_tail
    while rest:
        size += len(inflater.decompress(rest, 1 << 24))
        rest = inflater.unconsumed_tail
    assert first.startswith(b"data: {") and inflater.eof  # a valid gzip member, CRC checked
    assert size + len(first) > 1024 ** 3 and b"\n" not in first


def test_streaming_scenarios_leave_non_streamed_chat_alone() -> None:
    for name in ("cut", "stall", "errevent", "badjson", "ping", "gzip_buffered"):
        with running(name) as server:
            response = post_chat(server)
        assert response.status == 200 and response.json()["choices"][0]["finish_reason"] == "stop", name


def test_echo_key_streams_the_callers_key_back_five_characters_a_chunk() -> None:
    with running("echo_key") as server:
        chunks = post_chat(server, chat_body(stream=True)).json_chunks()
    pieces = [c["choices"][0]["delta"].get("content") for c in chunks if c.get("choices")]
    pieces = [p for p in pieces if p]
    assert "".join(pieces) == f"Your key: {TEST_KEY} (echoed)."
    assert all(len(p) <= 5 for p in pieces[1:-1])


def test_echo_key_back_to_back_streams_the_key_200_times_whatever_the_limit() -> None:
    with running("echo_key_back_to_back") as server:
        chunks = post_chat(server, chat_body(stream=True, max_tokens=8)).json_chunks()
    pieces = [c["choices"][0]["delta"].get("content") for c in chunks if c.get("choices")]
    pieces = [p for p in pieces if p]
    assert "".join(pieces) == f"Your key: {TEST_KEY * 200} (echoed)."
    assert all(len(p) <= 5 for p in pieces[1:-1])


def test_every_scenario_is_described_and_covered_here() -> None:
    covered = {case[0] for case in ERROR_CASES} | {
        "ok", "model404", "anymodel", "reject_stream_options", "reject_max_completion_tokens", "html",
        "redirect", "slow", "ping", "buffered", "gzip_buffered", "cut", "nofinish", "stall", "badjson", "errevent",
        "json_instead_of_sse", "azure_filter_chunk", "reasoning", "echo_key", "echo_key_back_to_back", "max_tokens_only", "no_limits",
        "odd_usage", "odd_content", "odd_reasoning", "list_chunk", *HOSTILE_SCENARIOS,
        "vllm_abort", "content_filter", "vllm_error_chunk", "no_usage", "gateway_upstream_error",
        # POST /v1/responses: tests/local/test_mock_responses.py
        "responses_unsupported", "responses_method_not_allowed", "responses_no_terminal", "responses_failed",
        "responses_error_event", "responses_incomplete", "responses_content_filter", "responses_no_usage",
        "responses_sequence_gap", "responses_no_sequence",
        # other servers' dialects: tests/local/test_smoke_dialect_cli.py
        "dialect_vllm", "dialect_llamacpp", "dialect_ollama", "dialect_azure", "dialect_openrouter"}
    assert set(SCENARIOS) == covered
    assert all(s.description and "\n" not in s.description for s in SCENARIOS.values())


# --- connections ------------------------------------------------------------------------------


def test_keep_alive_serves_two_requests_on_one_connection() -> None:
    with running() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        headers = {"Authorization": f"Bearer {TEST_KEY}", "Content-Type": "application/json"}
        conn.request("POST", CHAT_PATH, json.dumps(chat_body(stream=True)), headers)
        first = conn.getresponse().read()
        conn.request("GET", "/v1/models", headers=headers)
        second = conn.getresponse()
        assert second.status == 200 and second.read()
        conn.close()
        get(server, "/v1/models")
        ids = [r.connection_id for r in server.requests]
    assert first.endswith(b"data: [DONE]\n\n")
    assert ids[0] == ids[1] != ids[2]


def test_many_concurrent_streams_are_served_in_parallel() -> None:
    results: List[RawResponse] = []
    with running(first_token_delay_ms=300) as server:
        threads = [threading.Thread(target=lambda: results.append(post_chat(server, chat_body(stream=True))))
                   for _ in range(30)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    assert len(results) == 30 and all(r.complete for r in results)
    assert elapsed < 4.5  # serial would take 30 x 0.3 s = 9 s; parallel, about 0.3 s


def test_stop_does_not_hang_on_an_open_stall_stream() -> None:
    server = MockServer(MockOptions(scenario="stall")).start()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    start = send_request(sock, "POST", CHAT_PATH, chat_body(stream=True))
    reader = sock.makefile("rb")
    collected: List[RawResponse] = []
    thread = threading.Thread(target=lambda: collected.append(read_response(reader, start)))
    thread.start()
    time.sleep(0.2)
    stop_started = time.perf_counter()
    server.stop()
    server.stop()  # idempotent
    stop_took = time.perf_counter() - stop_started
    thread.join(timeout=5)
    sock.close()
    assert stop_took < 2.0  # the stall would hold the connection for 60 s
    assert collected and collected[0].closed_early


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, str, ssl.SSLContext]:
    import trustme  # a test dependency (pyproject.toml): missing is a failure, not a skip

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile, cafile = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    client = ssl.create_default_context(cafile=str(cafile))
    return str(certfile), str(keyfile), client


def test_tls_serves_https_and_records_the_scheme(tls_files: Tuple[str, str, ssl.SSLContext]) -> None:
    certfile, keyfile, client = tls_files
    with running(certfile=certfile, keyfile=keyfile, host="localhost") as server:
        assert server.base_url == f"https://localhost:{server.port}/v1"
        response = post_chat(server, chat_body(stream=True), tls=client)
        scheme = server.requests[0].scheme
    assert response.status == 200 and response.complete and scheme == "https"


def test_tls_client_that_never_handshakes_blocks_nobody(tls_files: Tuple[str, str, ssl.SSLContext]) -> None:
    certfile, keyfile, client = tls_files
    with running(certfile=certfile, keyfile=keyfile) as server:
        silent = socket.create_connection(("127.0.0.1", server.port))  # TCP only, no ClientHello
        started = time.perf_counter()
        response = get(server, "/v1/models", tls=client)
        took = time.perf_counter() - started
        silent.close()
    # Blocked behind the silent client, it would wait for the 10 s handshake timeout.
    assert response.status == 200 and took < 2.0


def test_start_failures_raise_before_serving(tmp_path: Path) -> None:
    bad_cert = tmp_path / "bad.pem"
    bad_cert.write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        MockServer(MockOptions(certfile=str(bad_cert))).start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            MockServer(MockOptions(port=taken.getsockname()[1])).start()
    with pytest.raises(ValueError, match="unknown scenario"):
        MockServer(MockOptions(scenario="nope"))


# --- the CLI as a real subprocess -------------------------------------------------------------

CLI_BOOT = "import typer; from doctor.commands.mock_server import command; typer.run(command)"


def start_cli(*args: str, sigint_ignored: bool = False) -> subprocess.Popen:
    # sigint_ignored: what a background job of a non-interactive shell inherits.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    return subprocess.Popen([sys.executable, "-c", CLI_BOOT, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=ignore)


@contextmanager
def running_cli(*args: str, sigint_ignored: bool = False) -> Iterator[subprocess.Popen]:
    """The mock-server CLI as a real process, killed and its pipes closed whatever happens."""
    proc = start_cli(*args, sigint_ignored=sigint_ignored)
    try:
        yield proc
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()


def read_line(proc: subprocess.Popen, timeout: float = 10.0) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "mock-server printed nothing"
    return proc.stdout.readline()


def finish(proc: subprocess.Popen, sig: int) -> Tuple[str, str]:
    """Signal the process, wait for it, and return the rest of (stdout, stderr).

    Not communicate(): it reads the raw pipes and would miss lines already buffered by readline().
    """
    proc.send_signal(sig)
    proc.wait(timeout=10)
    return proc.stdout.read(), proc.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_the_url_first_and_stops_cleanly(sig: int) -> None:
    with running_cli("--scenario", "ok") as proc:
        first = read_line(proc)
        match = re.fullmatch(r"chat-doctor mock-server: scenario ok, listening on (http://127\.0\.0\.1:\d+/v1)\n", first)
        assert match, first
        base_url = match.group(1)
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v1/models", headers={"Authorization": "Bearer sk-x"})
        assert conn.getresponse().status == 200
        conn.close()
        out, err = finish(proc, sig)
    assert proc.returncode == 0, err
    assert f"export OPENAI_BASE_URL={base_url}" in out and "Ctrl-C" in out
    assert "Traceback" not in err


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI_BOOT, *args], capture_output=True, text=True, timeout=20)


def test_cli_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = run_cli("--port", str(taken.getsockname()[1]))
    bad_cert = tmp_path / "bad.pem"
    bad_cert.write_text("garbage")
    cases = {
        "already in use": busy,
        "unknown scenario 'nope'": run_cli("--scenario", "nope"),
        "cannot load the TLS certificate": run_cli("--tls-cert", str(bad_cert)),
        "cannot read": run_cli("--tls-cert", str(tmp_path / "missing.pem")),
    }
    for expected, result in cases.items():
        assert result.returncode == 2, (expected, result.stderr)
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
        assert result.stdout == ""


def test_cli_lists_scenarios() -> None:
    result = run_cli("--list-scenarios")
    assert result.returncode == 0
    for name, scenario in SCENARIOS.items():
        assert re.search(rf"^  {re.escape(name)}\s+{re.escape(scenario.description)}$", result.stdout, re.M)


def test_cli_warns_when_binding_a_non_loopback_host() -> None:
    with running_cli("--host", "0.0.0.0") as proc:
        assert "listening on http://0.0.0.0:" in read_line(proc)
        _, err = finish(proc, signal.SIGINT)
    assert proc.returncode == 0 and "warning: listening on 0.0.0.0" in err


def test_cli_is_wired_into_chat_doctor() -> None:
    """`chat-doctor mock-server` is a registered command (a missing registration is a failure)."""
    from doctor import cli

    names = [c.name for c in cli.app.registered_commands]
    assert "mock-server" in names, names
    run = run_chat_doctor(["mock-server", "--list-scenarios"])  # in-process, through the top-level app
    assert run.exit_code == 0 and "json_instead_of_sse" in run.stdout


# --- the real openai SDK against each streaming scenario ---------------------------------------


@pytest.fixture(scope="module")
def openai_module() -> Any:
    import openai  # a dependency of chat-doctor: missing is a failure, not a skip

    return openai


def sdk_stream(openai: Any, server: MockServer, timeout: float = 5, **extra: Any) -> Tuple[List[Any], Optional[BaseException]]:
    """Iterate a streamed chat; returns (chunks received, exception raised or None)."""
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=timeout)
    chunks: List[Any] = []
    try:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                                stream=True, **extra)
        for chunk in stream:
            chunks.append(chunk)
    except Exception as exc:  # noqa: BLE001 - the exception class is what these tests check
        return chunks, exc
    return chunks, None


def sdk_text(chunks: List[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def sdk_finish(chunks: List[Any]) -> List[str]:
    return [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


@pytest.mark.parametrize("scenario", ["ok", "ping", "buffered", "gzip_buffered"])
def test_sdk_sees_a_normal_stream(openai_module: Any, scenario: str) -> None:
    with running(scenario) as server:
        chunks, error = sdk_stream(openai_module, server, stream_options={"include_usage": True})
    assert error is None
    assert sdk_text(chunks) == "Hello from chat-doctor's local endpoint." and sdk_finish(chunks) == ["stop"]
    assert chunks[-1].usage.completion_tokens == len(REPLY_TOKENS)


def test_sdk_cut_raises_api_connection_error(openai_module: Any) -> None:
    # openai 3.57: APIConnectionError("Connection error."), __cause__ httpx2.RemoteProtocolError
    # (incomplete chunked read), after the chunks that did arrive.
    with running("cut") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert isinstance(error, openai_module.APIConnectionError)
    assert not isinstance(error, openai_module.APITimeoutError)
    assert sdk_text(chunks) == "Hello from chat"


def test_sdk_nofinish_ends_silently(openai_module: Any) -> None:
    # openai 3.57: no exception; the only sign is the missing finish_reason.
    with running("nofinish") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert error is None and sdk_text(chunks) == "".join(REPLY_TOKENS) and sdk_finish(chunks) == []


def test_sdk_stall_times_out(openai_module: Any) -> None:
    # openai 3.57: APITimeoutError("Request timed out."), __cause__ httpx2.ReadTimeout.
    with running("stall") as server:
        chunks, error = sdk_stream(openai_module, server, timeout=0.5)
    assert isinstance(error, openai_module.APITimeoutError)
    assert sdk_text(chunks) == "Hello from chat"


def test_sdk_badjson_raises_a_plain_json_error(openai_module: Any) -> None:
    # openai 3.57: json.JSONDecodeError escapes the SDK (a ValueError, not an openai.OpenAIError).
    with running("badjson") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert isinstance(error, json.JSONDecodeError) and not isinstance(error, openai_module.OpenAIError)
    assert sdk_text(chunks) == "Hello from"


def test_sdk_yields_vllm_s_error_chunk_as_a_chunk_without_choices(openai_module: Any) -> None:
    # The SDK raises only for an `error` key: vLLM's flat shape passes through (doctor.stream.chunks reads it).
    with running("vllm_error_chunk") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert error is None and chunks[-1].object == "error" and not chunks[-1].choices
    assert chunks[-1].message.startswith("Internal server error")


def test_sdk_errevent_raises_api_error_without_status(openai_module: Any) -> None:
    # openai 3.57: plain APIError (not APIStatusError, so no status_code), message from the event.
    with running("errevent") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert type(error) is openai_module.APIError
    assert error.message == "The server had an error while processing your request."
    assert error.type == "server_error" and not hasattr(error, "status_code")
    assert sdk_text(chunks) == "Hello"


def test_sdk_json_instead_of_sse_yields_zero_chunks(openai_module: Any) -> None:
    # openai 3.57: silently zero chunks; only the content-type header tells.
    with running("json_instead_of_sse") as server:
        client = openai_module.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=5)
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                                stream=True)
        chunks = list(stream)
    assert chunks == [] and stream.response.headers["content-type"] == "application/json"


def test_sdk_azure_filter_chunk_is_an_empty_first_chunk(openai_module: Any) -> None:
    # openai 3.57: the filter chunk arrives as a ChatCompletionChunk with choices == [] and id "".
    with running("azure_filter_chunk") as server:
        chunks, error = sdk_stream(openai_module, server)
    assert error is None and chunks[0].choices == [] and chunks[0].id == ""
    assert sdk_text(chunks) == "".join(REPLY_TOKENS)


def test_sdk_reasoning_content_is_an_extra_delta_field(openai_module: Any) -> None:
    # openai 3.57: delta.reasoning_content is not a declared field; it is kept as a pydantic extra.
    with running("reasoning") as server:
        chunks, error = sdk_stream(openai_module, server)
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert error is None and reasoning.startswith("The user wants") and sdk_text(chunks) == "".join(REPLY_TOKENS)


def test_sdk_reject_stream_options_is_a_bad_request(openai_module: Any) -> None:
    # openai 3.57: BadRequestError (400); retrying without stream_options works.
    with running("reject_stream_options") as server:
        _, error = sdk_stream(openai_module, server, stream_options={"include_usage": True})
        chunks, retry_error = sdk_stream(openai_module, server)
    assert isinstance(error, openai_module.BadRequestError) and "stream_options" in error.message
    assert retry_error is None and sdk_finish(chunks) == ["stop"]


def test_sdk_over_tls_with_ssl_cert_file(openai_module: Any, tls_files: Tuple[str, str, ssl.SSLContext],
                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    certfile, keyfile, _ = tls_files
    monkeypatch.setenv("SSL_CERT_FILE", str(Path(certfile).with_name("ca.pem")))
    with running(certfile=certfile, keyfile=keyfile) as server:
        chunks, error = sdk_stream(openai_module, server)
    assert error is None and sdk_finish(chunks) == ["stop"]


def test_cli_stops_on_sigint_even_when_started_with_sigint_ignored() -> None:
    # What `chat-doctor mock-server &` in a non-interactive shell script gets: SIGINT ignored.
    with running_cli("--scenario", "ok", sigint_ignored=True) as proc:
        assert "listening on" in read_line(proc)
        _, err = finish(proc, signal.SIGINT)
    assert proc.returncode == 0, err
