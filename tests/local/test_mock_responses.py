"""The local endpoint's `POST /v1/responses` (the Responses API) at the wire level, then through the real openai SDK.

Sections: the whole answer; the stream's framing, order and numbering; key handling and the
error scenarios; timing (the same knobs as chat); each `responses_*` scenario on the raw wire;
the real openai SDK against each of them (what a Responses client actually sees).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from doctor.mock.server import MockServer
from tests.support.mock_helpers import CHAT_PATH, TEST_KEY, RawResponse, chat_body, raw_exchange, running

pytestmark = pytest.mark.timeout(60)

RESPONSES_PATH = "/v1/responses"
REPLY = "Hello from chat-doctor's local endpoint."
REPLY_TOKENS = ["Hello", " from", " chat", "-doctor", "'s", " local", " endpoint", "."]
OPENING = ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]
CLOSING = ["response.output_text.done", "response.content_part.done", "response.output_item.done"]
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"


def responses_body(stream: bool = False, model: str = "gpt-4o-mini", **extra: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {"model": model, "input": "Say hello"}
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


def post_responses(server: MockServer, body: Any = None, key: Optional[str] = TEST_KEY, **kw: Any) -> RawResponse:
    return raw_exchange(server, "POST", RESPONSES_PATH, body if body is not None else responses_body(), key=key, **kw)


def typed_events(response: RawResponse) -> List[Tuple[str, Dict[str, Any]]]:
    """(event: line, parsed data: line) per SSE event; comments (`: ping`) left out."""
    parsed = []
    for text in response.events:
        if text.startswith(":"):
            continue
        event_line, data_line = text.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: "), text
        parsed.append((event_line[len("event: "):], json.loads(data_line[len("data: "):])))
    return parsed


def types_of(response: RawResponse) -> List[str]:
    return [data["type"] for _, data in typed_events(response)]


def deltas_of(response: RawResponse) -> List[str]:
    return [data["delta"] for _, data in typed_events(response) if data["type"] == "response.output_text.delta"]


# --- the whole (non-streamed) answer ----------------------------------------------------------


def test_non_streamed_is_one_response_object_with_usage() -> None:
    with running() as server:
        response = post_responses(server)
    assert response.status == 200 and response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9a-f]{32}", response.headers["x-request-id"])
    body = response.json()
    assert body["object"] == "response" and re.fullmatch(r"resp_[0-9a-f]{48}", body["id"])
    assert body["status"] == "completed" and body["error"] is None and body["incomplete_details"] is None
    assert body["model"] == "gpt-4o-mini-2024-07-18"  # the resolved snapshot, as for chat
    (message,) = body["output"]
    assert message["type"] == "message" and message["role"] == "assistant" and message["status"] == "completed"
    assert re.fullmatch(r"msg_[0-9a-f]{48}", message["id"])
    assert message["content"] == [{"type": "output_text", "annotations": [], "logprobs": [], "text": REPLY}]
    usage = body["usage"]
    assert usage["output_tokens"] == len(REPLY_TOKENS) and usage["input_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_max_output_tokens_cuts_the_answer_with_status_incomplete() -> None:
    with running() as server:
        whole = post_responses(server, responses_body(max_output_tokens=2)).json()
        streamed = post_responses(server, responses_body(stream=True, max_output_tokens=2))
        roomy = post_responses(server, responses_body(max_output_tokens=100)).json()
    assert whole["status"] == "incomplete" and whole["incomplete_details"] == {"reason": "max_output_tokens"}
    assert whole["output"][0]["content"][0]["text"] == "Hello from" and whole["max_output_tokens"] == 2
    assert whole["output"][0]["status"] == "incomplete" and whole["usage"]["output_tokens"] == 2
    last = typed_events(streamed)[-1][1]
    assert last["type"] == "response.incomplete" and last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert deltas_of(streamed) == REPLY_TOKENS[:2]
    assert roomy["status"] == "completed" and roomy["incomplete_details"] is None


# --- the stream on the raw wire ---------------------------------------------------------------


def test_stream_framing_order_and_numbering() -> None:
    with running() as server:
        response = post_responses(server, responses_body(stream=True))
    assert response.status == 200 and response.complete  # the body ends with the last HTTP chunk
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["transfer-encoding"] == "chunked"
    events = typed_events(response)
    # Every HTTP chunk is one typed event, its `event:` line naming its data's type.
    assert len(events) == len(response.chunks) and all(name == data["type"] for name, data in events)
    assert types_of(response) == [*OPENING, *["response.output_text.delta"] * len(REPLY_TOKENS), *CLOSING,
                                  "response.completed"]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert "[DONE]" not in response.data
    created, in_progress = events[0][1]["response"], events[1][1]["response"]
    assert created["status"] == in_progress["status"] == "in_progress" and created["output"] == []
    assert created["usage"] is None
    item_id = events[2][1]["item"]["id"]
    assert events[2][1]["item"] == {"id": item_id, "type": "message", "status": "in_progress", "content": [],
                                    "role": "assistant"}
    deltas = [data for _, data in events if data["type"] == "response.output_text.delta"]
    assert [d["delta"] for d in deltas] == REPLY_TOKENS
    assert all((d["item_id"], d["output_index"], d["content_index"]) == (item_id, 0, 0) for d in deltas)
    text_done, part_done, item_done, completed = (data for _, data in events[-4:])
    assert text_done["text"] == part_done["part"]["text"] == REPLY
    assert item_done["item"]["status"] == "completed" and item_done["item"]["content"][0]["text"] == REPLY
    final = completed["response"]
    assert final["id"] == created["id"] and final["status"] == "completed"
    assert final["output"] == [item_done["item"]]
    assert final["usage"]["output_tokens"] == len(REPLY_TOKENS)
    assert final["usage"]["total_tokens"] == final["usage"]["input_tokens"] + len(REPLY_TOKENS)


def test_deltas_carry_obfuscation_unless_the_request_turns_it_off() -> None:
    with running() as server:
        padded = post_responses(server, responses_body(stream=True))
        plain = post_responses(server, responses_body(stream=True, stream_options={"include_obfuscation": False}))

    def delta_events(response: RawResponse) -> List[Dict[str, Any]]:
        return [data for _, data in typed_events(response) if data["type"] == "response.output_text.delta"]

    assert all(d["obfuscation"] for d in delta_events(padded))
    assert delta_events(plain) and all("obfuscation" not in d for d in delta_events(plain))


# --- keys, validation and the error scenarios -------------------------------------------------


def test_keys_are_checked_and_recorded_like_chat() -> None:
    with running() as server:
        missing = post_responses(server, key=None)
        accepted = post_responses(server)
        records = server.requests
    with running(require_key="sk-right") as server:
        wrong = post_responses(server, key="sk-proj-WRONGkeyWRONGkey1234")
        right = post_responses(server, key="sk-right")
    assert missing.status == 401 and missing.json()["error"]["message"].startswith("You didn't provide an API key.")
    assert accepted.status == 200
    assert [(r.path, r.status, r.authorized) for r in records] == [(RESPONSES_PATH, 401, False),
                                                                    (RESPONSES_PATH, 200, True)]
    assert records[1].body == responses_body() and TEST_KEY not in repr(records)
    assert wrong.status == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert "Incorrect API key provided: sk-proj-WRONGkeyWRONGkey1234." in wrong.json()["error"]["message"]
    assert right.status == 200


@pytest.mark.parametrize(
    "body, status, code, message_start",
    [
        (b"{not json", 400, None, "We could not parse the JSON body"),
        ({"input": "hi"}, 400, "missing_required_parameter", "Missing required parameter: 'model'."),
        (responses_body(model="gpt-9"), 404, "model_not_found", "The model `gpt-9` does not exist"),
    ],
)
def test_request_validation(body: Any, status: int, code: Optional[str], message_start: str) -> None:
    with running() as server:
        response = post_responses(server, body)
    assert response.status == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"].startswith(message_start)


@pytest.mark.parametrize("scenario, status, code", [
    ("auth401", 401, "invalid_api_key"),
    ("permission403", 403, "model_not_found"),
    ("quota429", 429, "insufficient_quota"),
    ("credit429", 429, "credit_balance_exhausted"),
    ("rate429", 429, "rate_limit_exceeded"),
    ("server500", 500, None),
])
def test_error_scenarios_refuse_responses_like_chat(scenario: str, status: int, code: Optional[str]) -> None:
    with running(scenario) as server:
        responses = post_responses(server, responses_body(stream=True))
        chat = raw_exchange(server, "POST", CHAT_PATH, chat_body(stream=True))
    assert responses.status == chat.status == status
    assert responses.json()["error"]["code"] == chat.json()["error"]["code"] == code


def test_model404_and_echo_key_cover_responses_too() -> None:
    with running("model404") as server:
        hidden = post_responses(server)
        other = post_responses(server, responses_body(model="gpt-4o"))
    with running("echo_key") as server:
        echoed = post_responses(server, responses_body(stream=True))
    assert hidden.status == 404 and hidden.json()["error"]["code"] == "model_not_found"
    assert other.status == 200
    assert "".join(deltas_of(echoed)) == f"Your key: {TEST_KEY} (echoed)."


# --- timing: the chat knobs pace responses too ------------------------------------------------


def test_opening_events_precede_the_first_token_delay_and_deltas_are_paced() -> None:
    """Delta i is due at delay + i x interval after the request arrived. Nothing arrives early,
    the opening events do not wait for the delay, and the deltas are spread over the schedule.
    Upper bounds are twice the schedule: late is allowed, hanging is not."""
    delay, interval = 0.5, 0.1
    with running(first_token_delay_ms=int(delay * 1000), token_interval_ms=int(interval * 1000)) as server:
        response = post_responses(server, responses_body(stream=True))
    times = [at for at, payload in response.chunks]
    types = types_of(response)
    first_delta = types.index("response.output_text.delta")
    assert first_delta == len(OPENING) and max(times[:first_delta]) < 0.8 * delay, times
    arrivals = times[first_delta : first_delta + len(REPLY_TOKENS)]
    due = [delay + interval * i for i in range(len(REPLY_TOKENS))]
    assert all(at >= d - 0.005 for at, d in zip(arrivals, due)), list(zip(arrivals, due))
    assert arrivals[-1] - arrivals[0] >= (due[-1] - due[0]) / 2, arrivals  # paced, not a burst
    assert times[-1] < 2 * due[-1], times


def test_non_streamed_answer_waits_for_its_last_token() -> None:
    with running(first_token_delay_ms=200, token_interval_ms=20) as server:
        response = post_responses(server)
    produced = 0.200 + 0.020 * (len(REPLY_TOKENS) - 1)
    assert response.status == 200 and produced - 0.005 <= response.head_at < 2 * produced


def test_ping_buffered_and_slow_shape_responses_streams() -> None:
    with running("ping") as server:
        pinged = post_responses(server, responses_body(stream=True))
    with running("buffered") as server:
        buffered = post_responses(server, responses_body(stream=True))
    with running("slow", slow_delay_ms=300) as server:
        slow = post_responses(server, responses_body(stream=True))
    pings = [i for i, e in enumerate(pinged.events) if e == ": ping"]
    first_delta = next(i for i, e in enumerate(pinged.events) if e.startswith("event: response.output_text.delta"))
    assert 3 <= len(pings) <= 5 and min(pings) == len(OPENING) and max(pings) < first_delta
    assert types_of(pinged)[-1] == "response.completed"
    # Buffered: the head waited for the whole answer (scenario defaults 100 ms + 7 x 30 ms), then one burst.
    produced = 0.100 + 0.030 * (len(REPLY_TOKENS) - 1)
    assert buffered.head_at >= produced - 0.02 and max(t for t, _ in buffered.chunks) - buffered.head_at < 0.1
    assert 0.28 <= slow.head_at < 0.6 and types_of(slow)[-1] == "response.completed"


def test_chat_stream_endings_leave_responses_alone() -> None:
    # cut / stall / badjson / nofinish say how a *chat* stream breaks; responses answers normally.
    for name in ("cut", "stall", "badjson", "nofinish", "errevent"):
        with running(name) as server:
            response = post_responses(server, responses_body(stream=True))
        assert response.complete and types_of(response)[-1] == "response.completed", name


# --- each responses_* scenario on the raw wire ------------------------------------------------

RESPONSES_SCENARIOS = ("responses_unsupported", "responses_method_not_allowed", "responses_no_terminal",
                       "responses_failed", "responses_error_event", "responses_incomplete",
                       "responses_content_filter", "responses_no_usage",
                       "responses_sequence_gap", "responses_no_sequence")


@pytest.mark.parametrize("scenario", RESPONSES_SCENARIOS)
def test_responses_scenarios_leave_chat_alone(scenario: str) -> None:
    with running(scenario) as server:
        chat = raw_exchange(server, "POST", CHAT_PATH, chat_body(stream=True))
        models = raw_exchange(server, "GET", "/v1/models")
    assert chat.status == 200 and chat.complete and chat.data[-1] == "[DONE]"
    assert models.status == 200


def test_unsupported_answers_404_invalid_url_before_any_auth() -> None:
    with running("responses_unsupported") as server:
        response = post_responses(server, responses_body(stream=True))
        keyless = post_responses(server, key=None)
    assert response.status == keyless.status == 404
    assert response.json() == {"error": {"message": "Invalid URL (POST /v1/responses)",
                                         "type": "invalid_request_error", "param": None, "code": None}}


def test_method_not_allowed_answers_405_with_allow() -> None:
    with running("responses_method_not_allowed") as server:
        response = post_responses(server)
    assert response.status == 405 and response.headers["allow"] == "GET"
    assert response.json()["error"] == {"message": "Method Not Allowed", "type": "invalid_request_error",
                                        "param": None, "code": None}


def test_no_terminal_ends_cleanly_after_the_done_events() -> None:
    with running("responses_no_terminal") as server:
        response = post_responses(server, responses_body(stream=True))
    assert response.complete and not response.closed_early
    assert types_of(response) == [*OPENING, *["response.output_text.delta"] * len(REPLY_TOKENS), *CLOSING]
    assert "".join(deltas_of(response)) == REPLY


def test_failed_sends_one_delta_then_response_failed() -> None:
    with running("responses_failed") as server:
        response = post_responses(server, responses_body(stream=True))
        whole = post_responses(server).json()
    assert response.complete and types_of(response) == [*OPENING, "response.output_text.delta", "response.failed"]
    failed = typed_events(response)[-1][1]["response"]
    assert failed["status"] == "failed" and failed["error"] == {"code": "server_error", "message": SERVER_ERROR}
    assert failed["output"][0]["status"] == "incomplete" and failed["output"][0]["content"][0]["text"] == "Hello"
    assert whole["status"] == "completed"  # like chat's stream scenarios: a whole answer is left alone


def test_error_event_sends_one_delta_then_an_error_event_and_ends() -> None:
    with running("responses_error_event") as server:
        response = post_responses(server, responses_body(stream=True))
    assert response.complete and types_of(response) == [*OPENING, "response.output_text.delta", "error"]
    error = typed_events(response)[-1][1]
    assert error == {"type": "error", "code": "server_error", "message": SERVER_ERROR, "param": None,
                     "sequence_number": len(OPENING) + 1}


def test_incomplete_stops_every_answer_after_three_tokens() -> None:
    with running("responses_incomplete") as server:
        streamed = post_responses(server, responses_body(stream=True))
        whole = post_responses(server).json()
        smaller = post_responses(server, responses_body(max_output_tokens=2)).json()
    assert deltas_of(streamed) == REPLY_TOKENS[:3]
    final = typed_events(streamed)[-1][1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert whole["status"] == "incomplete" and whole["output"][0]["content"][0]["text"] == "Hello from chat"
    assert whole["incomplete_details"] == {"reason": "max_output_tokens"} and whole["max_output_tokens"] is None
    assert smaller["output"][0]["content"][0]["text"] == "Hello from"  # the smaller limit wins


def test_content_filter_stops_after_three_tokens_with_its_reason() -> None:
    with running("responses_content_filter") as server:
        streamed = post_responses(server, responses_body(stream=True))
        whole = post_responses(server).json()
        smaller = post_responses(server, responses_body(max_output_tokens=2)).json()
    assert deltas_of(streamed) == REPLY_TOKENS[:3]
    final = typed_events(streamed)[-1][1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "content_filter"}
    assert final["response"]["usage"]["output_tokens"] == 3
    assert whole["status"] == "incomplete" and whole["incomplete_details"] == {"reason": "content_filter"}
    # The request's own smaller limit cut it first: that is max_output_tokens, not the filter.
    assert smaller["incomplete_details"] == {"reason": "max_output_tokens"}


def test_no_usage_completes_with_usage_null() -> None:
    with running("responses_no_usage") as server:
        streamed = post_responses(server, responses_body(stream=True))
        whole = post_responses(server).json()
    final = typed_events(streamed)[-1][1]
    assert final["type"] == "response.completed" and final["response"]["status"] == "completed"
    assert "".join(deltas_of(streamed)) == REPLY
    assert "usage" in final["response"] and final["response"]["usage"] is None
    assert whole["status"] == "completed" and whole["usage"] is None


def test_gateway_upstream_error_fails_responses_too() -> None:
    # A LiteLLM proxy whose model server is down fails every generation route, not only chat's.
    with running("gateway_upstream_error") as server:
        response = post_responses(server, responses_body(stream=True))
    assert response.status == 500
    assert response.json()["error"]["message"].startswith("litellm.InternalServerError")


def test_sequence_gap_skips_exactly_one_number() -> None:
    with running("responses_sequence_gap") as server:
        response = post_responses(server, responses_body(stream=True))
    numbers = [data["sequence_number"] for _, data in typed_events(response)]
    assert numbers == [n for n in range(len(numbers) + 1) if n != 6]
    assert types_of(response)[-1] == "response.completed"


def test_no_sequence_events_are_typed_but_unnumbered() -> None:
    with running("responses_no_sequence") as server:
        response = post_responses(server, responses_body(stream=True))
    events = typed_events(response)
    assert events and all("sequence_number" not in data for _, data in events)
    assert all(name == data["type"] for name, data in events) and events[-1][0] == "response.completed"
    assert "".join(deltas_of(response)) == REPLY


# --- the real openai SDK ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_module() -> Any:
    import openai  # a dependency of chat-doctor: missing is a failure, not a skip

    return openai


@pytest.fixture()
def sdk_client(openai_module: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """An SDK client on a mock server running the test's `scenario` parameter (or ok)."""
    scenario = getattr(request, "param", "ok")
    with running(scenario) as server:
        yield openai_module.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=5)


def sdk_events(client: Any) -> List[Any]:
    return list(client.responses.create(model="gpt-4o-mini", input="hi", stream=True))


def sdk_text(events: List[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


def test_sdk_parses_the_whole_answer(sdk_client: Any) -> None:
    response = sdk_client.responses.create(model="gpt-4o-mini", input="hi")
    assert response.status == "completed" and response.output_text == REPLY
    assert response.usage.output_tokens == len(REPLY_TOKENS) and response.model == "gpt-4o-mini-2024-07-18"


def test_sdk_parses_the_stream_into_typed_events(openai_module: Any, sdk_client: Any) -> None:
    types = openai_module.types.responses
    events = sdk_events(sdk_client)
    assert isinstance(events[0], types.ResponseCreatedEvent) and isinstance(events[-1], types.ResponseCompletedEvent)
    assert sum(isinstance(e, types.ResponseTextDeltaEvent) for e in events) == len(REPLY_TOKENS)
    assert sdk_text(events) == REPLY and events[-1].response.output_text == REPLY
    assert events[-1].response.usage.total_tokens == events[-1].response.usage.input_tokens + len(REPLY_TOKENS)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    # The SDK's own accumulating helper agrees.
    with sdk_client.responses.stream(model="gpt-4o-mini", input="hi") as stream:
        final = stream.get_final_response()
    assert final.output_text == REPLY


@pytest.mark.parametrize("sdk_client", ["responses_unsupported"], indirect=True)
def test_sdk_unsupported_is_not_found(openai_module: Any, sdk_client: Any) -> None:
    with pytest.raises(openai_module.NotFoundError) as caught:
        sdk_events(sdk_client)
    assert caught.value.status_code == 404 and "Invalid URL (POST /v1/responses)" in caught.value.message
    chat = sdk_client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].message.content == REPLY


@pytest.mark.parametrize("sdk_client", ["responses_method_not_allowed"], indirect=True)
def test_sdk_method_not_allowed_is_a_plain_status_error(openai_module: Any, sdk_client: Any) -> None:
    # openai 3.57: no dedicated class for 405: APIStatusError itself.
    with pytest.raises(openai_module.APIStatusError) as caught:
        sdk_client.responses.create(model="gpt-4o-mini", input="hi")
    assert type(caught.value) is openai_module.APIStatusError and caught.value.status_code == 405


@pytest.mark.parametrize("sdk_client", ["responses_no_terminal"], indirect=True)
def test_sdk_no_terminal_ends_silently_but_the_helper_notices(sdk_client: Any) -> None:
    # openai 3.57: create(stream=True) just stops; responses.stream()'s final response raises.
    events = sdk_events(sdk_client)
    assert sdk_text(events) == REPLY and events[-1].type == "response.output_item.done"
    with pytest.raises(RuntimeError, match=r"`response\.completed`"):
        with sdk_client.responses.stream(model="gpt-4o-mini", input="hi") as stream:
            stream.get_final_response()


@pytest.mark.parametrize("sdk_client", ["responses_failed"], indirect=True)
def test_sdk_failed_is_an_event_not_an_exception(sdk_client: Any) -> None:
    # openai 3.57: response.failed is yielded like any event; nothing is raised.
    events = sdk_events(sdk_client)
    assert events[-1].type == "response.failed" and events[-1].response.status == "failed"
    assert events[-1].response.error.code == "server_error" and events[-1].response.error.message == SERVER_ERROR
    assert sdk_text(events) == "Hello"


@pytest.mark.parametrize("sdk_client", ["responses_error_event"], indirect=True)
def test_sdk_error_event_is_yielded_not_raised(openai_module: Any, sdk_client: Any) -> None:
    # openai 3.57: the flat `error` event has no "error" key, so the stream does not raise
    # APIError (unlike chat's in-band {"error": ...}); it arrives as a ResponseErrorEvent.
    events = sdk_events(sdk_client)
    assert isinstance(events[-1], openai_module.types.responses.ResponseErrorEvent)
    assert events[-1].code == "server_error" and events[-1].message == SERVER_ERROR
    assert sdk_text(events) == "Hello"


@pytest.mark.parametrize("sdk_client", ["responses_incomplete"], indirect=True)
def test_sdk_incomplete_reports_the_reason(sdk_client: Any) -> None:
    whole = sdk_client.responses.create(model="gpt-4o-mini", input="hi")
    events = sdk_events(sdk_client)
    assert whole.status == "incomplete" and whole.incomplete_details.reason == "max_output_tokens"
    assert whole.output_text == "Hello from chat"
    assert events[-1].type == "response.incomplete" and events[-1].response.output_text == "Hello from chat"


@pytest.mark.parametrize("sdk_client", ["responses_sequence_gap", "responses_no_sequence"], indirect=True)
def test_sdk_accepts_odd_numbering(sdk_client: Any) -> None:
    # openai 3.57 neither checks the numbers nor requires them (events are built without validation).
    events = sdk_events(sdk_client)
    assert sdk_text(events) == REPLY and events[-1].type == "response.completed"
    with sdk_client.responses.stream(model="gpt-4o-mini", input="hi") as stream:
        assert stream.get_final_response().output_text == REPLY
